// Pure. protojson-like decoding (livekit-sip-api.md §3.1): snake or camel keys, unknown fields
// and unknown enum names dropped (DiscardUnknown), null = unset, the same field under two
// spellings or two members of one oneof rejected. The result is the canonical form the emulator
// stores and emits: snake_case keys in declaration order with EmitUnpopulated defaults (unset
// messages null, [] / {} / "" / 0 / false, enums as names, oneofs and unset optionals omitted).
import type { EnumDesc, FieldDesc, FieldType, MessageDesc } from "./descriptors.js";
import { messageDesc } from "./descriptors.js";
import type { JsonNode } from "./json-parse.js";

export type Canonical = string | number | boolean | null | readonly Canonical[] | { readonly [key: string]: Canonical };
export type CanonicalMessage = { readonly [key: string]: Canonical };

/** Any protojson decode failure; the server answers all of them with `malformed` (§7). */
export class DecodeError extends Error {}

const DROP = Symbol("drop");

/**
 * The "newer server" test mode (EmulatorFeatures.newerServer): a server whose proto has fields and
 * enum values the pinned @livekit/protocol lacks. Unknown fields are kept (snake_case, emitted
 * after the known ones) instead of dropped, and unknown enum names are kept as they are.
 */
let keepUnknown = false;

/** decodeMessage as a newer server would: unknown fields and enum values are stored, not dropped. */
export function decodeMessageNewer(node: JsonNode, desc: MessageDesc): CanonicalMessage {
  keepUnknown = true;
  try {
    return decodeMessage(node, desc);
  } finally {
    keepUnknown = false;
  }
}

function snakeOf(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Any JSON as stored by a newer server that knows the field (kept as it came). */
function plainOf(node: JsonNode): Canonical {
  switch (node.k) {
    case "obj": {
      const out: Record<string, Canonical> = {};
      for (const [k, v] of node.entries) setOwn(out, k, plainOf(v));
      return out;
    }
    case "arr":
      return node.items.map(plainOf);
    case "str":
      return node.v;
    case "num":
      return Number(node.raw);
    case "bool":
      return node.v;
    case "null":
      return null;
  }
}

export function decodeMessage(node: JsonNode, desc: MessageDesc): CanonicalMessage {
  if (node.k !== "obj") throw new DecodeError(`${desc.name}: expected an object`);
  const values = new Map<string, Canonical>();
  const seen = new Set<string>();
  const seenOneofs = new Set<string>();
  let extra: Map<string, Canonical> | undefined;
  for (const [key, val] of node.entries) {
    const fd = desc.byKey.get(key);
    if (fd === undefined) {
      if (!keepUnknown) continue; // DiscardUnknown
      // A newer server knows the field: one spelling only, stored under its proto name.
      const name = snakeOf(key);
      if (seen.has(`?${name}`)) throw new DecodeError(`${desc.name}: duplicate field ${key}`);
      seen.add(`?${name}`);
      if (val.k !== "null") (extra ??= new Map()).set(name, plainOf(val));
      continue;
    }
    // The duplicate check comes before the null skip, as in protojson's unmarshalMessage.
    if (seen.has(fd.name)) throw new DecodeError(`${desc.name}: duplicate field ${key}`);
    seen.add(fd.name);
    if (val.k === "null") continue;
    if (fd.oneof !== undefined) {
      if (seenOneofs.has(fd.oneof)) throw new DecodeError(`${desc.name}: oneof ${fd.oneof} is already set`);
      seenOneofs.add(fd.oneof);
    }
    const v = decodeField(val, fd);
    if (v !== DROP) values.set(fd.name, v);
  }
  const out: Record<string, Canonical> = {};
  for (const fd of desc.fields) {
    const v = values.get(fd.name);
    if (v !== undefined) setOwn(out, fd.name, v);
    else if (fd.oneof === undefined && fd.label !== "optional") setOwn(out, fd.name, defaultOf(fd));
  }
  if (extra !== undefined) for (const [k, v] of extra) setOwn(out, k, v);
  return out;
}

/** Assigns without ever touching a prototype (`__proto__` can be a map key). */
export function setOwn(obj: Record<string, Canonical>, key: string, value: Canonical): void {
  if (key === "__proto__") Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

export function defaultOf(fd: FieldDesc): Canonical {
  if (fd.label === "repeated") return [];
  if (fd.label === "map") return {};
  return defaultOfType(fd.type);
}

function defaultOfType(t: FieldType): Canonical {
  switch (t.t) {
    case "scalar":
      return t.s === "string" ? "" : t.s === "bool" ? false : 0;
    case "enum":
      return t.e.values[0] ?? 0;
    case "message":
    case "timestamp":
    case "duration":
      return null;
  }
}

function decodeField(val: JsonNode, fd: FieldDesc): Canonical | typeof DROP {
  if (fd.label === "repeated") {
    if (val.k !== "arr") throw new DecodeError(`${fd.name}: expected a list`);
    const out: Canonical[] = [];
    for (const item of val.items) {
      // null inside a list is an error for every type in this API.
      if (item.k === "null") throw new DecodeError(`${fd.name}: null in a list`);
      const v = decodeSingular(item, fd.type, fd.name);
      if (v !== DROP) out.push(v);
    }
    return out;
  }
  if (fd.label === "map") {
    if (val.k !== "obj") throw new DecodeError(`${fd.name}: expected an object`);
    const seen = new Set<string>();
    const pairs: [string, Canonical][] = [];
    for (const [k, item] of val.entries) {
      if (seen.has(k)) throw new DecodeError(`${fd.name}: duplicate map key ${JSON.stringify(k)}`);
      seen.add(k);
      if (item.k === "null") throw new DecodeError(`${fd.name}: null map value`);
      const v = decodeSingular(item, fd.type, fd.name);
      if (v !== DROP) pairs.push([k, v]);
    }
    // protojson writes map entries sorted by key.
    pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const out: Record<string, Canonical> = {};
    for (const [k, v] of pairs) setOwn(out, k, v);
    return out;
  }
  const v = decodeSingular(val, fd.type, fd.name);
  // An unknown enum name on a plain field leaves the default; on an optional one, unset.
  if (v === DROP && fd.label === "single" && fd.oneof === undefined) return defaultOfType(fd.type);
  return v;
}

function decodeSingular(val: JsonNode, t: FieldType, name: string): Canonical | typeof DROP {
  switch (t.t) {
    case "scalar":
      return decodeScalar(val, t.s, name);
    case "enum":
      return decodeEnum(val, t.e, name);
    case "message":
      return decodeMessage(val, messageDesc(t.m));
    case "timestamp":
      if (val.k !== "str") throw new DecodeError(`${name}: expected an RFC 3339 string`);
      return formatTimestamp(parseTimestamp(val.v, name));
    case "duration":
      if (val.k !== "str") throw new DecodeError(`${name}: expected a duration string`);
      return formatDuration(parseDuration(val.v, name));
  }
}

const NUMBER_TEXT = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

function decodeScalar(val: JsonNode, s: "string" | "bool" | "int32" | "uint32" | "double", name: string): Canonical {
  switch (s) {
    case "string":
      if (val.k !== "str") throw new DecodeError(`${name}: expected a string`);
      return val.v;
    case "bool":
      if (val.k !== "bool") throw new DecodeError(`${name}: expected true or false`);
      return val.v;
    case "int32":
    case "uint32": {
      // protojson takes a number or a string holding one, if its value is an integer in range.
      const text = val.k === "num" ? val.raw : val.k === "str" && NUMBER_TEXT.test(val.v) ? val.v : undefined;
      const n = text === undefined ? NaN : Number(text);
      const [lo, hi] = s === "int32" ? [-2147483648, 2147483647] : [0, 4294967295];
      if (!Number.isInteger(n) || n < lo || n > hi) throw new DecodeError(`${name}: invalid ${s}`);
      return n === 0 ? 0 : n; // no -0
    }
    case "double": {
      if (val.k === "str" && (val.v === "NaN" || val.v === "Infinity" || val.v === "-Infinity")) return val.v;
      const text = val.k === "num" ? val.raw : val.k === "str" && NUMBER_TEXT.test(val.v) ? val.v : undefined;
      const n = text === undefined ? NaN : Number(text);
      if (!Number.isFinite(n)) throw new DecodeError(`${name}: invalid double`);
      return n;
    }
  }
}

function decodeEnum(val: JsonNode, e: EnumDesc, name: string): Canonical | typeof DROP {
  if (val.k === "str") {
    // DiscardUnknown also drops unknown enum names (§3.1); a newer server knows the value.
    return e.values.includes(val.v) || keepUnknown ? val.v : DROP;
  }
  if (val.k === "num") {
    const n = Number(val.raw);
    if (!Number.isInteger(n) || n < -2147483648 || n > 2147483647) throw new DecodeError(`${name}: invalid enum number`);
    return e.values[n] ?? n;
  }
  throw new DecodeError(`${name}: expected an enum name or number`);
}

// --- google.protobuf.Timestamp / Duration in their JSON forms (protojson well-known types) ---

const TS_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/;
const MIN_TS = -62135596800; // 0001-01-01T00:00:00Z
const MAX_TS = 253402300799; // 9999-12-31T23:59:59Z

export function parseTimestamp(text: string, name = "timestamp"): { seconds: number; nanos: number } {
  const m = TS_RE.exec(text);
  const bad = (): never => {
    throw new DecodeError(`${name}: invalid google.protobuf.Timestamp value ${JSON.stringify(text)}`);
  };
  if (!m) return bad();
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y), month = Number(mo), day = Number(d), hour = Number(h), minute = Number(mi), second = Number(s);
  if (frac !== undefined && frac.length > 9) bad();
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) bad();
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || day < 1) bad();
  let seconds = Math.floor(date.getTime() / 1000) + hour * 3600 + minute * 60 + second;
  if (zone !== undefined && zone !== "Z") {
    const sign = zone[0] === "-" ? -1 : 1;
    const zh = Number(zone.slice(1, 3)), zm = Number(zone.slice(4, 6));
    if (zh > 23 || zm > 59) bad();
    seconds -= sign * (zh * 3600 + zm * 60);
  }
  if (seconds < MIN_TS || seconds > MAX_TS) bad();
  const nanos = frac === undefined ? 0 : Number(frac.padEnd(9, "0"));
  return { seconds, nanos };
}

function fraction(nanos: number): string {
  if (nanos === 0) return "";
  let f = String(nanos).padStart(9, "0");
  while (f.endsWith("000")) f = f.slice(0, -3);
  return `.${f}`;
}

export function formatTimestamp(t: { seconds: number; nanos: number }): string {
  const d = new Date(t.seconds * 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${fraction(t.nanos)}Z`;
}

const DUR_RE = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;
const MAX_DUR_SECONDS = 315576000000;

/** Total nanoseconds as a bigint-free pair; sign carried by both parts as in protobuf. */
export function parseDuration(text: string, name = "duration"): { seconds: number; nanos: number } {
  const m = DUR_RE.exec(text);
  if (!m || Number(m[2]) > MAX_DUR_SECONDS) throw new DecodeError(`${name}: invalid google.protobuf.Duration value ${JSON.stringify(text)}`);
  const sign = m[1] === "-" ? -1 : 1;
  const seconds = Number(m[2]);
  const nanos = m[3] === undefined ? 0 : Number(m[3].padEnd(9, "0"));
  return { seconds: sign * seconds || 0, nanos: sign * nanos || 0 };
}

export function formatDuration(d: { seconds: number; nanos: number }): string {
  const neg = d.seconds < 0 || d.nanos < 0;
  return `${neg ? "-" : ""}${Math.abs(d.seconds)}${fraction(Math.abs(d.nanos))}s`;
}

// Pure. RoomConfiguration.egress is passed through as protobuf JSON; this file converts its key
// spelling (server snake_case <-> file camelCase) without touching user data and, on decode,
// leaves out what this version does not know (issue #12): a key outside the protocol's messages
// is carried by the replace overlay (wire-raw.ts) and listed as "kept", never diffed or exported.
import type { JsonObject, JsonValue } from "../model/index.js";
import { EGRESS_ENUMS, EGRESS_MESSAGES, EGRESS_ROOT } from "./egress-fields.js";

/** One egress message's known fields by either spelling: key -> its kind in EGRESS_MESSAGES. */
const KNOWN: ReadonlyMap<string, ReadonlyMap<string, string>> = new Map(
  Object.entries(EGRESS_MESSAGES).map(([name, fields]) => {
    const byKey = new Map<string, string>();
    for (const [proto, kind] of Object.entries(fields)) {
      byKey.set(proto, kind);
      byKey.set(snakeToCamel(proto), kind);
    }
    return [name, byKey];
  }),
);

/**
 * The only map field in the egress message tree is S3Upload.metadata (livekit-sip-api.md §2.6):
 * its keys are user data and keep their spelling.
 */
const MAP_FIELDS: ReadonlySet<string> = new Set(["metadata"]);

/** Field whose proto name is not snake_case (AutoTrackEgress/…Output `aliOSS`, §2.6). */
const PROTO_NAME_EXCEPTIONS: ReadonlySet<string> = new Set(["aliOSS"]);

/**
 * Plain (non-oneof) enum fields of the egress tree and their zero value names. A server that emits
 * defaults (livekit-sip-api.md §3.1) writes them on every rule; proto3 makes them equal to unset,
 * and only this module knows they are enums, so they are dropped (the number 0 goes with the
 * other scalar defaults).
 */
const ENUM_ZERO_NAMES: Readonly<Record<string, readonly string[]>> = {
  audioMixing: ["DEFAULT_MIXING"],
  fileType: ["DEFAULT_FILETYPE"],
  protocol: ["DEFAULT_PROTOCOL", "DEFAULT_SEGMENTED_FILE_PROTOCOL"],
  filenameSuffix: ["INDEX", "IMAGE_SUFFIX_INDEX"],
  audioCodec: ["DEFAULT_AC"],
  videoCodec: ["DEFAULT_VC"],
  imageCodec: ["IC_DEFAULT"],
};

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function snakeToCamel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

export function camelToSnake(key: string): string {
  if (PROTO_NAME_EXCEPTIONS.has(key)) return key;
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * Either spelling -> canonical camelCase protobuf JSON: what protobuf-es `toJson()` writes, i.e.
 * null, false, "", 0, [] and zero enum values dropped (the oneof `preset` is never a zero-dropped
 * enum; messages, even empty ones, are kept because an empty oneof message still selects it).
 * Used on encode (the request is canonical) and on decode (a server that emits defaults, §3.1,
 * reads back the same as one that does not).
 */
export function canonicalEgress(value: JsonObject): JsonObject {
  return convertObject(value, snakeToCamel, true);
}

/**
 * A listed rule's egress (either spelling) -> canonical camelCase protobuf JSON of the fields this
 * version knows (EGRESS_MESSAGES, generated from the protocol): an unknown key at any level is left
 * out (the raw rule keeps it and the overlay carries it), and an enum value this version does not
 * know is left out and reported to `unknownValue` (path relative to egress, wire spelling) so
 * the rule is held opaque. Never reads a value except to check an enum name.
 */
export function knownEgress(value: JsonObject, unknownValue: (path: string, value: JsonValue) => void): JsonObject {
  return canonicalEgress(knownOf(value, EGRESS_ROOT, "", unknownValue));
}

function knownOf(obj: JsonObject, message: string, path: string, unknownValue: (path: string, value: JsonValue) => void): JsonObject {
  const known = KNOWN.get(message);
  if (known === undefined) return obj;
  const entries: [string, JsonValue][] = [];
  for (const [key, value] of Object.entries(obj)) {
    const kind = known.get(key);
    if (kind === undefined) continue;
    const at = path === "" ? key : `${path}.${key}`;
    if (kind.startsWith("enum ")) {
      const names = EGRESS_ENUMS[kind.slice(5)] ?? [];
      // protojson also reads an enum's number; a name this version does not know is a newer server's.
      if (typeof value === "string" && !names.includes(value)) {
        unknownValue(at, value);
        continue;
      }
      entries.push([key, value]);
    } else if (kind === "" || kind === "map") entries.push([key, value]);
    else if (kind.startsWith("[]")) {
      const item = kind.slice(2);
      entries.push([key, Array.isArray(value) ? value.map((v, i) => (isObject(v) ? knownOf(v, item, `${at}[${i}]`, unknownValue) : v)) : value]);
    } else entries.push([key, isObject(value) ? knownOf(value, kind, at, unknownValue) : value]);
  }
  return Object.fromEntries(entries) as JsonObject;
}

/** camelCase -> the server's snake_case (proto names), for the state file. */
export function snakeifyEgress(value: JsonObject): JsonObject {
  return convertObject(value, camelToSnake, false);
}

function isScalarDefault(value: JsonValue): boolean {
  return value === null || value === false || value === "" || value === 0 || (Array.isArray(value) && value.length === 0);
}

function convertObject(obj: JsonObject, rename: (k: string) => string, canonical: boolean): JsonObject {
  const entries: [string, JsonValue][] = [];
  for (const [key, value] of Object.entries(obj)) {
    const camel = snakeToCamel(key);
    // `preset` is a oneof member: 0 (H264_720P_30) selects it and is kept (livekit-sip-api.md §2.6).
    if (canonical && isScalarDefault(value) && !(camel === "preset" && value === 0)) continue;
    const zeroNames = ENUM_ZERO_NAMES[camel];
    if (canonical && zeroNames !== undefined && typeof value === "string" && zeroNames.includes(value)) continue;
    const isMap = MAP_FIELDS.has(camel);
    if (canonical && isMap && isObject(value) && Object.keys(value).length === 0) continue;
    const converted = isMap ? value : convertValue(value, rename, canonical);
    entries.push([rename(key), converted]);
  }
  // fromEntries defines own properties, so a user key like "__proto__" stays data.
  return Object.fromEntries(entries) as JsonObject;
}

function convertValue(value: JsonValue, rename: (k: string) => string, canonical: boolean): JsonValue {
  if (Array.isArray(value)) return value.map((v: JsonValue) => convertValue(v, rename, canonical));
  if (isObject(value)) return convertObject(value, rename, canonical);
  return value;
}

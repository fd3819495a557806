// Pure. The canonical form of a rule (SPEC §4), so that a just-applied plan plans nothing: empty
// values (null, "", 0, false, [], {}) are dropped, sets are sorted, enum numbers and protobuf
// names become the file's names, durations compare by value. Idempotent.
import { FIELD_ORDER, setOwn, type JsonValue, type RuleKind, type RuleSpec } from "../model/index.js";
import { canonicalFormUsable, isPlainObject, sortKeysDeep, sortedKeys } from "./canonical-json.js";

type Loose = Record<string, unknown>;

/** Sets `key` on `out` when `v` is defined (a literal field name: plain assignment is safe). */
function put(out: Loose, key: string, v: unknown): void {
  if (v !== undefined) out[key] = v;
}

/** `out`, or undefined when it has no key. */
function orNone(out: Loose): Loose | undefined {
  for (const _ in out) return out;
  return undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

function bool(v: unknown): true | undefined {
  return v === true ? true : undefined;
}

function num(v: unknown): number | undefined {
  // uint32/int32 are JSON numbers on the wire; a numeric string is accepted defensively.
  const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
  return typeof n === "number" && Number.isFinite(n) && n !== 0 ? n : undefined;
}

/** trunkIds / inboundNumbers / numbers: the server treats them as sets (livekit-sip-api.md §5.2, §5.6). */
function stringSet(v: unknown): string[] | undefined {
  if (!Array.isArray(v) || v.length === 0) return undefined;
  // Common case: only strings, strictly ascending (so no duplicates) -> a plain copy.
  let canonical = typeof v[0] === "string";
  for (let i = 1; canonical && i < v.length; i++) {
    const x: unknown = v[i];
    canonical = typeof x === "string" && (v[i - 1] as string) < x;
  }
  if (canonical) return v.slice() as string[];
  const out = [...new Set(v.filter((x): x is string => typeof x === "string"))].sort();
  return out.length > 0 ? out : undefined;
}

/** map<string,string>: keys sorted; an empty value is dropped (the server's `update` treats "" as delete). */
function stringMap(v: unknown): Record<string, string> | undefined {
  if (!isPlainObject(v)) return undefined;
  const out: Record<string, string> = {};
  let any = false;
  for (const key of sortedKeys(v)) {
    const val = v[key];
    if (typeof val === "string" && val !== "") {
      // Keys are data: "__proto__" needs a real own property.
      if (key === "__proto__") setOwn(out, key, val);
      else out[key] = val;
      any = true;
    }
  }
  return any ? out : undefined;
}

function objectArray(v: unknown, each: (el: unknown) => Loose): Loose[] | undefined {
  if (!Array.isArray(v) || v.length === 0) return undefined;
  // Positions are kept: an element that normalises to {} stays, so indexes in diffs stay meaningful.
  return v.map(each);
}

function normalizeVariant(kind: RuleKind, v: unknown): Loose | undefined {
  if (v === undefined || v === null) return undefined;
  const src = isPlainObject(v) ? v : {};
  // A chosen variant is kept even when empty: the rule kind itself matters.
  const out: Loose = {};
  switch (kind) {
    case "direct":
      put(out, "roomName", str(src.roomName));
      put(out, "pin", str(src.pin));
      return out;
    case "individual":
      put(out, "roomPrefix", str(src.roomPrefix));
      put(out, "pin", str(src.pin));
      put(out, "noRandomness", bool(src.noRandomness));
      return out;
    case "callee":
      put(out, "roomPrefix", str(src.roomPrefix));
      put(out, "pin", str(src.pin));
      put(out, "randomize", bool(src.randomize));
      return out;
  }
}

/** JobRestartPolicy: JRP_ON_FAILURE (0) is the zero value and equals unset. */
function restartPolicy(v: unknown): string | undefined {
  if (v === 1 || v === "JRP_NEVER") return "JRP_NEVER";
  if (v === 0 || v === "JRP_ON_FAILURE" || v === null || v === undefined || v === "") return undefined;
  return typeof v === "string" ? v : undefined;
}

function normalizeAgent(a: unknown): Loose {
  const src = isPlainObject(a) ? a : {};
  const out: Loose = {};
  put(out, "agentName", str(src.agentName));
  put(out, "metadata", str(src.metadata));
  put(out, "restartPolicy", restartPolicy(src.restartPolicy));
  put(out, "deployment", str(src.deployment));
  put(out, "attributes", stringMap(src.attributes));
  return out;
}

function normalizeRoomConfig(v: unknown): Loose | undefined {
  if (!isPlainObject(v)) return undefined;
  const out: Loose = {};
  put(out, "name", str(v.name));
  put(out, "emptyTimeout", num(v.emptyTimeout));
  put(out, "departureTimeout", num(v.departureTimeout));
  put(out, "maxParticipants", num(v.maxParticipants));
  put(out, "metadata", str(v.metadata));
  put(out, "egress", normalizeJson(v.egress, "egress", ""));
  put(out, "minPlayoutDelay", num(v.minPlayoutDelay));
  put(out, "maxPlayoutDelay", num(v.maxPlayoutDelay));
  put(out, "syncStreams", bool(v.syncStreams));
  put(out, "agents", objectArray(v.agents, normalizeAgent));
  put(out, "tags", stringMap(v.tags));
  return orNone(out);
}

/** SIPMediaEncryption by name, number or file name; "disable" (0) equals unset. */
export function normalizeEncryption(v: unknown): "allow" | "require" | undefined {
  if (v === "allow" || v === "SIP_MEDIA_ENCRYPT_ALLOW" || v === 1) return "allow";
  if (v === "require" || v === "SIP_MEDIA_ENCRYPT_REQUIRE" || v === 2) return "require";
  return undefined;
}

const DURATION = /^(-?)(\d+)(?:\.(\d+))?s$/;

/** google.protobuf.Duration JSON: "30s" = "30.000s"; "0s" = "0.000s" is kept (presence). Unparsable strings are kept as given. */
function duration(v: unknown): string | undefined {
  const text = typeof v === "number" ? `${v}s` : v;
  if (typeof text !== "string" || text === "") return undefined;
  const m = DURATION.exec(text.trim());
  if (!m) return text;
  const int = (m[2] ?? "0").replace(/^0+(?=\d)/, "");
  const frac = (m[3] ?? "").replace(/0+$/, "");
  // media_timeout is proto3 `optional`: an explicit 0 is sent and overrides the trunk's timeout;
  // only an absent one inherits (livekit-sip-api.md §2.3).
  if (int === "0" && frac === "") return "0s";
  return `${m[1] ?? ""}${int}${frac === "" ? "" : `.${frac}`}s`;
}

function normalizeCodec(c: unknown): Loose {
  const src = isPlainObject(c) ? c : {};
  const out: Loose = {};
  put(out, "name", str(src.name));
  put(out, "rate", num(src.rate));
  return out;
}

function normalizeMedia(v: unknown, legacyEncryption: unknown): Loose | undefined {
  if (!isPlainObject(v)) {
    // No media object: only the legacy field can give one (the usual case: none at all).
    const encryption = normalizeEncryption(legacyEncryption);
    return encryption === undefined ? undefined : { encryption };
  }
  const src = v;
  // SIPDispatchRuleInfo.Upgrade (livekit-sip-api.md §2.7): the legacy media_encryption is copied
  // into media.encryption only when that is unset; "disable" is the zero value.
  const hasEncryption = src.encryption !== undefined && src.encryption !== null;
  const out: Loose = {};
  put(out, "onlyListedCodecs", bool(src.onlyListedCodecs));
  put(out, "codecs", objectArray(src.codecs, normalizeCodec));
  put(out, "encryption", hasEncryption ? normalizeEncryption(src.encryption) : normalizeEncryption(legacyEncryption));
  put(out, "mediaTimeout", duration(src.mediaTimeout));
  return orNone(out);
}

/**
 * Metadata: a string stays a string ("" = unset); a mapping/sequence keeps its structure with
 * sorted keys (it is sent as compact JSON and compared as parsed JSON, see metadataEqual).
 */
function normalizeMetadata(v: unknown): string | JsonValue | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v === "" || isEmptyJsonText(v) ? undefined : v;
  // An empty mapping or sequence is never sent (SPEC §4: `{}` and `[]` equal absent).
  if (typeof v === "object") return isEmptyJson(v) ? undefined : sortKeysDeep(v as JsonValue);
  return JSON.stringify(v);
}

function allFinite(v: unknown): boolean {
  if (typeof v === "number") return Number.isFinite(v);
  if (Array.isArray(v)) return v.every(allFinite);
  if (isPlainObject(v)) return Object.values(v).every(allFinite);
  return true;
}

/** Parses a metadata string as a JSON object or array; undefined when it is neither. */
export function parseStructuredMetadata(text: string): JsonValue | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) return undefined;
  try {
    const parsed: unknown = JSON.parse(trimmed);
    if (typeof parsed !== "object" || parsed === null) return undefined;
    // Only values that survive a JSON round trip (no 1e400 -> Infinity) count as structured.
    if (!allFinite(parsed)) return undefined;
    return sortKeysDeep(parsed as JsonValue);
  } catch {
    return undefined;
  }
}

/** Metadata equality: strings by value; a mapping/sequence equals a string whose JSON parse is deep-equal. */
export function metadataEqual(a: unknown, b: unknown, deepEq: (x: unknown, y: unknown) => boolean): boolean {
  const x = normalizeMetadata(a);
  const y = normalizeMetadata(b);
  if (x === undefined || y === undefined) return x === y;
  if (typeof x === "string" && typeof y === "string") return x === y;
  if (typeof x !== "string" && typeof y !== "string") return deepEq(x, y);
  const text = (typeof x === "string" ? x : y) as string;
  const structured = typeof x === "string" ? y : x;
  const parsed = parseStructuredMetadata(text);
  return parsed !== undefined && deepEq(parsed, structured);
}

// --- room_config.egress: protobuf JSON passed through; normalised generically -------------------

/** Message fields whose presence matters even when empty (oneof members and RoomEgress parts). */
const KEEP_EMPTY = new Set(["room", "participant", "tracks", "file", "stream", "segments", "advanced", "s3", "gcp", "azure", "aliOSS"]);

const STREAM_PROTOCOL = ["DEFAULT_PROTOCOL", "RTMP", "SRT", "WEBSOCKET"];
const SEGMENTED_PROTOCOL = ["DEFAULT_SEGMENTED_FILE_PROTOCOL", "HLS_PROTOCOL"];
const SEGMENTED_SUFFIX = ["INDEX", "TIMESTAMP"];
const IMAGE_SUFFIX = ["IMAGE_SUFFIX_INDEX", "IMAGE_SUFFIX_TIMESTAMP", "IMAGE_SUFFIX_NONE_OVERWRITE"];

/** Enum value names (index = number) of an egress field, by key and parent key (livekit-sip-api.md §2.6). */
function egressEnum(key: string, parent: string): readonly string[] | undefined {
  switch (key) {
    case "audioMixing":
      return ["DEFAULT_MIXING", "DUAL_CHANNEL_AGENT", "DUAL_CHANNEL_ALTERNATE"];
    case "preset":
      return ["H264_720P_30", "H264_720P_60", "H264_1080P_30", "H264_1080P_60", "PORTRAIT_H264_720P_30", "PORTRAIT_H264_720P_60", "PORTRAIT_H264_1080P_30", "PORTRAIT_H264_1080P_60", "PASSTHROUGH"];
    case "fileType":
      return ["DEFAULT_FILETYPE", "MP4", "OGG", "MP3"];
    case "audioCodec":
      return ["DEFAULT_AC", "OPUS", "AAC", "AC_MP3"];
    case "videoCodec":
      return ["DEFAULT_VC", "H264_BASELINE", "H264_MAIN", "H264_HIGH", "VP8"];
    case "imageCodec":
      return ["IC_DEFAULT", "IC_JPEG"];
    case "protocol":
      return parent === "segments" || parent === "segmentOutputs" ? SEGMENTED_PROTOCOL : STREAM_PROTOCOL;
    case "filenameSuffix":
      return parent === "imageOutputs" ? IMAGE_SUFFIX : SEGMENTED_SUFFIX;
    default:
      return undefined;
  }
}

function camelKey(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function normalizeJson(value: unknown, key: string, parent: string): JsonValue | undefined {
  if (value === undefined || value === null) return undefined;
  const names = egressEnum(key, parent);
  if (names && (typeof value === "number" || typeof value === "string")) {
    const name = typeof value === "number" ? names[value] ?? String(value) : value;
    // `preset` is a oneof member (EncodingOptionsPreset): its zero value H264_720P_30 is a choice
    // the server keeps and lists, not "unset" (livekit-sip-api.md §2.6, §3.1).
    if (key === "preset") return name === "" ? undefined : name;
    return name === names[0] || name === "" ? undefined : name;
  }
  if (typeof value === "string") return value === "" ? undefined : value;
  if (typeof value === "number") return value === 0 ? undefined : value;
  if (typeof value === "boolean") return value ? true : undefined;
  if (Array.isArray(value)) {
    if (value.length === 0) return undefined;
    return value.map((el: unknown) =>
      isPlainObject(el) || el === null ? ((normalizeJson(el ?? {}, key, parent) ?? {}) as JsonValue) : (el as JsonValue),
    );
  }
  if (!isPlainObject(value)) return undefined;
  const out: Record<string, JsonValue> = {};
  // S3Upload.metadata is a user map: its keys are data, not field names.
  const entries = Object.keys(value).map((k) => [key === "metadata" ? k : camelKey(k), value[k]] as const);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [k, v] of entries) {
    const n = normalizeJson(v, k, key);
    if (n !== undefined) setOwn(out, k, n);
  }
  return Object.keys(out).length > 0 || KEEP_EMPTY.has(key) ? out : undefined;
}

// --- the rule ---------------------------------------------------------------------------------

/**
 * The canonical form of a rule. Idempotent; never mutates its input. A spec that is already in
 * canonical form (as the loader and the wire decoder usually give) is returned as it is: its
 * normalisation would be a copy with the same keys, in the same order, and equal values.
 */
export function normalizeRule(spec: RuleSpec): RuleSpec {
  if (isNormalRule(spec)) return spec;
  const s = spec as unknown as Loose;
  // A field already in canonical form is kept as it is, shared with the input (which is never
  // mutated, nor is the result): a rule that is canonical but for a zero value, such as the
  // `hidePhoneNumber: false` an anchor merges into every rule of a large file, costs one object,
  // not a copy of the whole rule (issue 19: at 100,000 rules that copy was about 70 MB of `plan`).
  const usable = canonicalFormUsable();
  const out: Loose = { name: typeof s.name === "string" ? s.name : "" };
  // The variants in RULE_KINDS order, by name.
  put(out, "direct", keptOr(s, "direct", usable, normalizeDirect));
  put(out, "individual", keptOr(s, "individual", usable, normalizeIndividual));
  put(out, "callee", keptOr(s, "callee", usable, normalizeCallee));
  put(out, "trunkIds", keptOr(s, "trunkIds", usable, stringSet));
  put(out, "inboundNumbers", keptOr(s, "inboundNumbers", usable, stringSet));
  put(out, "numbers", keptOr(s, "numbers", usable, stringSet));
  put(out, "hidePhoneNumber", bool(s.hidePhoneNumber));
  put(out, "metadata", keptOr(s, "metadata", usable, normalizeMetadata));
  put(out, "attributes", keptOr(s, "attributes", usable, stringMap));
  put(out, "roomPreset", str(s.roomPreset));
  put(out, "roomConfig", keptOr(s, "roomConfig", usable, normalizeRoomConfig));
  put(out, "krispEnabled", bool(s.krispEnabled));
  // `mediaEncryption` is the deprecated top-level field; it folds into media.encryption.
  put(out, "media", s.mediaEncryption === undefined ? keptOr(s, "media", usable, normalizeMediaAlone) : normalizeMedia(s.media, s.mediaEncryption));
  return out as unknown as RuleSpec;
}

/** `s[key]` when it is already canonical (and canonical form can be told: `usable`), else its normalisation. */
function keptOr(s: Loose, key: string, usable: boolean, normalize: (v: unknown) => unknown): unknown {
  const v = s[key];
  return usable && v !== undefined && isNormalRuleField(key, v) ? v : normalize(v);
}

// The field normalisers keptOr takes, at module level: no closure a rule.
const normalizeDirect = (v: unknown): unknown => normalizeVariant("direct", v);
const normalizeIndividual = (v: unknown): unknown => normalizeVariant("individual", v);
const normalizeCallee = (v: unknown): unknown => normalizeVariant("callee", v);
const normalizeMediaAlone = (v: unknown): unknown => normalizeMedia(v, undefined);

// --- already canonical? ---------------------------------------------------------------------------
//
// isNormalRule(spec) is true only when normalizeRule's long path would build an object with the
// same own keys in the same order and equal values all the way down, from plain objects and
// arrays (Object.prototype, Array.prototype). Anything it does not know to be canonical answers
// false (JSON-valued metadata, egress, numeric strings, ...): the long path then decides. Keys are
// read with for-in, so Object.prototype must have no enumerable key (else: false).

/** The keys each object of a normalised rule may have, in the order normalizeRule writes them. */
const { rule: RULE_KEYS, direct: DIRECT_KEYS, individual: INDIVIDUAL_KEYS, callee: CALLEE_KEYS, roomConfig: ROOM_CONFIG_KEYS, agent: AGENT_KEYS, media: MEDIA_KEYS, codec: CODEC_KEYS } = FIELD_ORDER;

/** The position of `key` in `keys` at or after `from`, or -1: keys must come in that order. */
function keyIndex(keys: readonly string[], key: string, from: number): number {
  for (let i = from; i < keys.length; i++) if (keys[i] === key) return i;
  return -1;
}

function isPlainRecord(v: unknown): v is Loose {
  return typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

function isPlainArray(v: unknown): v is unknown[] {
  return Array.isArray(v) && Object.getPrototypeOf(v) === Array.prototype;
}

function isText(v: unknown): boolean {
  return typeof v === "string" && v !== "";
}

/** An object whose keys are a subsequence of `keys` (in that order), each value passing `valid`; `nonEmpty`: at least one key. */
function hasCanonicalKeys(v: unknown, keys: readonly string[], nonEmpty: boolean, valid: (key: string, value: unknown) => boolean): boolean {
  if (!isPlainRecord(v)) return false;
  let at = 0;
  for (const key in v) {
    const i = keyIndex(keys, key, at);
    if (i < 0 || !valid(key, v[key])) return false;
    at = i + 1;
  }
  return !nonEmpty || at > 0;
}

/** normalizeVariant's result: `keys` in order, flags `true`, the rest non-empty strings (`{}` too). */
function isNormalVariant(v: unknown, keys: readonly string[]): boolean {
  if (!isPlainRecord(v)) return false;
  let at = 0;
  for (const key in v) {
    const i = keyIndex(keys, key, at);
    if (i < 0) return false;
    const value = v[key];
    if (key === "randomize" || key === "noRandomness" ? value !== true : !isText(value)) return false;
    at = i + 1;
  }
  return true;
}

/** stringSet's result: a non-empty array of strings in strictly ascending order. */
function isNormalSet(v: unknown): boolean {
  if (!isPlainArray(v) || v.length === 0 || typeof v[0] !== "string") return false;
  for (let i = 1; i < v.length; i++) {
    const x: unknown = v[i];
    if (typeof x !== "string" || !((v[i - 1] as string) < x)) return false;
  }
  return true;
}

/** stringMap's result: keys in strictly ascending order (so sortedKeys keeps them), non-empty string values. */
function isNormalStringMap(v: unknown): boolean {
  if (!isPlainRecord(v)) return false;
  let prev: string | undefined;
  for (const key in v) {
    if ((prev !== undefined && !(prev < key)) || !isText(v[key])) return false;
    prev = key;
  }
  return prev !== undefined;
}

function isNormalNumber(v: unknown): boolean {
  return typeof v === "number" && Number.isFinite(v) && v !== 0;
}

/** objectArray's result: a non-empty array of canonical elements (each may be `{}`). */
function isNormalObjectArray(v: unknown, element: (el: unknown) => boolean): boolean {
  if (!isPlainArray(v) || v.length === 0) return false;
  for (let i = 0; i < v.length; i++) if (!element(v[i])) return false;
  return true;
}

function isNormalAgentField(key: string, v: unknown): boolean {
  if (key === "attributes") return isNormalStringMap(v);
  if (key === "restartPolicy") return isText(v) && v !== "JRP_ON_FAILURE";
  return isText(v);
}

function isNormalAgent(a: unknown): boolean {
  return hasCanonicalKeys(a, AGENT_KEYS, false, isNormalAgentField);
}

function isNormalRoomConfigField(key: string, v: unknown): boolean {
  switch (key) {
    case "name":
    case "metadata":
      return isText(v);
    case "syncStreams":
      return v === true;
    case "agents":
      return isNormalObjectArray(v, isNormalAgent);
    case "tags":
      return isNormalStringMap(v);
    case "egress":
      return false; // passed-through protobuf JSON: the long path normalises it
    default:
      return isNormalNumber(v);
  }
}

function isNormalCodecField(key: string, v: unknown): boolean {
  return key === "rate" ? isNormalNumber(v) : isText(v);
}

function isNormalCodec(c: unknown): boolean {
  return hasCanonicalKeys(c, CODEC_KEYS, false, isNormalCodecField);
}

function isNormalMediaField(key: string, v: unknown): boolean {
  switch (key) {
    case "onlyListedCodecs":
      return v === true;
    case "codecs":
      return isNormalObjectArray(v, isNormalCodec);
    case "encryption":
      return v === "allow" || v === "require";
    default:
      return typeof v === "string" && duration(v) === v;
  }
}

function isNormalRuleField(key: string, v: unknown): boolean {
  switch (key) {
    case "name":
      return typeof v === "string";
    case "direct":
      return isNormalVariant(v, DIRECT_KEYS);
    case "individual":
      return isNormalVariant(v, INDIVIDUAL_KEYS);
    case "callee":
      return isNormalVariant(v, CALLEE_KEYS);
    case "trunkIds":
    case "inboundNumbers":
    case "numbers":
      return isNormalSet(v);
    case "hidePhoneNumber":
    case "krispEnabled":
      return v === true;
    case "metadata":
      return isText(v) && !isEmptyJsonText(v as string);
    case "roomPreset":
      return isText(v);
    case "attributes":
      return isNormalStringMap(v);
    case "roomConfig":
      return hasCanonicalKeys(v, ROOM_CONFIG_KEYS, true, isNormalRoomConfigField);
    default:
      return hasCanonicalKeys(v, MEDIA_KEYS, true, isNormalMediaField);
  }
}

/** True when normalizeRule(spec) would be a copy of `spec`: the same keys, order and values. */
function isNormalRule(spec: RuleSpec): boolean {
  if (!canonicalFormUsable()) return false;
  const s: unknown = spec;
  // `name` is always written, and first.
  if (!isPlainRecord(s) || typeof s.name !== "string") return false;
  let at = 0;
  for (const key in s) {
    const i = keyIndex(RULE_KEYS, key, at);
    if (i < 0 || !isNormalRuleField(key, s[key])) return false;
    at = i + 1;
  }
  return true;
}

function isEmptyJson(v: object): boolean {
  if (Array.isArray(v)) return v.length === 0;
  for (const k in v) if (Object.hasOwn(v, k)) return false;
  return true;
}

/** "{}" or "[]" (any spacing): the JSON of an empty mapping or sequence, which equals absent (SPEC §4). */
export function isEmptyJsonText(v: string): boolean {
  const c = v.charCodeAt(0);
  // Only text that starts like JSON is looked at (the usual metadata is neither).
  if (c !== 0x7b && c !== 0x5b && c !== 0x20 && c !== 0x0a && c !== 0x09 && c !== 0x0d) return false;
  return /^\s*(?:\{\s*\}|\[\s*\])\s*$/.test(v);
}

// Reference copy of src/core/normalize.ts as it was before the planner speed-up (commit 415d88c), kept
// unchanged so that the property tests can check the fast planner against it. Not product code.
// Pure. The canonical form of a rule (SPEC §4), so that a just-applied plan plans nothing: empty
// values (null, "", 0, false, [], {}) are dropped, sets are sorted, enum numbers and protobuf
// names become the file's names, durations compare by value. Idempotent.
import { RULE_KINDS, type JsonValue, type RuleKind, type RuleSpec } from "../../../src/model/index.js";
import { isPlainObject, setOwn, sortKeysDeep } from "./canonical-json.js";

type Loose = Record<string, unknown>;

/** An object of the defined entries, or undefined when none is left (unless keepEmpty). */
function compact(entries: Loose, keepEmpty = false): Loose | undefined {
  const out: Loose = {};
  for (const [k, v] of Object.entries(entries)) if (v !== undefined) out[k] = v;
  return keepEmpty || Object.keys(out).length > 0 ? out : undefined;
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
  if (!Array.isArray(v)) return undefined;
  const out = [...new Set(v.filter((x): x is string => typeof x === "string"))].sort();
  return out.length > 0 ? out : undefined;
}

/** map<string,string>: keys sorted; an empty value is dropped (the server's `update` treats "" as delete). */
function stringMap(v: unknown): Record<string, string> | undefined {
  if (!isPlainObject(v)) return undefined;
  const out: Record<string, string> = {};
  for (const key of Object.keys(v).sort()) {
    const val = v[key];
    if (typeof val === "string" && val !== "") setOwn(out, key, val);
  }
  return Object.keys(out).length > 0 ? out : undefined;
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
  switch (kind) {
    case "direct":
      return compact({ roomName: str(src.roomName), pin: str(src.pin) }, true);
    case "individual":
      return compact({ roomPrefix: str(src.roomPrefix), pin: str(src.pin), noRandomness: bool(src.noRandomness) }, true);
    case "callee":
      return compact({ roomPrefix: str(src.roomPrefix), pin: str(src.pin), randomize: bool(src.randomize) }, true);
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
  return compact(
    {
      agentName: str(src.agentName),
      metadata: str(src.metadata),
      restartPolicy: restartPolicy(src.restartPolicy),
      deployment: str(src.deployment),
      attributes: stringMap(src.attributes),
    },
    true,
  ) as Loose;
}

function normalizeRoomConfig(v: unknown): Loose | undefined {
  if (!isPlainObject(v)) return undefined;
  return compact({
    name: str(v.name),
    emptyTimeout: num(v.emptyTimeout),
    departureTimeout: num(v.departureTimeout),
    maxParticipants: num(v.maxParticipants),
    metadata: str(v.metadata),
    egress: normalizeJson(v.egress, "egress", ""),
    minPlayoutDelay: num(v.minPlayoutDelay),
    maxPlayoutDelay: num(v.maxPlayoutDelay),
    syncStreams: bool(v.syncStreams),
    agents: objectArray(v.agents, normalizeAgent),
    tags: stringMap(v.tags),
  });
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
  return compact({ name: str(src.name), rate: num(src.rate) }, true) as Loose;
}

function normalizeMedia(v: unknown, legacyEncryption: unknown): Loose | undefined {
  const src = isPlainObject(v) ? v : {};
  // SIPDispatchRuleInfo.Upgrade (livekit-sip-api.md §2.7): the legacy media_encryption is copied
  // into media.encryption only when that is unset; "disable" is the zero value.
  const hasEncryption = src.encryption !== undefined && src.encryption !== null;
  return compact({
    onlyListedCodecs: bool(src.onlyListedCodecs),
    codecs: objectArray(src.codecs, normalizeCodec),
    encryption: hasEncryption ? normalizeEncryption(src.encryption) : normalizeEncryption(legacyEncryption),
    mediaTimeout: duration(src.mediaTimeout),
  });
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

/** The canonical form of a rule. Idempotent; never mutates its input. */
export function normalizeRule(spec: RuleSpec): RuleSpec {
  const s = spec as unknown as Loose;
  const out: Loose = { name: typeof s.name === "string" ? s.name : "" };
  for (const kind of RULE_KINDS) {
    const v = normalizeVariant(kind, s[kind]);
    if (v !== undefined) out[kind] = v;
  }
  const rest = compact({
    trunkIds: stringSet(s.trunkIds),
    inboundNumbers: stringSet(s.inboundNumbers),
    numbers: stringSet(s.numbers),
    hidePhoneNumber: bool(s.hidePhoneNumber),
    metadata: normalizeMetadata(s.metadata),
    attributes: stringMap(s.attributes),
    roomPreset: str(s.roomPreset),
    roomConfig: normalizeRoomConfig(s.roomConfig),
    krispEnabled: bool(s.krispEnabled),
    // `mediaEncryption` is the deprecated top-level field; it folds into media.encryption.
    media: normalizeMedia(s.media, s.mediaEncryption),
  });
  return { ...out, ...rest } as unknown as RuleSpec;
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

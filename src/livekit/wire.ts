// Pure. RuleSpec (the file's camelCase form) <-> SIPDispatchRuleInfo protobuf JSON. The only file
// that knows the wire field names (livekit-sip-api.md §2.2-§2.8); nothing else builds or reads them.
import {
  ApiError,
  InternalError,
  jsonLine,
  ruleKindOf,
  type CalleeDispatch,
  type DirectDispatch,
  type IndividualDispatch,
  type JsonObject,
  type MediaConfig,
  type MediaEncryption,
  type RemoteRule,
  type RestartPolicy,
  type RoomAgentDispatch,
  type RoomConfig,
  type RuleSpec,
  type SipCodec,
} from "../model/index.js";
import { canonicalEgress, knownEgress, snakeifyEgress } from "./wire-egress.js";
import { keptFields, overlayReplace } from "./wire-raw.js";
import { RawBytes } from "./list-stream.js";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type WireObject = Record<string, unknown>;

/** A server (or state file) value that does not have the shape of its protobuf message. */
export class WireShapeError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(path === "" ? message : `${path}: ${message}`);
    this.name = "WireShapeError";
    this.path = path;
  }
}

const ENCRYPTION_TO_WIRE = {
  disable: "SIP_MEDIA_ENCRYPT_DISABLE",
  allow: "SIP_MEDIA_ENCRYPT_ALLOW",
  require: "SIP_MEDIA_ENCRYPT_REQUIRE",
} as const satisfies Record<MediaEncryption, string>;
const ENCRYPTION_BY_NUMBER: readonly MediaEncryption[] = ["disable", "allow", "require"];
const RESTART_POLICY_BY_NUMBER: readonly RestartPolicy[] = ["JRP_ON_FAILURE", "JRP_NEVER"];

// The SIPDispatchRule oneof (§2.2): file key -> [proto name, JSON name].
const VARIANTS = {
  direct: ["dispatch_rule_direct", "dispatchRuleDirect"],
  individual: ["dispatch_rule_individual", "dispatchRuleIndividual"],
  callee: ["dispatch_rule_callee", "dispatchRuleCallee"],
} as const;

// ---------------------------------------------------------------------------------------------
// Encode: camelCase JSON names, default values omitted, enums as names — what the Node SDK's
// `toJson()` sends (§3.2). Keys follow field-number order like protobuf-es output.
// ---------------------------------------------------------------------------------------------

/** SIPDispatchRuleInfo request JSON for `dispatch_rule` (Create) and `replace` (Update). No ID. */
export function encodeRuleInfo(spec: RuleSpec): Record<string, unknown> {
  const out: WireObject = {};
  out.rule = encodeRule(spec);
  putList(out, "trunkIds", spec.trunkIds);
  if (spec.hidePhoneNumber === true) out.hidePhoneNumber = true;
  putString(out, "name", spec.name);
  putString(out, "metadata", metadataString(spec.metadata));
  putList(out, "inboundNumbers", spec.inboundNumbers);
  putMap(out, "attributes", spec.attributes);
  putString(out, "roomPreset", spec.roomPreset);
  if (spec.roomConfig !== undefined) putObject(out, "roomConfig", encodeRoomConfig(spec.roomConfig));
  if (spec.krispEnabled === true) out.krispEnabled = true;
  // Mirror a non-default encryption into the deprecated field: servers before v1.12.0 have no
  // `media` and drop it silently; newer ones keep both consistent (§2.7, §6).
  const encryption = spec.media?.encryption;
  if (encryption === "allow" || encryption === "require") out.mediaEncryption = ENCRYPTION_TO_WIRE[encryption];
  putList(out, "numbers", spec.numbers);
  if (spec.media !== undefined) putObject(out, "media", encodeMedia(spec.media));
  return out;
}

/**
 * UpdateSIPDispatchRule's `replace` body (§5.3: a full replacement, every absent field cleared):
 * the rule as listed (`raw`) with the managed fields overlaid, so fields this version does not
 * know are carried, never cleared (SPEC §4). Without `raw` it is the managed encoding alone.
 */
export function encodeReplace(spec: RuleSpec, raw: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  const managed = encodeRuleInfo(spec);
  return raw === undefined ? managed : overlayReplace(raw, managed);
}

/** The fields a pre-v1.9.0 server's legacy top-level Create form can carry (§2.7). */
const LEGACY_CREATE_FIELDS = ["rule", "trunkIds", "hidePhoneNumber", "name", "metadata", "inboundNumbers", "attributes", "roomPreset", "roomConfig"] as const;

/**
 * The legacy top-level CreateSIPDispatchRuleRequest (§2.7, §6), and the file keys that form
 * cannot carry (non-empty `numbers`, `krispEnabled`, `media`).
 */
export function encodeLegacyCreate(spec: RuleSpec): { readonly body: Record<string, unknown>; readonly unsupported: readonly string[] } {
  const info = encodeRuleInfo(spec);
  const body: WireObject = {};
  for (const key of LEGACY_CREATE_FIELDS) if (info[key] !== undefined) body[key] = info[key];
  const unsupported: string[] = [];
  if (info.numbers !== undefined) unsupported.push("numbers");
  if (info.krispEnabled !== undefined) unsupported.push("krispEnabled");
  if (info.media !== undefined || info.mediaEncryption !== undefined) unsupported.push("media");
  return { body, unsupported };
}

function encodeRule(spec: RuleSpec): WireObject {
  const kind = ruleKindOf(spec);
  switch (kind) {
    case "direct": {
      const v: DirectDispatch = spec.direct ?? {};
      const out: WireObject = {};
      putString(out, "roomName", v.roomName);
      putString(out, "pin", v.pin);
      return { [VARIANTS.direct[1]]: out };
    }
    case "individual": {
      const v: IndividualDispatch = spec.individual ?? {};
      const out: WireObject = {};
      putString(out, "roomPrefix", v.roomPrefix);
      putString(out, "pin", v.pin);
      if (v.noRandomness === true) out.noRandomness = true;
      return { [VARIANTS.individual[1]]: out };
    }
    case "callee": {
      const v: CalleeDispatch = spec.callee ?? {};
      const out: WireObject = {};
      putString(out, "roomPrefix", v.roomPrefix);
      putString(out, "pin", v.pin);
      if (v.randomize === true) out.randomize = true;
      return { [VARIANTS.callee[1]]: out };
    }
    case undefined:
      throw new InternalError(`rule "${spec.name}" has no dispatch type (direct, individual or callee)`);
  }
}

function encodeRoomConfig(rc: RoomConfig): WireObject {
  const out: WireObject = {};
  putString(out, "name", rc.name);
  putNumber(out, "emptyTimeout", rc.emptyTimeout);
  putNumber(out, "departureTimeout", rc.departureTimeout);
  putNumber(out, "maxParticipants", rc.maxParticipants);
  if (rc.egress !== undefined) putObject(out, "egress", canonicalEgress(rc.egress));
  putNumber(out, "minPlayoutDelay", rc.minPlayoutDelay);
  putNumber(out, "maxPlayoutDelay", rc.maxPlayoutDelay);
  if (rc.syncStreams === true) out.syncStreams = true;
  if (rc.agents !== undefined && rc.agents.length > 0) out.agents = rc.agents.map(encodeAgent);
  putString(out, "metadata", rc.metadata);
  putMap(out, "tags", rc.tags);
  return out;
}

function encodeAgent(a: RoomAgentDispatch): WireObject {
  const out: WireObject = {};
  putString(out, "agentName", a.agentName);
  putString(out, "metadata", a.metadata);
  if (a.restartPolicy !== undefined && a.restartPolicy !== "JRP_ON_FAILURE") out.restartPolicy = a.restartPolicy;
  putString(out, "deployment", a.deployment);
  putMap(out, "attributes", a.attributes);
  return out;
}

function encodeMedia(m: MediaConfig): WireObject {
  const out: WireObject = {};
  if (m.onlyListedCodecs === true) out.onlyListedCodecs = true;
  if (m.codecs !== undefined && m.codecs.length > 0) {
    out.codecs = m.codecs.map((c) => {
      const codec: WireObject = {};
      putString(codec, "name", c.name);
      putNumber(codec, "rate", c.rate);
      return codec;
    });
  }
  // `encryption` and `media_timeout` are proto3 `optional`: presence is kept, like the SDK does (§3.2).
  if (m.encryption !== undefined) out.encryption = ENCRYPTION_TO_WIRE[m.encryption];
  if (m.mediaTimeout !== undefined) out.mediaTimeout = m.mediaTimeout;
  return out;
}

/** A mapping or sequence is sent as compact JSON (SPEC §2); an empty one equals absent. */
function metadataString(m: RuleSpec["metadata"]): string | undefined {
  if (m === undefined || typeof m === "string") return m;
  const empty = Array.isArray(m) ? m.length === 0 : Object.keys(m).length === 0;
  return empty ? undefined : JSON.stringify(m);
}

function putString(out: WireObject, key: string, v: string | undefined): void {
  if (v !== undefined && v !== "") out[key] = v;
}
function putNumber(out: WireObject, key: string, v: number | undefined): void {
  if (v !== undefined && v !== 0) out[key] = v;
}
function putList(out: WireObject, key: string, v: readonly string[] | undefined): void {
  if (v !== undefined && v.length > 0) out[key] = [...v];
}
function putMap(out: WireObject, key: string, v: Readonly<Record<string, string>> | undefined): void {
  if (v !== undefined && Object.keys(v).length > 0) out[key] = { ...v };
}
function putObject(out: WireObject, key: string, v: WireObject): void {
  if (Object.keys(v).length > 0) out[key] = v;
}

// ---------------------------------------------------------------------------------------------
// Decode: snake_case or camelCase keys, `null` = unset, unknown fields ignored (§3.1). The zero
// values a server emits for unset fields ("", false, [], {}; protojson writes them all, §3.3)
// are dropped, as SPEC §4 reads them as unset: a rule as servers list it then decodes to core's
// canonical form, which the normaliser takes as it is. Enums are mapped to the file's names and
// the legacy `media_encryption` is folded; `media` keeps what was sent (its `encryption` is
// proto3 optional: presence matters, §2.7). Every shape error is a WireShapeError with a path.
// ---------------------------------------------------------------------------------------------

/**
 * Values this version cannot read, collected while one rule decodes (decoding is synchronous and
 * one rule at a time): `file path: value`. An unknown enum value or rule type is no shape error
 * (a newer server, SPEC §4): the rule is held opaque, and only a change to it is refused.
 */
let opaqueSink: { at: string; found: string[] } | undefined;

function holdOpaque(path: string, value: unknown): void {
  if (opaqueSink === undefined) throw new WireShapeError(path, `unknown value ${describe(value)}`);
  const rel = path.startsWith(`${opaqueSink.at}.`) ? path.slice(opaqueSink.at.length + 1) : path;
  opaqueSink.found.push(`${filePath(rel)}: ${describe(value)}`);
}

/** `room_config.agents[0].restart_policy` -> `roomConfig.agents[0].restartPolicy`. */
function filePath(wirePath: string): string {
  return wirePath.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/**
 * One SIPDispatchRuleInfo as a server emits it -> RemoteRule, with its raw JSON kept (non-enumerable).
 * `rawBytes`: the item's own JSON bytes (a streamed List, list-stream.ts); `raw` is then parsed
 * from them when first read, instead of holding `json` (the parsed tree) for every listed rule.
 */
export function decodeRuleInfoAt(json: unknown, path: string, rawBytes?: RawBytes): RemoteRule {
  const obj = asObject(json, path, "a dispatch rule object");
  const id = str(obj, "sip_dispatch_rule_id", path);
  if (id === undefined || id === "") throw new WireShapeError(path, "rule has no sip_dispatch_rule_id");
  const at = `${path}(${id})`;
  const sink = { at, found: [] as string[] };
  opaqueSink = sink;
  let spec: RuleSpec;
  try {
    spec = decodeSpec(obj, at);
  } finally {
    opaqueSink = undefined;
  }
  return new ListedRule(id, spec, rawBytes ?? obj, sink.found.length === 0 ? undefined : sink.found);
}

/**
 * A RemoteRule as listed. `raw` (the rule's JSON) and `kept` (computed from it, only when read:
 * the planner asks for updated rules only) live on the prototype over private fields, so
 * equality, spreads and JSON of a rule see `id`, `spec` and (when set) `opaque` only, and the
 * list's hot path pays one object per rule and no walk of its keys.
 */
class ListedRule implements RemoteRule {
  readonly id: string;
  readonly spec: RuleSpec;
  declare readonly opaque?: readonly string[];
  #raw: Readonly<Record<string, unknown>> | RawBytes;
  #kept: readonly string[] | null | undefined;
  constructor(id: string, spec: RuleSpec, raw: Readonly<Record<string, unknown>> | RawBytes, opaque: readonly string[] | undefined) {
    this.id = id;
    this.spec = spec;
    if (opaque !== undefined) (this as { opaque?: readonly string[] }).opaque = opaque;
    this.#raw = raw;
  }
  get raw(): Readonly<Record<string, unknown>> {
    // Bytes of a streamed List: parsed on first read (the JSON.parse value of the item, as
    // before), then held; the plan reads it only for the rules it updates.
    if (this.#raw instanceof RawBytes) this.#raw = JSON.parse(this.#raw.text()) as Readonly<Record<string, unknown>>;
    return this.#raw;
  }
  get kept(): readonly string[] | undefined {
    if (this.#kept === undefined) {
      const found = keptFields(this.raw);
      this.#kept = found.length === 0 ? null : found;
    }
    return this.#kept ?? undefined;
  }
  keptFor(desired: RuleSpec): readonly string[] | undefined {
    // Exactly what the replace body carries (encodeReplace's overlay), read back by keptFields.
    if (this.kept === undefined) return undefined;
    const found = keptFields(overlayReplace(this.raw, encodeRuleInfo(desired)));
    return found.length === 0 ? undefined : found;
  }
}

function decodeSpec(obj: Readonly<WireObject>, at: string): RuleSpec {
  // Keys in the order core's normaliser writes them (name, rule kind, lists, flags, ...).
  const spec: Mutable<RuleSpec> = { name: str(obj, "name", at) ?? "" };
  Object.assign(spec, decodeRule(get(obj, "rule"), at));
  putSome(spec, "trunkIds", strList(obj, "trunk_ids", at));
  putSome(spec, "inboundNumbers", strList(obj, "inbound_numbers", at));
  putSome(spec, "numbers", strList(obj, "numbers", at));
  putSome(spec, "hidePhoneNumber", bool(obj, "hide_phone_number", at));
  putSome(spec, "metadata", str(obj, "metadata", at));
  putSome(spec, "attributes", strMap(obj, "attributes", at));
  putSome(spec, "roomPreset", str(obj, "room_preset", at));
  const roomConfig = get(obj, "room_config");
  if (roomConfig !== undefined) putSome(spec, "roomConfig", decodeRoomConfig(roomConfig, `${at}.room_config`));
  putSome(spec, "krispEnabled", bool(obj, "krisp_enabled", at));
  const mediaJson = get(obj, "media");
  let media = mediaJson === undefined ? undefined : decodeMedia(mediaJson, `${at}.media`);
  // §2.7: the deprecated media_encryption counts only when media.encryption is unset and it is
  // not DISABLE (the zero value means "unset" to the server's Upgrade()).
  const legacy = enumValue(obj, "media_encryption", at, decodeEncryption);
  if (legacy !== undefined && legacy !== "disable" && media?.encryption === undefined) {
    media = { ...media, encryption: legacy };
  }
  if (media !== undefined) spec.media = media;
  // created_at / updated_at are server-owned and not part of a RuleSpec (SPEC §2).
  return spec;
}

/** Sets `key` unless `v` is unset or a zero value: "", false, 0, an empty list or object. */
function putSome<T extends object, K extends keyof T>(out: T, key: K, v: T[K] | undefined): void {
  if (v === undefined || v === "" || v === false || v === 0) return;
  if (typeof v === "object" && v !== null) {
    if (Array.isArray(v)) {
      if (v.length === 0) return;
    } else if (isEmptyObject(v)) return;
  }
  out[key] = v;
}

function isEmptyObject(v: object): boolean {
  for (const key in v) if (Object.hasOwn(v, key)) return false;
  return true;
}

/** The `items` of a ListSIPDispatchRuleResponse; a missing or non-list `items` is a shape error. */
export function decodeListItems(json: unknown): readonly unknown[] {
  const obj = asObject(json, "", "a ListSIPDispatchRuleResponse object");
  const items = get(obj, "items");
  if (items === undefined) throw new WireShapeError("", 'the list response has no "items"');
  if (!Array.isArray(items)) throw new WireShapeError("items", "not a list");
  return items;
}

function decodeRule(json: unknown, at: string): Pick<RuleSpec, "direct" | "individual" | "callee"> {
  const path = `${at}.rule`;
  if (json === undefined) throw new WireShapeError(path, "missing (a rule needs direct, individual or callee)");
  const obj = asObject(json, path, "a SIPDispatchRule object");
  const found = (Object.keys(VARIANTS) as (keyof typeof VARIANTS)[]).filter((k) => get(obj, VARIANTS[k][0]) !== undefined);
  if (found.length > 1) throw new WireShapeError(path, `more than one dispatch rule type set (${found.join(", ")})`);
  const kind = found[0];
  if (kind === undefined) {
    const other = Object.keys(obj).filter((k) => obj[k] !== null);
    if (other.length === 0) throw new WireShapeError(path, "no dispatch rule type set");
    // A rule type this version does not know (a newer server): held opaque, no error (SPEC §4).
    if (opaqueSink === undefined) throw new WireShapeError(path, `unknown dispatch rule type ${other.map((k) => JSON.stringify(k)).join(", ")}`);
    opaqueSink.found.push(`rule type: unknown ${other.map((k) => JSON.stringify(k)).join(", ")}`);
    return {};
  }
  const vPath = `${path}.${VARIANTS[kind][0]}`;
  const v = asObject(get(obj, VARIANTS[kind][0]), vPath, "an object");
  switch (kind) {
    case "direct": {
      const out: Mutable<DirectDispatch> = {};
      putSome(out, "roomName", str(v, "room_name", vPath));
      putSome(out, "pin", str(v, "pin", vPath));
      return { direct: out };
    }
    case "individual": {
      const out: Mutable<IndividualDispatch> = {};
      putSome(out, "roomPrefix", str(v, "room_prefix", vPath));
      putSome(out, "pin", str(v, "pin", vPath));
      putSome(out, "noRandomness", bool(v, "no_randomness", vPath));
      return { individual: out };
    }
    case "callee": {
      const out: Mutable<CalleeDispatch> = {};
      putSome(out, "roomPrefix", str(v, "room_prefix", vPath));
      putSome(out, "pin", str(v, "pin", vPath));
      putSome(out, "randomize", bool(v, "randomize", vPath));
      return { callee: out };
    }
  }
}

function decodeRoomConfig(json: unknown, path: string): RoomConfig {
  const obj = asObject(json, path, "a RoomConfiguration object");
  const out: Mutable<RoomConfig> = {};
  putSome(out, "name", str(obj, "name", path));
  putSome(out, "emptyTimeout", uint(obj, "empty_timeout", path));
  putSome(out, "departureTimeout", uint(obj, "departure_timeout", path));
  putSome(out, "maxParticipants", uint(obj, "max_participants", path));
  putSome(out, "metadata", str(obj, "metadata", path));
  const egress = get(obj, "egress");
  // Only the fields this version knows (issue #12): the rest stays in the raw rule, carried by
  // replace and listed as kept; an unknown enum name holds the rule opaque (SPEC §4).
  if (egress !== undefined) out.egress = knownEgress(asObject(egress, `${path}.egress`, "a RoomEgress object") as JsonObject, (at, v) => holdOpaque(`${path}.egress.${at}`, v));
  putSome(out, "minPlayoutDelay", uint(obj, "min_playout_delay", path));
  putSome(out, "maxPlayoutDelay", uint(obj, "max_playout_delay", path));
  putSome(out, "syncStreams", bool(obj, "sync_streams", path));
  const agents = get(obj, "agents");
  if (agents !== undefined) {
    if (!Array.isArray(agents)) throw new WireShapeError(`${path}.agents`, "not a list");
    // Agents keep their places (an empty one included): a diff path names an agent by index.
    if (agents.length > 0) out.agents = agents.map((a, i) => decodeAgent(a, `${path}.agents[${i}]`));
  }
  putSome(out, "tags", strMap(obj, "tags", path));
  return out;
}

function decodeAgent(json: unknown, path: string): RoomAgentDispatch {
  const obj = asObject(json, path, "a RoomAgentDispatch object");
  const out: Mutable<RoomAgentDispatch> = {};
  putSome(out, "agentName", str(obj, "agent_name", path));
  putSome(out, "metadata", str(obj, "metadata", path));
  const restartPolicy = enumValue(obj, "restart_policy", path, decodeRestartPolicy);
  // JRP_ON_FAILURE is the enum's zero value.
  if (restartPolicy !== undefined && restartPolicy !== "JRP_ON_FAILURE") out.restartPolicy = restartPolicy;
  putSome(out, "deployment", str(obj, "deployment", path));
  putSome(out, "attributes", strMap(obj, "attributes", path));
  return out;
}

function decodeMedia(json: unknown, path: string): MediaConfig {
  const obj = asObject(json, path, "a SIPMediaConfig object");
  const out: Mutable<MediaConfig> = {};
  const onlyListedCodecs = bool(obj, "only_listed_codecs", path);
  if (onlyListedCodecs !== undefined) out.onlyListedCodecs = onlyListedCodecs;
  const codecs = get(obj, "codecs");
  if (codecs !== undefined) {
    if (!Array.isArray(codecs)) throw new WireShapeError(`${path}.codecs`, "not a list");
    out.codecs = codecs.map((c, i): SipCodec => {
      const cPath = `${path}.codecs[${i}]`;
      const codec = asObject(c, cPath, "a SIPCodec object");
      const rate = uint(codec, "rate", cPath);
      return { name: str(codec, "name", cPath) ?? "", ...(rate === undefined ? {} : { rate }) };
    });
  }
  const encryption = enumValue(obj, "encryption", path, decodeEncryption);
  if (encryption !== undefined) out.encryption = encryption;
  const mediaTimeout = str(obj, "media_timeout", path);
  if (mediaTimeout !== undefined) out.mediaTimeout = mediaTimeout;
  return out;
}

function decodeEncryption(v: string | number): MediaEncryption | undefined {
  if (typeof v === "number") return ENCRYPTION_BY_NUMBER[v];
  return (Object.keys(ENCRYPTION_TO_WIRE) as MediaEncryption[]).find((k) => ENCRYPTION_TO_WIRE[k] === v);
}

function decodeRestartPolicy(v: string | number): RestartPolicy | undefined {
  if (typeof v === "number") return RESTART_POLICY_BY_NUMBER[v];
  return RESTART_POLICY_BY_NUMBER.find((p) => p === v);
}

// --- readers: each takes the proto (snake) name and also accepts the JSON (camel) name --------

/** JSON names by proto name: the readers ask for the same few dozen fields for every rule. */
const CAMEL_NAMES = new Map<string, string>();

function camelOf(snake: string): string {
  let camel = CAMEL_NAMES.get(snake);
  if (camel === undefined) {
    camel = snake.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
    CAMEL_NAMES.set(snake, camel);
  }
  return camel;
}

/**
 * The field under its proto or JSON name; null counts as unset. Own properties only: a value is
 * read first and its ownership checked only when there is one (most fields of a listed rule are
 * absent, and each check was a lookup with a computed key: a double lookup per field).
 */
function get(obj: Readonly<WireObject>, snake: string): unknown {
  const v = obj[snake];
  if (v !== undefined && v !== null && Object.hasOwn(obj, snake)) return v;
  const camel = camelOf(snake);
  if (camel === snake) return undefined;
  const w = obj[camel];
  return w !== undefined && w !== null && Object.hasOwn(obj, camel) ? w : undefined;
}

function asObject(v: unknown, path: string, what: string): Readonly<WireObject> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new WireShapeError(path, `expected ${what}, got ${describe(v)}`);
  return v as WireObject;
}

function str(obj: Readonly<WireObject>, snake: string, path: string): string | undefined {
  const v = get(obj, snake);
  if (v === undefined || typeof v === "string") return v;
  // A pin is a secret even when it is malformed: its type is named, never its value.
  const got = snake === "pin" ? describeType(v) : describe(v);
  throw new WireShapeError(`${path}.${snake}`, `expected a string, got ${got}`);
}

/** What a value is, without any of it: for values that may be secrets. */
function describeType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  return `a ${typeof v} (value not shown: it is a pin)`;
}

function bool(obj: Readonly<WireObject>, snake: string, path: string): boolean | undefined {
  const v = get(obj, snake);
  if (v === undefined || typeof v === "boolean") return v;
  throw new WireShapeError(`${path}.${snake}`, `expected true or false, got ${describe(v)}`);
}

/** uint32: a JSON number, or a numeric string (protojson accepts both). */
function uint(obj: Readonly<WireObject>, snake: string, path: string): number | undefined {
  const v = get(obj, snake);
  if (v === undefined) return undefined;
  const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= 0xffffffff) return n;
  throw new WireShapeError(`${path}.${snake}`, `expected an unsigned 32-bit integer, got ${describe(v)}`);
}

function strList(obj: Readonly<WireObject>, snake: string, path: string): readonly string[] | undefined {
  const v = get(obj, snake);
  if (v === undefined) return undefined;
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
  throw new WireShapeError(`${path}.${snake}`, `expected a list of strings, got ${describe(v)}`);
}

/** map<string, string>: keys are user data and are never renamed. */
function strMap(obj: Readonly<WireObject>, snake: string, path: string): Readonly<Record<string, string>> | undefined {
  const v = get(obj, snake);
  if (v === undefined) return undefined;
  const m = asObject(v, `${path}.${snake}`, "a map of strings");
  let out: Record<string, string> | undefined;
  for (const key of Object.keys(m)) {
    const x = m[key];
    if (typeof x !== "string") throw new WireShapeError(`${path}.${snake}`, "expected a map of strings");
    out ??= {};
    // "__proto__" is a key like any other here: an own property, not the prototype.
    if (key === "__proto__") Object.defineProperty(out, key, { value: x, enumerable: true, writable: true, configurable: true });
    else out[key] = x;
  }
  return out;
}

function enumValue<T>(obj: Readonly<WireObject>, snake: string, path: string, decode: (v: string | number) => T | undefined): T | undefined {
  const v = get(obj, snake);
  if (v === undefined) return undefined;
  if (typeof v !== "string" && typeof v !== "number") throw new WireShapeError(`${path}.${snake}`, `expected an enum name or number, got ${describe(v)}`);
  const out = decode(v);
  // An enum value this version does not know (a newer server): held opaque (SPEC §4).
  if (out === undefined) holdOpaque(`${path}.${snake}`, v);
  return out;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "string") return jsonLine(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === "object") return "an object";
  return `${typeof v} ${String(v)}`;
}

// ---------------------------------------------------------------------------------------------
// Server form: snake_case proto names with every default emitted, as the open-source server
// answers (§3.1). Used for the server-state file; the decoder above reads it back.
// ---------------------------------------------------------------------------------------------

export function encodeServerRuleInfo(rule: RemoteRule): Readonly<Record<string, unknown>> {
  // The server's state as listed (SPEC §3 export --format json): the rule's own JSON when there is
  // one, so fields and values this version does not know are written as the server holds them.
  if (rule.raw !== undefined) return rule.raw;
  const s = rule.spec;
  const media = s.media === undefined ? null : serverMedia(s.media);
  return {
    sip_dispatch_rule_id: rule.id,
    rule: serverRule(s),
    trunk_ids: [...(s.trunkIds ?? [])],
    hide_phone_number: s.hidePhoneNumber ?? false,
    inbound_numbers: [...(s.inboundNumbers ?? [])],
    numbers: [...(s.numbers ?? [])],
    name: s.name,
    metadata: metadataString(s.metadata) ?? "",
    attributes: { ...(s.attributes ?? {}) },
    room_preset: s.roomPreset ?? "",
    room_config: s.roomConfig === undefined ? null : serverRoomConfig(s.roomConfig),
    media,
    krisp_enabled: s.krispEnabled ?? false,
    media_encryption: ENCRYPTION_TO_WIRE[s.media?.encryption ?? "disable"],
    created_at: null,
    updated_at: null,
  };
}

function serverRule(s: RuleSpec): WireObject {
  const kind = ruleKindOf(s);
  switch (kind) {
    case "direct":
      return { [VARIANTS.direct[0]]: { room_name: s.direct?.roomName ?? "", pin: s.direct?.pin ?? "" } };
    case "individual":
      return {
        [VARIANTS.individual[0]]: { room_prefix: s.individual?.roomPrefix ?? "", pin: s.individual?.pin ?? "", no_randomness: s.individual?.noRandomness ?? false },
      };
    case "callee":
      return { [VARIANTS.callee[0]]: { room_prefix: s.callee?.roomPrefix ?? "", pin: s.callee?.pin ?? "", randomize: s.callee?.randomize ?? false } };
    case undefined:
      throw new InternalError(`rule "${s.name}" has no dispatch type (direct, individual or callee)`);
  }
}

function serverRoomConfig(rc: RoomConfig): WireObject {
  return {
    name: rc.name ?? "",
    empty_timeout: rc.emptyTimeout ?? 0,
    departure_timeout: rc.departureTimeout ?? 0,
    max_participants: rc.maxParticipants ?? 0,
    metadata: rc.metadata ?? "",
    egress: rc.egress === undefined ? null : snakeifyEgress(rc.egress),
    min_playout_delay: rc.minPlayoutDelay ?? 0,
    max_playout_delay: rc.maxPlayoutDelay ?? 0,
    sync_streams: rc.syncStreams ?? false,
    agents: (rc.agents ?? []).map((a) => ({
      agent_name: a.agentName ?? "",
      metadata: a.metadata ?? "",
      restart_policy: a.restartPolicy ?? "JRP_ON_FAILURE",
      deployment: a.deployment ?? "",
      attributes: { ...(a.attributes ?? {}) },
    })),
    tags: { ...(rc.tags ?? {}) },
  };
}

function serverMedia(m: MediaConfig): WireObject {
  const out: WireObject = {
    only_listed_codecs: m.onlyListedCodecs ?? false,
    codecs: (m.codecs ?? []).map((c) => ({ name: c.name, rate: c.rate ?? 0 })),
  };
  // proto3 `optional` fields are omitted when unset, even with defaults emitted (§3.1).
  if (m.encryption !== undefined) out.encryption = ENCRYPTION_TO_WIRE[m.encryption];
  if (m.mediaTimeout !== undefined) out.media_timeout = m.mediaTimeout;
  return out;
}

/**
 * One SIPDispatchRuleInfo (snake or camel keys) -> RemoteRule. Throws ApiError bad_response
 * (method ListSIPDispatchRule) when the value does not have the message's shape.
 */
export function decodeRuleInfo(json: unknown): RemoteRule {
  try {
    return decodeRuleInfoAt(json, "rule");
  } catch (err) {
    if (!(err instanceof WireShapeError)) throw err;
    throw new ApiError({
      method: "ListSIPDispatchRule",
      twirpCode: "bad_response",
      status: 200,
      message: `unexpected answer: ${err.message}`,
      retryable: false,
      hint: "the rule has a shape this version cannot read; if the server is newer than this tool, upgrade sip-dispatch-sync",
      cause: err,
    });
  }
}

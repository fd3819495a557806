// Pure types. A dispatch rule in the file's camelCase form (SPEC §2), the one shape every layer shares.
//
// `RuleSpec` is what a user writes (after interpolation and legacy folding) and what the wire
// module decodes a server rule into. Optional fields may be absent; "empty" values (`""`, `0`,
// `false`, `[]`, `{}`) mean the same as absent and are removed by core's normaliser.

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonArray | JsonObject;
export interface JsonObject {
  readonly [key: string]: JsonValue;
}
export type JsonArray = readonly JsonValue[];

export const RULE_KINDS = ["direct", "individual", "callee"] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

export interface DirectDispatch {
  readonly roomName?: string;
  readonly pin?: string;
}
export interface IndividualDispatch {
  readonly roomPrefix?: string;
  readonly pin?: string;
  readonly noRandomness?: boolean;
}
export interface CalleeDispatch {
  readonly roomPrefix?: string;
  readonly pin?: string;
  readonly randomize?: boolean;
}

/** `SIPMediaEncryption` by its file name; `disable` is the protobuf zero value and equals unset. */
export const MEDIA_ENCRYPTIONS = ["disable", "allow", "require"] as const;
export type MediaEncryption = (typeof MEDIA_ENCRYPTIONS)[number];

export interface SipCodec {
  readonly name: string;
  readonly rate?: number;
}
export interface MediaConfig {
  readonly onlyListedCodecs?: boolean;
  readonly codecs?: readonly SipCodec[];
  readonly encryption?: MediaEncryption;
  /** protobuf JSON Duration, e.g. "30s". */
  readonly mediaTimeout?: string;
}

/** `JobRestartPolicy` by its protobuf name; `JRP_ON_FAILURE` is the zero value. */
export const RESTART_POLICIES = ["JRP_ON_FAILURE", "JRP_NEVER"] as const;
export type RestartPolicy = (typeof RESTART_POLICIES)[number];

export interface RoomAgentDispatch {
  readonly agentName?: string;
  readonly metadata?: string;
  readonly restartPolicy?: RestartPolicy;
  readonly deployment?: string;
  readonly attributes?: Readonly<Record<string, string>>;
}

/** `RoomConfiguration` in protobuf JSON camelCase. `egress` is passed through untouched. */
export interface RoomConfig {
  readonly name?: string;
  readonly emptyTimeout?: number;
  readonly departureTimeout?: number;
  readonly maxParticipants?: number;
  readonly metadata?: string;
  readonly egress?: JsonObject;
  readonly minPlayoutDelay?: number;
  readonly maxPlayoutDelay?: number;
  readonly syncStreams?: boolean;
  readonly agents?: readonly RoomAgentDispatch[];
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * One rule in the file's form. Exactly one of `direct`, `individual`, `callee` is set
 * (the loader and the wire decoder guarantee it).
 * `metadata` is a string, or a mapping/sequence that is sent as compact JSON.
 */
export interface RuleSpec {
  readonly name: string;
  readonly direct?: DirectDispatch;
  readonly individual?: IndividualDispatch;
  readonly callee?: CalleeDispatch;
  readonly trunkIds?: readonly string[];
  /** Caller numbers accepted (From). */
  readonly inboundNumbers?: readonly string[];
  /** Called numbers accepted (To). */
  readonly numbers?: readonly string[];
  readonly hidePhoneNumber?: boolean;
  readonly metadata?: string | JsonObject | JsonArray;
  readonly attributes?: Readonly<Record<string, string>>;
  readonly roomPreset?: string;
  readonly roomConfig?: RoomConfig;
  readonly krispEnabled?: boolean;
  readonly media?: MediaConfig;
}

/** Where a rule was written; used for positioned diagnostics and CI annotations. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** A rule from the file. */
export interface DesiredRule {
  readonly spec: RuleSpec;
  readonly loc?: SourceLocation;
  /**
   * `trunks:` names (SPEC §8), not yet resolved: `spec.trunkIds` holds only the IDs written as
   * such until resolveTrunkNames (src/core/trunk-names.ts) adds the IDs the names resolve to.
   */
  readonly trunks?: readonly string[];
}

/** A rule as the server holds it. `spec.name` may be "" (unnamed rules are never managed). */
export interface RemoteRule {
  readonly id: string;
  readonly spec: RuleSpec;
  /**
   * Fields of the listed rule this version does not manage and that hold a value (a newer
   * server's fields, SPEC §4): an update carries them unchanged, and the plan lists them as
   * "kept". Present only when there are some.
   */
  readonly kept?: readonly string[];
  /**
   * `kept` for an update to `desired` (a normalised file rule): only the fields its `replace` body
   * really carries. A part of the rule the file removes or replaces (an egress output, the rule
   * type) takes its unknown fields with it, and they are not listed as kept. Absent on rules
   * that are not listed ones; the planner then uses `kept`.
   */
  keptFor?(desired: RuleSpec): readonly string[] | undefined;
  /**
   * Values this version cannot read (an enum value or rule type it does not know), as
   * `path: value`: the rule is held opaque and a change to it is refused (SPEC §4). Present only
   * when there are some; `spec` then lacks those values.
   */
  readonly opaque?: readonly string[];
  /**
   * The rule's JSON as listed (non-enumerable, so equality and spreads ignore it): the base of
   * an update's `replace` body, and what `export --format json` writes.
   */
  readonly raw?: Readonly<Record<string, unknown>>;
}

/** SPEC §5 safety limits with defaults already applied. */
export interface SafetyLimits {
  readonly maxDeletes: number;
  readonly maxDeletePercent: number;
  /** Whether `apply --auto-approve` and `watch` may remove or empty a pin (SPEC §5). */
  readonly allowPinRemoval?: boolean;
}
export const DEFAULT_LIMITS: SafetyLimits = { maxDeletes: 5, maxDeletePercent: 30 };

/** The whole file after loading: every top-level setting with its default applied. */
export interface DesiredState {
  /** The file path as the user gave it (used in plan JSON `config` and in annotations). */
  readonly file: string;
  readonly version: 1;
  readonly prune: boolean;
  readonly allowEmpty: boolean;
  readonly manage: readonly string[];
  readonly limits: SafetyLimits;
  readonly rules: readonly DesiredRule[];
  /** The environment this state was loaded for (SPEC §8); absent when the file defines none. */
  readonly environment?: FileEnvironment;
}

/**
 * One entry of the file's `environments:` (SPEC §8), as selected with --env. `url` is
 * interpolated; `apiKey` and `apiSecretFile` are interpolated when the credentials are read
 * (a missing variable there fails the server command, never `validate`), so they stay raw here.
 */
export interface FileEnvironment {
  readonly name: string;
  readonly url: string;
  readonly apiKey?: string;
  readonly apiSecretFile?: string;
  /** The variables ${...} is resolved from: the environment's `vars` under the process environment. */
  readonly vars: Readonly<Record<string, string | undefined>>;
}

/**
 * The canonical order of each object's fields: core's normaliser writes them so, and the loader
 * and the wire decoder emit them so, which lets the normaliser take their specs as they are.
 */
export const FIELD_ORDER = {
  rule: ["name", "direct", "individual", "callee", "trunkIds", "inboundNumbers", "numbers", "hidePhoneNumber", "metadata", "attributes", "roomPreset", "roomConfig", "krispEnabled", "media"],
  direct: ["roomName", "pin"],
  individual: ["roomPrefix", "pin", "noRandomness"],
  callee: ["roomPrefix", "pin", "randomize"],
  roomConfig: ["name", "emptyTimeout", "departureTimeout", "maxParticipants", "metadata", "egress", "minPlayoutDelay", "maxPlayoutDelay", "syncStreams", "agents", "tags"],
  agent: ["agentName", "metadata", "restartPolicy", "deployment", "attributes"],
  media: ["onlyListedCodecs", "codecs", "encryption", "mediaTimeout"],
  codec: ["name", "rate"],
} as const satisfies Readonly<Record<string, readonly string[]>>;

/** Returns the rule kind that is set on a spec, or undefined when none is. */
export function ruleKindOf(spec: RuleSpec): RuleKind | undefined {
  for (const kind of RULE_KINDS) if (spec[kind] !== undefined) return kind;
  return undefined;
}

/** The pin of whichever variant is set ("" when none). */
export function pinOf(spec: RuleSpec): string {
  const kind = ruleKindOf(spec);
  return (kind && spec[kind]?.pin) || "";
}

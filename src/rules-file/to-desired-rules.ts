// Pure. The schema-valid file shape -> the model's RuleSpec and DesiredState: enum spellings to
// their canonical form (src/model/rule.ts), legacy `mediaEncryption` folded into
// `media.encryption` (livekit-sip-api.md §2.7), top-level defaults applied.
import {
  DEFAULT_LIMITS,
  FIELD_ORDER,
  type DesiredRule,
  type DesiredState,
  type Diagnostic,
  type MediaConfig,
  type MediaEncryption,
  type RestartPolicy,
  type RoomConfig,
  type RuleSpec,
} from "../model/index.js";
import { diagnosticAt, keyOrValueOffset, type SourceIndex } from "./positions.js";

type Loose = Readonly<Record<string, unknown>>;

/** `allow`, `SIP_MEDIA_ENCRYPT_ALLOW` and 1 are one value (livekit-sip-api.md §2.3). */
export function canonicalEncryption(v: unknown): MediaEncryption | undefined {
  switch (v) {
    case "disable":
    case "SIP_MEDIA_ENCRYPT_DISABLE":
    case 0:
      return "disable";
    case "allow":
    case "SIP_MEDIA_ENCRYPT_ALLOW":
    case 1:
      return "allow";
    case "require":
    case "SIP_MEDIA_ENCRYPT_REQUIRE":
    case 2:
      return "require";
    default:
      return undefined;
  }
}

/** `JRP_NEVER` and 1 are one value (livekit-sip-api.md §2.5). */
export function canonicalRestartPolicy(v: unknown): RestartPolicy | undefined {
  if (v === "JRP_NEVER" || v === 1) return "JRP_NEVER";
  if (v === "JRP_ON_FAILURE" || v === 0) return "JRP_ON_FAILURE";
  return undefined;
}

/**
 * Whether `raw` holds only keys of `keys`, in their order, each with a value: then the field-by-
 * field copy below would equal it, key order included, and `raw` itself is used. Most roomConfigs
 * are written in that order; their copies were 17 MB of objects that live as long as the rules at
 * 100,000 rules (each one copied again by the young-generation collections that run meanwhile).
 */
function inFieldOrder(raw: Loose, keys: readonly string[]): boolean {
  let at = 0;
  for (const key in raw) {
    if (!Object.hasOwn(raw, key) || raw[key] === undefined) return false;
    while (at < keys.length && keys[at] !== key) at++;
    if (at === keys.length) return false;
    at++;
  }
  return true;
}

/** An agent whose copy would equal it: in field order, with a restartPolicy already canonical. */
function isAgentSpec(a: Loose): boolean {
  return inFieldOrder(a, FIELD_ORDER.agent) && (a.restartPolicy === undefined || canonicalRestartPolicy(a.restartPolicy) === a.restartPolicy);
}

// The copies below take the fields that are present, in FIELD_ORDER (the normaliser's order),
// one named field at a time. A loop over FIELD_ORDER's lists read each field with a computed key,
// which V8 cannot cache for rules of many shapes: 130-210 ms at 100,000 realistic rules, where
// this is about 90. test/unit/rules-file/to-rule-spec.test.ts holds them to FIELD_ORDER.
// The keys are FIELD_ORDER's own names (never `__proto__`): plain assignment is safe.

function agentOf(a: Loose): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let v = a.agentName;
  if (v !== undefined) out.agentName = v;
  v = a.metadata;
  if (v !== undefined) out.metadata = v;
  v = a.restartPolicy;
  if (v !== undefined) out.restartPolicy = canonicalRestartPolicy(v);
  v = a.deployment;
  if (v !== undefined) out.deployment = v;
  v = a.attributes;
  if (v !== undefined) out.attributes = v;
  return out;
}

function roomConfigOf(raw: Loose): RoomConfig {
  if (inFieldOrder(raw, FIELD_ORDER.roomConfig) && (raw.agents === undefined || (raw.agents as readonly Loose[]).every(isAgentSpec))) return raw as RoomConfig;
  const out: Record<string, unknown> = {};
  let v = raw.name;
  if (v !== undefined) out.name = v;
  v = raw.emptyTimeout;
  if (v !== undefined) out.emptyTimeout = v;
  v = raw.departureTimeout;
  if (v !== undefined) out.departureTimeout = v;
  v = raw.maxParticipants;
  if (v !== undefined) out.maxParticipants = v;
  v = raw.metadata;
  if (v !== undefined) out.metadata = v;
  v = raw.egress;
  if (v !== undefined) out.egress = v;
  v = raw.minPlayoutDelay;
  if (v !== undefined) out.minPlayoutDelay = v;
  v = raw.maxPlayoutDelay;
  if (v !== undefined) out.maxPlayoutDelay = v;
  v = raw.syncStreams;
  if (v !== undefined) out.syncStreams = v;
  v = raw.agents;
  if (v !== undefined) out.agents = (v as readonly Loose[]).map(agentOf);
  v = raw.tags;
  if (v !== undefined) out.tags = v;
  return out as RoomConfig;
}

function codecOf(c: Loose): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let v = c.name;
  if (v !== undefined) out.name = v;
  v = c.rate;
  if (v !== undefined) out.rate = v;
  return out;
}

function mediaOf(raw: Loose | undefined, legacy: MediaEncryption | undefined): MediaConfig | undefined {
  let media: Record<string, unknown> | undefined;
  if (raw !== undefined) {
    media = {};
    let v = raw.onlyListedCodecs;
    if (v !== undefined) media.onlyListedCodecs = v;
    v = raw.codecs;
    if (v !== undefined) media.codecs = (v as readonly Loose[]).map(codecOf);
    v = raw.encryption;
    if (v !== undefined) media.encryption = canonicalEncryption(v);
    v = raw.mediaTimeout;
    if (v !== undefined) media.mediaTimeout = v;
  }
  if (legacy === undefined || media?.encryption !== undefined) return media as MediaConfig | undefined;
  return { ...media, encryption: legacy } as MediaConfig;
}

/**
 * The rule's fields up to roomPreset, as they are (roomConfig, krispEnabled and media follow,
 * converted), but for a top-level `hidePhoneNumber: false` (and `krispEnabled: false`, below): the
 * default, as absent to the model, the server and the wire encoder. Dropped here, a rule that
 * takes `hidePhoneNumber: false` from a shared anchor (as config/dispatch-rules.yaml teaches) is
 * already in the normaliser's form, and a plan does not copy every rule of the file to drop it
 * (issue 19: about 90 ms and 100,000 objects at 100,000 rules).
 */
function plainRuleFields(raw: Loose): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let v = raw.name;
  if (v !== undefined) out.name = v;
  v = raw.direct;
  if (v !== undefined) out.direct = v;
  v = raw.individual;
  if (v !== undefined) out.individual = v;
  v = raw.callee;
  if (v !== undefined) out.callee = v;
  v = raw.trunkIds;
  if (v !== undefined) out.trunkIds = v;
  v = raw.inboundNumbers;
  if (v !== undefined) out.inboundNumbers = v;
  v = raw.numbers;
  if (v !== undefined) out.numbers = v;
  v = raw.hidePhoneNumber;
  if (v !== undefined && v !== false) out.hidePhoneNumber = v;
  v = raw.metadata;
  if (v !== undefined) out.metadata = v;
  v = raw.attributes;
  if (v !== undefined) out.attributes = v;
  v = raw.roomPreset;
  if (v !== undefined) out.roomPreset = v;
  return out;
}

const NO_DIAGNOSTICS: readonly Diagnostic[] = Object.freeze([]);

/**
 * One rule of a schema-valid file as a RuleSpec. A conflict between `mediaEncryption` and
 * `media.encryption` is a diagnostic; a legacy `disable` never conflicts (it is the zero value,
 * which the server's Upgrade ignores).
 */
export function toRuleSpec(raw: Loose, ruleIndex: number, index: SourceIndex): { readonly spec: RuleSpec; readonly diagnostics: readonly Diagnostic[] } {
  // Shared when empty (every rule but a contradictory one): no list per rule.
  let diagnostics: readonly Diagnostic[] = NO_DIAGNOSTICS;
  const legacy = canonicalEncryption(raw.mediaEncryption);
  const current = canonicalEncryption((raw.media as Loose | undefined)?.encryption);
  if (legacy !== undefined && current !== undefined && legacy !== current && legacy !== "disable") {
    const path = ["rules", ruleIndex, "mediaEncryption"];
    diagnostics = [
      diagnosticAt(index, keyOrValueOffset(index, path), path, {
        code: "conflicting-encryption",
        message: `\`mediaEncryption\` (${legacy}) contradicts \`media.encryption\` (${current})`,
        hint: "remove the deprecated `mediaEncryption` and keep `media.encryption`",
      }),
    ];
  }
  // Built in place rather than spread together: the same keys in the same order.
  const spec = plainRuleFields(raw);
  if (raw.roomConfig !== undefined) spec.roomConfig = roomConfigOf(raw.roomConfig as Loose);
  if (raw.krispEnabled !== undefined && raw.krispEnabled !== false) spec.krispEnabled = raw.krispEnabled;
  const media = mediaOf(raw.media as Loose | undefined, legacy);
  if (media !== undefined) spec.media = media;
  return { spec: spec as unknown as RuleSpec, diagnostics };
}

/** The whole file with defaults applied; `rules` are the converted specs with their `name` positions. */
export function toDesiredState(raw: Loose, file: string, rules: readonly DesiredRule[]): DesiredState {
  const limits = (raw.limits as Loose | undefined) ?? {};
  return {
    file,
    version: 1,
    prune: raw.prune === undefined ? true : raw.prune === true,
    allowEmpty: raw.allowEmpty === true,
    manage: Array.isArray(raw.manage) ? (raw.manage as string[]) : ["*"],
    limits: {
      maxDeletes: typeof limits.maxDeletes === "number" ? limits.maxDeletes : DEFAULT_LIMITS.maxDeletes,
      maxDeletePercent: typeof limits.maxDeletePercent === "number" ? limits.maxDeletePercent : DEFAULT_LIMITS.maxDeletePercent,
      // Only when set: absent means false (SafetyLimits), and the limits of most files stay two keys.
      ...(limits.allowPinRemoval === true ? { allowPinRemoval: true } : {}),
    },
    rules,
  };
}

/** DesiredRule.loc is the rule's `name` key: where CI annotations of its planned change go. */
export function nameLocation(index: SourceIndex, ruleIndex: number): { readonly file: string; readonly line: number; readonly column: number } {
  const offset = keyOrValueOffset(index, ["rules", ruleIndex, "name"]) ?? keyOrValueOffset(index, ["rules", ruleIndex]);
  const pos = offset === undefined ? { line: 0, column: 0 } : index.locate(offset);
  return { file: index.file, line: pos.line, column: pos.column };
}

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

/** Only the keys that are present, in a fixed order. */
function pick(src: Loose, keys: readonly string[], map?: (key: string, value: unknown) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // The keys are this module's own field names (never `__proto__`): plain assignment is safe.
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    const v = src[k];
    if (v !== undefined) out[k] = map === undefined ? v : map(k, v);
  }
  return out;
}

// Field lists and mappers at module level: one array and closure for the file, not per rule.
// In FIELD_ORDER, the normaliser's order. The rule's fields up to roomPreset are copied as they
// are; roomConfig, krispEnabled and media (converted) follow, in that order.
const PLAIN_RULE_KEYS = FIELD_ORDER.rule.slice(0, FIELD_ORDER.rule.indexOf("roomConfig"));
const { roomConfig: ROOM_CONFIG_KEYS, agent: AGENT_KEYS, media: MEDIA_KEYS, codec: CODEC_KEYS } = FIELD_ORDER;

const agentField = (k: string, v: unknown): unknown => (k === "restartPolicy" ? canonicalRestartPolicy(v) : v);
const agentOf = (a: Loose): Record<string, unknown> => pick(a, AGENT_KEYS, agentField);
const roomConfigField = (k: string, v: unknown): unknown => (k === "agents" ? (v as readonly Loose[]).map(agentOf) : v);
const codecOf = (c: Loose): Record<string, unknown> => pick(c, CODEC_KEYS);
const mediaField = (k: string, v: unknown): unknown => (k === "codecs" ? (v as readonly Loose[]).map(codecOf) : k === "encryption" ? canonicalEncryption(v) : v);

function roomConfigOf(raw: Loose): RoomConfig {
  return pick(raw, ROOM_CONFIG_KEYS, roomConfigField) as RoomConfig;
}

function mediaOf(raw: Loose | undefined, legacy: MediaEncryption | undefined): MediaConfig | undefined {
  const media = raw === undefined ? undefined : (pick(raw, MEDIA_KEYS, mediaField) as MediaConfig);
  if (legacy === undefined || media?.encryption !== undefined) return media;
  return { ...media, encryption: legacy };
}

/**
 * One rule of a schema-valid file as a RuleSpec. A conflict between `mediaEncryption` and
 * `media.encryption` is a diagnostic; a legacy `disable` never conflicts (it is the zero value,
 * which the server's Upgrade ignores).
 */
export function toRuleSpec(raw: Loose, ruleIndex: number, index: SourceIndex): { readonly spec: RuleSpec; readonly diagnostics: readonly Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const legacy = canonicalEncryption(raw.mediaEncryption);
  const current = canonicalEncryption((raw.media as Loose | undefined)?.encryption);
  if (legacy !== undefined && current !== undefined && legacy !== current && legacy !== "disable") {
    const path = ["rules", ruleIndex, "mediaEncryption"];
    diagnostics.push(
      diagnosticAt(index, keyOrValueOffset(index, path), path, {
        code: "conflicting-encryption",
        message: `\`mediaEncryption\` (${legacy}) contradicts \`media.encryption\` (${current})`,
        hint: "remove the deprecated `mediaEncryption` and keep `media.encryption`",
      }),
    );
  }
  // Built in place rather than spread together: the same keys in the same order.
  const spec = pick(raw, PLAIN_RULE_KEYS);
  if (raw.roomConfig !== undefined) spec.roomConfig = roomConfigOf(raw.roomConfig as Loose);
  if (raw.krispEnabled !== undefined) spec.krispEnabled = raw.krispEnabled;
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

// Pure. What a List answer tells about the server's version (livekit-sip-api.md §11.2): the OSS
// server emits every field its proto knows (EmitUnpopulated), so the keys present in a listed
// rule give a version floor, and the keys absent (when the server does emit defaults) tell which
// fields of the file that server would silently drop (it discards unknown request fields, §6).
// Positive-only: v1.9.0-v1.9.10 have Update but none of these keys; an empty list says nothing.

/** A livekit-server release, e.g. [1, 9, 11]. */
export type ServerVersion = readonly [major: number, minor: number, patch: number];

interface Marker {
  readonly where: "rule" | "individual" | "trunk";
  readonly key: string;
  readonly since: ServerVersion;
  /** The file's field that this server stores only from `since` on (camelCase path). */
  readonly field?: string;
}

/** livekit-sip-api.md §11.2, most recent first within each kind: the one table of these facts. */
const MARKERS: readonly Marker[] = [
  { where: "rule", key: "media", since: [1, 12, 0], field: "media" },
  { where: "rule", key: "created_at", since: [1, 10, 0] },
  { where: "individual", key: "no_randomness", since: [1, 10, 0], field: "individual.noRandomness" },
  { where: "rule", key: "numbers", since: [1, 9, 11], field: "numbers" },
  { where: "trunk", key: "media", since: [1, 13, 2] },
  { where: "trunk", key: "auth_realm", since: [1, 12, 0] },
  { where: "trunk", key: "created_at", since: [1, 10, 0] },
];

export function compareVersions(a: ServerVersion, b: ServerVersion): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

export function formatVersion(v: ServerVersion): string {
  return `v${v[0]}.${v[1]}.${v[2]}`;
}

/** One key of a List item and the release that introduced it (§6, §11.2). */
interface KeyFloor {
  /** Where the key sits in a List item (snake_case wire JSON). */
  readonly path: readonly string[];
  readonly version: string;
  /** The file's field that this server stores only from `version` on (camelCase path). */
  readonly field?: string;
}

/** The dispatch-rule markers, oldest first (a stable sort keeps MARKERS' order within a release). */
const KEY_FLOORS: readonly KeyFloor[] = MARKERS.filter((m) => m.where !== "trunk")
  .slice()
  .sort((a, b) => compareVersions(a.since, b.since))
  .map((m) => ({ path: m.where === "rule" ? [m.key] : ["rule", "dispatch_rule_individual", m.key], version: formatVersion(m.since), ...(m.field === undefined ? {} : { field: m.field }) }));

export interface ServerVersionFloor {
  /** The newest release the answer proves (e.g. "v1.12.0"), or undefined when it proves none. */
  readonly floor: string | undefined;
  /** The keys that prove it, e.g. ["media"]. */
  readonly evidence: readonly string[];
  /** Whether the answer emits default values (so that an absent key means the server lacks it). */
  readonly emitsDefaults: boolean;
  /** Fields (camelCase paths) the server does not know: their key is absent although defaults are emitted. */
  readonly missingFields: readonly string[];
  /** Listed rules the inference looked at. */
  readonly items: number;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function has(item: Record<string, unknown>, path: readonly string[]): boolean | undefined {
  let cur: unknown = item;
  for (let i = 0; i < path.length; i++) {
    if (!isObject(cur)) return undefined;
    const key = path[i] as string;
    if (!Object.hasOwn(cur, key)) return i === path.length - 1 ? false : undefined;
    cur = cur[key];
  }
  return true;
}

/** A key the server always emits when it emits defaults (present since the SIP service began). */
function emitsDefaults(item: Record<string, unknown>): boolean {
  return Object.hasOwn(item, "hide_phone_number") && Object.hasOwn(item, "trunk_ids");
}

/** The version floor and missing fields from the `items` of a ListSIPDispatchRule answer. */
export function inferServerVersion(items: readonly unknown[]): ServerVersionFloor {
  const rules = items.filter(isObject);
  let floor: string | undefined;
  const evidence: string[] = [];
  const missing = new Set<string>();
  const defaults = rules.length > 0 && rules.every(emitsDefaults);
  for (const k of KEY_FLOORS) {
    // A key under a rule kind (no_randomness) can only be seen in a rule of that kind.
    const seen = rules.map((r) => has(r, k.path)).filter((x): x is boolean => x !== undefined);
    if (seen.some((x) => x)) {
      floor = k.version;
      evidence.push(k.path.join("."));
    } else if (defaults && seen.length > 0 && k.field !== undefined) missing.add(k.field);
  }
  // A newer key proves the older ones too: a field is missing only below the floor's release.
  const floorIndex = floor === undefined ? -1 : Math.max(...KEY_FLOORS.map((k, i) => (k.version === floor ? i : -1)));
  const missingFields = KEY_FLOORS.filter((k, i) => i > floorIndex && k.field !== undefined && missing.has(k.field)).map((k) => k.field as string);
  return { floor, evidence, emitsDefaults: defaults, missingFields, items: rules.length };
}

/** The release that stores `field` (camelCase path as in KEY_FLOORS), for hints. */
export function releaseStoring(field: string): string | undefined {
  return KEY_FLOORS.find((k) => k.field === field)?.version;
}

/** Whether a rule of the file (camelCase JSON) sets `field` (a KEY_FLOORS field path) to a non-default value. */
export function ruleUsesField(rule: Record<string, unknown>, field: string): boolean {
  let cur: unknown = rule;
  for (const key of field.split(".")) {
    if (!isObject(cur)) return false;
    cur = cur[key];
  }
  if (cur === undefined || cur === null || cur === false || cur === "") return false;
  if (Array.isArray(cur)) return cur.length > 0;
  if (isObject(cur)) return Object.keys(cur).length > 0;
  return true;
}

// --- The client's reading of the same table (issue #12): a structured floor that the SipClient
// records from every listing; Update support is never probed (SPEC §4). ---

export interface VersionFloor {
  /** The highest release the keys prove, or undefined when nothing is proven. */
  readonly atLeast: ServerVersion | undefined;
  /** The keys that proved it (proto names, e.g. "numbers"), for messages. */
  readonly evidence: readonly string[];
  /** true when the floor proves UpdateSIPDispatchRule exists (v1.9.0); undefined = cannot tell. */
  readonly update: true | undefined;
}

/** The version at which UpdateSIPDispatchRule appeared (livekit-sip-api.md §5.3, §6). */
export const UPDATE_SINCE: ServerVersion = [1, 9, 0];

const CAMEL: Readonly<Record<string, string>> = { created_at: "createdAt", no_randomness: "noRandomness", auth_realm: "authRealm" };

function hasKey(obj: unknown, key: string): boolean {
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) return false;
  const camel = CAMEL[key];
  return Object.hasOwn(obj, key) || (camel !== undefined && Object.hasOwn(obj, camel));
}

function individualOf(item: unknown): unknown {
  if (typeof item !== "object" || item === null) return undefined;
  const rule = (item as Record<string, unknown>).rule;
  if (typeof rule !== "object" || rule === null) return undefined;
  const r = rule as Record<string, unknown>;
  return r.dispatch_rule_individual ?? r.dispatchRuleIndividual;
}

/**
 * The version floor proven by raw List items (SIPDispatchRuleInfo and/or SIPInboundTrunkInfo JSON
 * as listed). Looks at one item of each kind: every item of an answer has the same keys.
 */
export function versionFloor(input: { readonly rules?: readonly unknown[]; readonly trunks?: readonly unknown[] }): VersionFloor {
  const rule = input.rules?.[0];
  const individual = input.rules?.map(individualOf).find((x) => x !== undefined);
  const trunk = input.trunks?.[0];
  let atLeast: ServerVersion | undefined;
  const evidence: string[] = [];
  for (const m of MARKERS) {
    const obj = m.where === "rule" ? rule : m.where === "individual" ? individual : trunk;
    if (!hasKey(obj, m.key)) continue;
    evidence.push(m.where === "rule" ? m.key : m.where === "individual" ? `dispatch_rule_individual.${m.key}` : `trunk ${m.key}`);
    if (atLeast === undefined || compareVersions(m.since, atLeast) > 0) atLeast = m.since;
  }
  return { atLeast, evidence, update: atLeast !== undefined && compareVersions(atLeast, UPDATE_SINCE) >= 0 ? true : undefined };
}

/**
 * The fields of SIPDispatchRuleInfo a server at `floor` is known to store, by the floor's
 * evidence; `doctor` names the file's fields a server would drop. Only fields with a known
 * first release are listed (livekit-sip-api.md §6).
 */
export const RULE_FIELD_SINCE: Readonly<Record<string, ServerVersion>> = {
  numbers: [1, 9, 11],
  media: [1, 12, 0],
  krispEnabled: [1, 9, 0],
};

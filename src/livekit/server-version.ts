// Pure. What a List answer tells about the server's version (livekit-sip-api.md §11.2): the OSS
// server emits every field its proto knows (EmitUnpopulated), so the keys present in a listed
// rule give a version floor, and the keys absent (when the server does emit defaults) tell which
// fields of the file that server would silently drop (it discards unknown request fields, §6).
// Positive-only: v1.9.0-v1.9.10 have Update but none of these keys; an empty list says nothing.
import type { VersionFloor } from "../model/index.js";

export type { VersionFloor };

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

/** The dispatch-rule markers, oldest first (a stable sort keeps MARKERS' order within a release). */
const RULE_MARKERS: readonly Marker[] = MARKERS.filter((m) => m.where !== "trunk")
  .slice()
  .sort((a, b) => compareVersions(a.since, b.since));

/** The inbound-trunk markers, oldest first. */
const TRUNK_MARKERS: readonly Marker[] = MARKERS.filter((m) => m.where === "trunk")
  .slice()
  .sort((a, b) => compareVersions(a.since, b.since));

/** The version at which UpdateSIPDispatchRule appeared (livekit-sip-api.md §5.3, §6). */
export const UPDATE_SINCE: ServerVersion = [1, 9, 0];


function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const CAMEL: Readonly<Record<string, string>> = { created_at: "createdAt", no_randomness: "noRandomness", auth_realm: "authRealm" };

function hasKey(obj: Record<string, unknown>, key: string): boolean {
  const camel = CAMEL[key];
  return Object.hasOwn(obj, key) || (camel !== undefined && Object.hasOwn(obj, camel));
}

/** The individual rule type of a listed rule, or undefined for another type. */
function individualOf(item: Record<string, unknown>): Record<string, unknown> | undefined {
  const rule = item.rule;
  if (!isObject(rule)) return undefined;
  const v = rule.dispatch_rule_individual ?? rule.dispatchRuleIndividual;
  return isObject(v) ? v : undefined;
}

/** A key the server always emits when it emits defaults (present since the SIP service began). */
function emitsDefaults(item: Record<string, unknown>): boolean {
  return hasKey(item, "hide_phone_number") && hasKey(item, "trunk_ids");
}

/**
 * The version floor proven by raw List items (SIPDispatchRuleInfo and/or SIPInboundTrunkInfo JSON
 * as listed, either spelling), and the file's fields such a server would drop. Positive-only: a key
 * present proves its release; an absent key proves nothing unless every rule emits defaults.
 */
export function versionFloor(input: { readonly rules?: readonly unknown[]; readonly trunks?: readonly unknown[] }): VersionFloor {
  let atLeast: ServerVersion | undefined;
  const evidence: string[] = [];
  const raise = (m: Marker, shown: string) => {
    evidence.push(shown);
    if (atLeast === undefined || compareVersions(m.since, atLeast) > 0) atLeast = m.since;
  };
  // One pass over the rules (page 1 of every list reads this, up to 100,000 rules): which markers
  // are seen, whether a rule of the kind a marker sits in was listed, whether defaults are emitted.
  const seen = RULE_MARKERS.map(() => false);
  let items = 0;
  let defaults = true;
  let individuals = false;
  for (const item of input.rules ?? []) {
    if (!isObject(item)) continue;
    items += 1;
    if (defaults && !emitsDefaults(item)) defaults = false;
    const individual = individualOf(item);
    if (individual !== undefined) individuals = true;
    for (let i = 0; i < RULE_MARKERS.length; i++) {
      if (seen[i] === true) continue;
      const m = RULE_MARKERS[i] as Marker;
      const obj = m.where === "rule" ? item : individual;
      if (obj !== undefined && hasKey(obj, m.key)) seen[i] = true;
    }
  }
  defaults &&= items > 0;
  const absent: Marker[] = [];
  RULE_MARKERS.forEach((m, i) => {
    if (seen[i] === true) raise(m, m.where === "rule" ? m.key : `dispatch_rule_individual.${m.key}`);
    // A key under a rule kind (no_randomness) can only be missing when a rule of that kind was listed.
    else if (defaults && m.field !== undefined && (m.where === "rule" || individuals)) absent.push(m);
  });
  const trunks = (input.trunks ?? []).filter(isObject);
  for (const m of TRUNK_MARKERS) if (trunks.some((o) => hasKey(o, m.key))) raise(m, `trunk ${m.key}`);
  // A newer key proves the older ones too: a field is missing only above the floor's release.
  const missingFields = absent.filter((m) => atLeast === undefined || compareVersions(m.since, atLeast) > 0).map((m) => m.field as string);
  const floor = atLeast === undefined ? undefined : formatVersion(atLeast);
  return { atLeast, floor, evidence, update: atLeast !== undefined && compareVersions(atLeast, UPDATE_SINCE) >= 0 ? true : undefined, emitsDefaults: defaults, missingFields, items };
}

/**
 * The floor as an operator reads it: `doctor` prints it, and `plan` / `apply` log it at debug
 * level from the client's own listing (issue #12).
 */
export function versionFloorText(v: VersionFloor | undefined): string {
  if (v === undefined) return "not read (no rule list yet)";
  if (v.items === 0) return "cannot tell: the server has no dispatch rules yet (the version is read from a listed rule's keys)";
  if (v.floor === undefined) return v.emitsDefaults ? "older than v1.9.11 (no `numbers` key in its List answer)" : "cannot tell: the List answer leaves out default values (a proxy, or LiveKit Cloud)";
  // The newest key is the proof; the older ones follow from it.
  return `at least ${v.floor} (\`${v.evidence[v.evidence.length - 1] ?? ""}\` in its List answer)`;
}

/** The release that stores `field` (camelCase path, as in MARKERS), for hints. */
export function releaseStoring(field: string): string | undefined {
  const m = RULE_MARKERS.find((k) => k.field === field);
  return m === undefined ? undefined : formatVersion(m.since);
}

/** Whether a rule of the file (camelCase JSON) sets `field` (a MARKERS field path) to a non-default value. */
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

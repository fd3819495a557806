// Pure. What a List answer already tells about the server, without asking it anything else
// (livekit-sip-api.md §11.2): the open-source server emits every field its proto knows
// (EmitUnpopulated, §3.1), so the presence of a key gives a version floor. Positive-only: an
// absent key proves nothing (a server or proxy that omits defaults shows no keys at all, and
// v1.9.0-v1.9.10 have Update but none of these keys). Read-only commands use this instead of a
// probe of a write method (SPEC §4); `doctor` reports it.

/** A livekit-server release, e.g. [1, 9, 11]. */
export type ServerVersion = readonly [major: number, minor: number, patch: number];

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

interface Marker {
  readonly where: "rule" | "individual" | "trunk";
  readonly key: string;
  readonly since: ServerVersion;
}

/** livekit-sip-api.md §11.2, most recent first within each kind. */
const MARKERS: readonly Marker[] = [
  { where: "rule", key: "media", since: [1, 12, 0] },
  { where: "rule", key: "created_at", since: [1, 10, 0] },
  { where: "individual", key: "no_randomness", since: [1, 10, 0] },
  { where: "rule", key: "numbers", since: [1, 9, 11] },
  { where: "trunk", key: "media", since: [1, 13, 2] },
  { where: "trunk", key: "auth_realm", since: [1, 12, 0] },
  { where: "trunk", key: "created_at", since: [1, 10, 0] },
];

const CAMEL: Readonly<Record<string, string>> = { created_at: "createdAt", no_randomness: "noRandomness", auth_realm: "authRealm" };

export function compareVersions(a: ServerVersion, b: ServerVersion): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

export function formatVersion(v: ServerVersion): string {
  return `v${v[0]}.${v[1]}.${v[2]}`;
}

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

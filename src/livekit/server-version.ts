// Pure. What a List answer tells about the server's version (livekit-sip-api.md §11.2): the OSS
// server emits every field its proto knows (EmitUnpopulated), so the keys present in a listed
// rule give a version floor, and the keys absent (when the server does emit defaults) tell which
// fields of the file that server would silently drop (it discards unknown request fields, §6).
// Positive-only: v1.9.0-v1.9.10 have Update but none of these keys; an empty list says nothing.

/** One key of a List item and the release that introduced it (§6, §11.2). */
interface KeyFloor {
  /** Where the key sits in a List item (snake_case wire JSON). */
  readonly path: readonly string[];
  readonly version: string;
  /** The file's field that this server stores only from `version` on (camelCase path). */
  readonly field?: string;
}

/** Newest last: the floor is the newest version whose key is present. */
const KEY_FLOORS: readonly KeyFloor[] = [
  { path: ["numbers"], version: "v1.9.11", field: "numbers" },
  { path: ["created_at"], version: "v1.10.0" },
  { path: ["rule", "dispatch_rule_individual", "no_randomness"], version: "v1.10.0", field: "individual.noRandomness" },
  { path: ["media"], version: "v1.12.0", field: "media" },
];

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

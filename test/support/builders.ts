// Test support (pure). Builders with full defaults (override only what a test is about), the
// server's default-filled form of a rule, and fast-check arbitraries for the planner's properties.
import fc from "fast-check";
import {
  DEFAULT_LIMITS,
  conflictKeyIds,
  type DesiredRule,
  type DesiredState,
  type JsonValue,
  type RemoteRule,
  type RuleSpec,
  type SourceLocation,
} from "../../src/model/index.js";

const KINDS = ["direct", "individual", "callee"] as const;

/** A rule spec: an individual rule on one trunk, unless the overrides say otherwise. */
export function aRuleSpec(overrides: Partial<RuleSpec> = {}): RuleSpec {
  const hasKind = KINDS.some((k) => k in overrides);
  return {
    name: "support-line",
    ...(hasKind ? {} : { individual: { roomPrefix: "call-" } }),
    trunkIds: ["ST_abc123"],
    ...overrides,
  };
}

export function aDesiredRule(overrides: Partial<RuleSpec> = {}, loc: Partial<SourceLocation> = {}): DesiredRule {
  return { spec: aRuleSpec(overrides), loc: { file: "dispatch-rules.yaml", line: 10, column: 5, ...loc } };
}

let nextId = 0;
/** A remote rule; IDs are unique and increase with each call unless given. */
export function aRemoteRule(overrides: Partial<RuleSpec> & { id?: string } = {}): RemoteRule {
  const { id, ...spec } = overrides;
  nextId += 1;
  return { id: id ?? `SDR_${String(nextId).padStart(12, "0")}`, spec: aRuleSpec(spec) };
}

export function aDesiredState(overrides: Partial<DesiredState> = {}): DesiredState {
  return {
    file: "dispatch-rules.yaml",
    version: 1,
    prune: true,
    allowEmpty: false,
    manage: ["*"],
    limits: DEFAULT_LIMITS,
    rules: [],
    ...overrides,
  };
}

/** Desired rules from specs, each at its own line. */
export function desiredRules(specs: readonly RuleSpec[]): DesiredRule[] {
  return specs.map((spec, i) => ({ spec, loc: { file: "dispatch-rules.yaml", line: 8 + i * 6, column: 5 } }));
}

type Loose = Record<string, unknown>;

/** A Duration as protojson may print it: "1.5s" -> "1.500s", "30s" -> "30.000s". */
function serverDuration(text: string): string {
  const [int, frac = ""] = text.replace(/s$/, "").split(".");
  return `${int}.${frac.padEnd(3, "0")}s`;
}

/**
 * The rule as the wire decoder returns a server rule (livekit-sip-api.md §3.1: every default
 * emitted, enums by protobuf name, the legacy mediaEncryption next to media, metadata a string).
 */
export function withServerDefaults(spec: RuleSpec, opts: { enumsAsNumbers?: boolean; metadataSpacing?: boolean } = {}): RuleSpec {
  const s = spec as unknown as Loose;
  const variant = (kind: (typeof KINDS)[number]): Loose | undefined => {
    const v = s[kind] as Loose | undefined;
    if (v === undefined) return undefined;
    switch (kind) {
      case "direct":
        return { roomName: v.roomName ?? "", pin: v.pin ?? "" };
      case "individual":
        return { roomPrefix: v.roomPrefix ?? "", pin: v.pin ?? "", noRandomness: v.noRandomness ?? false };
      case "callee":
        return { roomPrefix: v.roomPrefix ?? "", pin: v.pin ?? "", randomize: v.randomize ?? false };
    }
  };
  const rc = s.roomConfig as Loose | undefined;
  const encName = (e: unknown) =>
    e === "allow" ? "SIP_MEDIA_ENCRYPT_ALLOW" : e === "require" ? "SIP_MEDIA_ENCRYPT_REQUIRE" : "SIP_MEDIA_ENCRYPT_DISABLE";
  const encNum = (e: unknown) => (e === "allow" ? 1 : e === "require" ? 2 : 0);
  const media = (s.media ?? {}) as Loose;
  const metadata = s.metadata;
  const out: Loose = {
    name: s.name,
    ...Object.fromEntries(KINDS.filter((k) => s[k] !== undefined).map((k) => [k, variant(k)])),
    trunkIds: [...((s.trunkIds as string[] | undefined) ?? [])].reverse(),
    hidePhoneNumber: s.hidePhoneNumber ?? false,
    inboundNumbers: [...((s.inboundNumbers as string[] | undefined) ?? [])].reverse(),
    numbers: [...((s.numbers as string[] | undefined) ?? [])].reverse(),
    metadata:
      metadata === undefined ? "" : typeof metadata === "string" ? metadata : JSON.stringify(metadata, null, opts.metadataSpacing ? 1 : undefined),
    attributes: s.attributes ?? {},
    roomPreset: s.roomPreset ?? "",
    roomConfig:
      rc === undefined
        ? null
        : {
            name: rc.name ?? "",
            emptyTimeout: rc.emptyTimeout ?? 0,
            departureTimeout: rc.departureTimeout ?? 0,
            maxParticipants: rc.maxParticipants ?? 0,
            metadata: rc.metadata ?? "",
            egress: rc.egress ?? null,
            minPlayoutDelay: rc.minPlayoutDelay ?? 0,
            maxPlayoutDelay: rc.maxPlayoutDelay ?? 0,
            syncStreams: rc.syncStreams ?? false,
            agents: ((rc.agents as Loose[] | undefined) ?? []).map((a) => ({
              agentName: a.agentName ?? "",
              metadata: a.metadata ?? "",
              restartPolicy: opts.enumsAsNumbers ? (a.restartPolicy === "JRP_NEVER" ? 1 : 0) : (a.restartPolicy ?? "JRP_ON_FAILURE"),
              deployment: a.deployment ?? "",
              attributes: a.attributes ?? {},
            })),
            tags: rc.tags ?? {},
          },
    media: {
      onlyListedCodecs: media.onlyListedCodecs ?? false,
      codecs: ((media.codecs as Loose[] | undefined) ?? []).map((c) => ({ name: c.name ?? "", rate: c.rate ?? 0 })),
      ...(media.encryption === undefined ? {} : { encryption: opts.enumsAsNumbers ? encNum(media.encryption) : encName(media.encryption) }),
      ...(media.mediaTimeout === undefined ? {} : { mediaTimeout: serverDuration(String(media.mediaTimeout)) }),
    },
    krispEnabled: s.krispEnabled ?? false,
    mediaEncryption: opts.enumsAsNumbers ? encNum(media.encryption) : encName(media.encryption),
    createdAt: null,
    updatedAt: null,
  };
  return out as unknown as RuleSpec;
}

// --- fast-check arbitraries -----------------------------------------------------------------

/** Small pools so that conflict keys collide often. */
export const POOL = {
  names: ["alpha", "bravo", "charlie", "delta", "echo", "fox"],
  trunks: ["ST_a", "ST_b", "ST_c"],
  numbers: ["+15550001", "+15550002", "+15550003"],
  pins: ["", "1234", "9876"],
} as const;

const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const word = fc.constantFrom("", "a", "call-", "room-1", "x y");
const smallMap = fc.dictionary(fc.constantFrom("team", "tier", "k"), fc.constantFrom("", "a", "gold"), { maxKeys: 2 });
const jsonMeta: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.dictionary(fc.constantFrom("tier", "a", "b"), fc.oneof(fc.constantFrom("gold", ""), fc.integer({ min: -3, max: 3 }), fc.boolean()), { maxKeys: 3 }),
  fc.array(fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constantFrom("x", "")), { maxLength: 3 }),
);

/** Any rule spec the file may hold (name given), in sparse or explicit-default form. */
export function ruleSpecArb(name: string): fc.Arbitrary<RuleSpec> {
  const pin = fc.constantFrom(...POOL.pins);
  const variant = fc.oneof(
    fc.record({ direct: fc.record({ roomName: opt(word), pin: opt(pin) }, { requiredKeys: [] }) }),
    fc.record({ individual: fc.record({ roomPrefix: opt(word), pin: opt(pin), noRandomness: opt(fc.boolean()) }, { requiredKeys: [] }) }),
    fc.record({ callee: fc.record({ roomPrefix: opt(word), pin: opt(pin), randomize: opt(fc.boolean()) }, { requiredKeys: [] }) }),
  );
  const rest = fc.record(
    {
      trunkIds: fc.subarray([...POOL.trunks]),
      inboundNumbers: fc.subarray([...POOL.numbers], { maxLength: 2 }),
      numbers: fc.subarray([...POOL.numbers], { maxLength: 2 }),
      hidePhoneNumber: fc.boolean(),
      metadata: fc.oneof(word, jsonMeta),
      attributes: smallMap,
      roomPreset: word,
      roomConfig: fc.record(
        {
          name: word,
          emptyTimeout: fc.integer({ min: 0, max: 3 }),
          maxParticipants: fc.integer({ min: 0, max: 3 }),
          syncStreams: fc.boolean(),
          agents: fc.array(
            fc.record(
              { agentName: word, metadata: word, restartPolicy: fc.constantFrom("JRP_ON_FAILURE", "JRP_NEVER") as fc.Arbitrary<"JRP_ON_FAILURE" | "JRP_NEVER">, attributes: smallMap },
              { requiredKeys: [] },
            ),
            { maxLength: 2 },
          ),
          tags: smallMap,
        },
        { requiredKeys: [] },
      ),
      krispEnabled: fc.boolean(),
      media: fc.record(
        {
          onlyListedCodecs: fc.boolean(),
          codecs: fc.array(fc.record({ name: fc.constantFrom("PCMU", "opus"), rate: opt(fc.constantFrom(0, 8000, 48000)) }, { requiredKeys: ["name"] }), { maxLength: 2 }),
          encryption: fc.constantFrom("disable", "allow", "require") as fc.Arbitrary<"disable" | "allow" | "require">,
          mediaTimeout: fc.constantFrom("0s", "30s", "1.5s"),
        },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: [] },
  );
  return fc.tuple(variant, rest).map(([v, r]) => ({ name, ...v, ...r }) as RuleSpec);
}

/** Keeps the specs that do not share a conflict key with an earlier one (the server's rule). */
export function conflictFree<T>(items: readonly T[], specOf: (t: T) => RuleSpec, taken: Set<string> = new Set()): T[] {
  const out: T[] = [];
  for (const item of items) {
    const keys = conflictKeyIds(specOf(item));
    if (keys.some((k) => taken.has(k))) continue;
    for (const k of keys) taken.add(k);
    out.push(item);
  }
  return out;
}

/** A conflict-free desired state over POOL.names. */
export const desiredStateArb: fc.Arbitrary<DesiredState> = fc
  .tuple(
    fc.subarray([...POOL.names]).chain((names) => fc.tuple(...names.map((n) => ruleSpecArb(n)))),
    fc.boolean(),
    fc.constantFrom<readonly string[]>(["*"], ["a*", "b*", "c*", "d*", "e*", "f*"], ["*a*"]),
  )
  .map(([specs, prune, manage]) =>
    aDesiredState({ prune, allowEmpty: true, manage, limits: { maxDeletes: 1000, maxDeletePercent: 100 }, rules: desiredRules(conflictFree(specs, (s) => s)) }),
  );

/**
 * A conflict-free server state: rules over POOL.names plus unnamed and foreign names, some with
 * the server's explicit defaults. Duplicates of managed names are added by the caller when wanted.
 */
export const remoteStateArb: fc.Arbitrary<RemoteRule[]> = fc
  .array(
    fc.tuple(fc.constantFrom(...POOL.names, "", "zulu-unmanaged"), fc.boolean()).chain(([name, full]) =>
      ruleSpecArb(name).map((spec) => (full ? withServerDefaults(spec) : spec)),
    ),
    { maxLength: 7 },
  )
  .chain((specs) =>
    fc.shuffledSubarray(
      Array.from({ length: 30 }, (_, i) => `SDR_${String(i).padStart(3, "0")}${"x".repeat(9)}`),
      { minLength: specs.length, maxLength: specs.length },
    ).map((ids) => conflictFree(specs.map((spec, i) => ({ id: ids[i] as string, spec })), (r) => r.spec)),
  );

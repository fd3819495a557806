// Property tests (pure): the planner's fast paths agree with the slow paths they replace. The
// reference is the core as it was before the speed-up (test/property/planner-reference), so plans,
// schedules, fingerprints, normalised rules and canonical JSON must be the same, key order included.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { canonicalJson, canonicalJsonSlow, deepEqual } from "../../src/core/canonical-json.js";
import { checkUnmanagedConflicts, preExistingConflictWarnings, type UntouchedRule } from "../../src/core/check-conflicts.js";
import { diffFields, diffNormalized, equalNormalized, rulesEqual } from "../../src/core/diff-fields.js";
import { fingerprintRules } from "../../src/core/fingerprint.js";
import { matchesManage, orderChanges, planChanges } from "../../src/core/index.js";
import { normalizeRule } from "../../src/core/normalize.js";
import type { DesiredState, RemoteRule, RuleSpec } from "../../src/model/index.js";
import { POOL, aDesiredState, desiredRules, desiredStateArb, remoteStateArb, ruleSpecArb, withServerDefaults } from "../support/builders.js";
import * as ref from "./planner-reference/index.js";

/** The outcome of a call as comparable JSON: its value, or the error it threw. */
function outcome(f: () => unknown): string {
  try {
    return `ok ${JSON.stringify(f())}`;
  } catch (e) {
    return `threw ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)}`;
  }
}

const anything = fc.anything({
  maxDepth: 3,
  maxKeys: 4,
  withNullPrototype: true,
  withSparseArray: true,
  withDate: true,
  withBoxedValues: true,
  key: fc.oneof(fc.string({ maxLength: 3 }), fc.constantFrom("__proto__", "toJSON", "9", "10", "pin", "roomName", "name", "constructor")),
});

/** A rule spec with odd values anywhere (null variants, numbers for strings, foreign objects...). */
const wildSpecArb = (name: fc.Arbitrary<unknown>): fc.Arbitrary<RuleSpec> => {
  const variant = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    anything,
    fc.record({ roomName: fc.oneof(fc.string({ maxLength: 3 }), anything), roomPrefix: fc.oneof(fc.string({ maxLength: 3 }), anything), pin: fc.oneof(fc.constantFrom(...POOL.pins), anything), randomize: fc.oneof(fc.boolean(), anything), noRandomness: fc.oneof(fc.boolean(), anything) }, { requiredKeys: [] }),
  );
  const list = fc.oneof(fc.constant(undefined), fc.array(fc.oneof(fc.constantFrom(...POOL.trunks, ...POOL.numbers, "", "1 (555) 0001"), anything), { maxLength: 3 }), anything);
  return fc
    .record(
      {
        name,
        direct: variant,
        individual: variant,
        callee: variant,
        trunkIds: list,
        inboundNumbers: list,
        numbers: list,
        hidePhoneNumber: anything,
        metadata: fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom('{"b":1,"a":[1,{"d":2,"c":3}]}', "[1,2]", '{"10":1,"9":2}'), anything),
        attributes: fc.oneof(fc.dictionary(fc.constantFrom("b", "a", "10", "9", "__proto__"), fc.oneof(fc.string({ maxLength: 2 }), anything), { maxKeys: 3 }), anything),
        roomPreset: anything,
        roomConfig: fc.oneof(anything, fc.record({ name: anything, emptyTimeout: anything, agents: fc.oneof(anything, fc.array(anything, { maxLength: 2 })), egress: anything, tags: anything }, { requiredKeys: [] })),
        krispEnabled: anything,
        media: fc.oneof(anything, fc.record({ encryption: anything, codecs: fc.oneof(anything, fc.array(anything, { maxLength: 2 })), mediaTimeout: anything, onlyListedCodecs: anything }, { requiredKeys: [] })),
        mediaEncryption: fc.oneof(fc.constantFrom(0, 1, 2, "SIP_MEDIA_ENCRYPT_ALLOW", "require"), anything),
      },
      { requiredKeys: ["name"] },
    )
    .map((r) => r as unknown as RuleSpec);
};

const anySpecArb = fc.oneof(
  ruleSpecArb("x"),
  ruleSpecArb("x").map((s) => withServerDefaults(s)),
  ruleSpecArb("x").map((s) => withServerDefaults(s, { enumsAsNumbers: true, metadataSpacing: true })),
  wildSpecArb(fc.constant("x")),
);

/** A file and a server state (with duplicates of some file rules), as in planner-convergence. */
const scenarioArb = fc
  .tuple(desiredStateArb, remoteStateArb, fc.boolean(), fc.array(fc.nat(), { maxLength: 3 }))
  .map(([desired, remote, updateSupported, dupPicks]): [DesiredState, RemoteRule[], boolean] => {
    const fileNames = new Set(desired.rules.map((r) => r.spec.name).filter((n) => matchesManage(n, desired.manage)));
    const candidates = remote.filter((r) => fileNames.has(r.spec.name));
    const dups =
      candidates.length === 0
        ? []
        : dupPicks.map((p, i) => {
            const src = candidates[p % candidates.length] as RemoteRule;
            return { id: `SDR_dup${i}${src.id.slice(7)}`, spec: src.spec };
          });
    return [desired, [...remote, ...dups], updateSupported];
  });

/** Rules that share conflict keys often (no conflict filter), some wild, with IDs. */
const crowdedRemoteArb = fc
  .array(fc.tuple(fc.constantFrom(...POOL.names, "", "zulu"), fc.nat(3)), { maxLength: 8 })
  .chain((picks) =>
    fc.tuple(
      ...picks.map(([name, k]) => (k === 0 ? wildSpecArb(fc.constant(name)) : ruleSpecArb(name).map((s) => (k === 1 ? withServerDefaults(s) : s)))),
    ),
  )
  .map((specs) => specs.map((spec, i): RemoteRule => ({ id: `SDR_${String(specs.length - i).padStart(3, "0")}`, spec })));

const wildDesiredArb = fc
  .tuple(fc.array(fc.tuple(fc.constantFrom(...POOL.names, "zulu"), fc.boolean()), { maxLength: 6 }), fc.boolean(), fc.constantFrom<readonly string[]>(["*"], ["a*", "b*", "c*"]))
  .chain(([picks, prune, manage]) =>
    fc.tuple(...picks.map(([name, wild]) => (wild ? wildSpecArb(fc.constant(name)) : ruleSpecArb(name)))).map((specs) =>
      aDesiredState({ prune, allowEmpty: true, manage, limits: { maxDeletes: 1000, maxDeletePercent: 100 }, rules: desiredRules(specs) }),
    ),
  );

describe("planChanges and orderChanges agree with the reference planner", () => {
  test("on conflict-free scenarios with duplicates: the same plan and schedule, key order included", () => {
    fc.assert(
      fc.property(scenarioArb, ([desired, remote, updateSupported]) => {
        const fast = outcome(() => planChanges(desired, remote, { updateSupported }));
        expect(fast).toBe(outcome(() => ref.planChanges(desired, remote, { updateSupported })));
        const plan = planChanges(desired, remote, { updateSupported });
        expect(outcome(() => orderChanges(plan.changes))).toBe(outcome(() => ref.orderChanges(plan.changes)));
      }),
      { numRuns: 400 },
    );
  });

  test("on crowded and odd rules (shared keys, null variants, values of any type)", () => {
    let planned = 0;
    fc.assert(
      fc.property(wildDesiredArb, crowdedRemoteArb, fc.boolean(), (desired, remote, updateSupported) => {
        const fast = outcome(() => planChanges(desired, remote, { updateSupported }));
        expect(fast).toBe(outcome(() => ref.planChanges(desired, remote, { updateSupported })));
        if (fast.startsWith("ok")) {
          planned += 1;
          const plan = planChanges(desired, remote, { updateSupported });
          expect(outcome(() => orderChanges(plan.changes))).toBe(outcome(() => ref.orderChanges(plan.changes)));
        }
      }),
      { numRuns: 400 },
    );
    // Most scenarios plan (odd values are normalised away); some throw alike in both planners.
    expect(planned).toBeGreaterThan(200);
  });

  test("fingerprints and conflict checks match on crowded rules", () => {
    fc.assert(
      fc.property(crowdedRemoteArb, fc.array(fc.constantFrom<Exclude<UntouchedRule["why"], "outside-names">>("unmanaged", "kept", "unchanged"), { minLength: 8, maxLength: 8 }), (remote, whys) => {
        expect(outcome(() => fingerprintRules(remote))).toBe(outcome(() => ref.fingerprintRules(remote)));
        const untouched = remote.map((rule, i) => ({ rule, why: whys[i] ?? "kept" }));
        expect(outcome(() => preExistingConflictWarnings(untouched))).toBe(outcome(() => ref.preExistingConflictWarnings(untouched)));
        const written = remote.slice(0, 2).map((r) => ({ name: r.spec.name, spec: r.spec }));
        expect(outcome(() => checkUnmanagedConflicts(written, untouched.slice(2)))).toBe(outcome(() => ref.checkUnmanagedConflicts(written, untouched.slice(2))));
      }),
      { numRuns: 400 },
    );
  });
});

describe("normalisation fast paths", () => {
  test("normalizeRule gives the reference's result, key order included", () => {
    fc.assert(
      fc.property(anySpecArb, (spec) => {
        expect(outcome(() => normalizeRule(spec))).toBe(outcome(() => ref.normalizeRule(spec)));
      }),
      { numRuns: 500 },
    );
  });

  test("normalizeRule of a canonical rule is that rule itself, and the reference's copy of it", () => {
    const realisticArb = fc.oneof(ruleSpecArb("x"), ruleSpecArb("x").map((s) => withServerDefaults(s)), ruleSpecArb("x").map((s) => withServerDefaults(s, { enumsAsNumbers: true })));
    let same = 0;
    fc.assert(
      fc.property(fc.oneof(anySpecArb, realisticArb), (spec) => {
        let normal: RuleSpec;
        try {
          normal = normalizeRule(spec);
        } catch {
          return; // throws alike in the reference (the test above)
        }
        const again = normalizeRule(normal);
        expect(JSON.stringify(again)).toBe(JSON.stringify(normal));
        expect(JSON.stringify(ref.normalizeRule(normal))).toBe(JSON.stringify(normal));
        if (again === normal) same += 1;
      }),
      { numRuns: 500 },
    );
    // Realistic rules take the fast path unless they hold egress or JSON metadata (left to the
    // long path); odd values (holes, foreign objects) may take either.
    fc.assert(
      fc.property(realisticArb, (spec) => {
        const normal = normalizeRule(spec);
        const longPath = normal.roomConfig?.egress !== undefined || (normal.metadata !== undefined && typeof normal.metadata !== "string");
        if (!longPath) expect(normalizeRule(normal)).toBe(normal);
      }),
      { numRuns: 500 },
    );
    expect(same).toBeGreaterThan(150);
  });

  test("a rule one step away from canonical form is normalised as the reference does", () => {
    // Canonical rules, then one change that the fast path must notice: a key moved to the end, an
    // empty or unsorted value, a foreign prototype, a numeric string, an extra key.
    const richArb = fc.oneof(ruleSpecArb("x"), ruleSpecArb("x").map((s) => withServerDefaults(s))).map((s) => normalizeRule(s));
    const spoil = fc.constantFrom(
      (s: Record<string, unknown>) => {
        const keys = Object.keys(s);
        const first = keys[0] as string;
        const { [first]: moved, ...rest } = s;
        return { ...rest, [first]: moved };
      },
      (s: Record<string, unknown>) => ({ ...s, roomPreset: "" }),
      (s: Record<string, unknown>) => ({ ...s, hidePhoneNumber: false }),
      (s: Record<string, unknown>) => ({ ...s, mediaEncryption: 1 }),
      (s: Record<string, unknown>) => ({ ...s, trunkIds: ["b", "a"] }),
      (s: Record<string, unknown>) => ({ ...s, numbers: ["+1", "+1"] }),
      (s: Record<string, unknown>) => ({ ...s, attributes: { b: "1", a: "2" } }),
      (s: Record<string, unknown>) => ({ ...s, attributes: { a: "" } }),
      (s: Record<string, unknown>) => ({ ...s, metadata: { b: 1, a: 2 } }),
      (s: Record<string, unknown>) => ({ ...s, roomConfig: { emptyTimeout: "30" } }),
      (s: Record<string, unknown>) => ({ ...s, roomConfig: { agents: [{ agentName: "a", restartPolicy: "JRP_ON_FAILURE" }] } }),
      (s: Record<string, unknown>) => ({ ...s, media: { mediaTimeout: "30.000s" } }),
      (s: Record<string, unknown>) => ({ ...s, media: {} }),
      (s: Record<string, unknown>) => ({ ...s, direct: Object.assign(Object.create(null) as object, { roomName: "r" }) }),
      (s: Record<string, unknown>) => ({ ...s, individual: { roomPrefix: "p", noRandomness: false } }),
      (s: Record<string, unknown>) => ({ ...s, callee: { pin: "1", roomPrefix: "p" } }),
      (s: Record<string, unknown>) => ({ ...s, extra: true }),
      (s: Record<string, unknown>) => Object.assign(Object.create(null) as object, s),
    );
    fc.assert(
      fc.property(richArb, spoil, (normal, f) => {
        const spoiled = f(normal as unknown as Record<string, unknown>) as unknown as RuleSpec;
        expect(outcome(() => normalizeRule(spoiled))).toBe(outcome(() => ref.normalizeRule(spoiled)));
      }),
      { numRuns: 500 },
    );
  });

  test("equalNormalized is true exactly when diffNormalized is empty", () => {
    const pairArb = fc.oneof(
      fc.tuple(anySpecArb, anySpecArb),
      ruleSpecArb("x").chain((a) => fc.tuple(fc.constant(a), fc.constant(withServerDefaults(a)))),
      ruleSpecArb("x").chain((a) => fc.tuple(fc.constant(a), fc.constant(withServerDefaults(a, { enumsAsNumbers: true, metadataSpacing: true })))),
    );
    fc.assert(
      fc.property(pairArb, ([a, b]) => {
        const na = normalizeRule(a);
        const nb = normalizeRule(b);
        const empty = diffNormalized(na, nb, a, b).length === 0;
        expect(equalNormalized(na, nb)).toBe(empty);
        expect(rulesEqual(a, b)).toBe(empty);
        expect(ref.rulesEqual(a, b)).toBe(empty);
        expect(JSON.stringify(diffFields(a, b))).toBe(JSON.stringify(ref.diffFields(a, b)));
      }),
      { numRuns: 500 },
    );
  });
});

describe("canonical JSON and deep equality", () => {
  test("canonicalJson is the reference's string for values of any kind", () => {
    fc.assert(
      fc.property(anything, (v) => {
        expect(outcome(() => canonicalJson(v))).toBe(outcome(() => ref.canonicalJson(v)));
        expect(outcome(() => canonicalJsonSlow(v))).toBe(outcome(() => ref.canonicalJson(v)));
      }),
      { numRuns: 1000 },
    );
  });

  test("canonicalJson on the values plain data leaves to the general path", () => {
    const withOwnProto: Record<string, unknown> = {};
    Object.defineProperty(withOwnProto, "__proto__", { value: { z: 1, a: 2 }, enumerable: true, writable: true, configurable: true });
    const cases: unknown[] = [
      undefined,
      () => 1,
      Symbol("s"),
      { b: () => 1, a: undefined, c: Symbol("x") },
      [undefined, () => 1, Symbol("y")],
      { toJSON: () => ({ z: 1, a: 2 }) },
      { b: { toJSON: () => "x" }, a: 1 },
      { b: 1, 10: 2, 9: 3, a: { d: 1, c: 2 } },
      withOwnProto,
      [1, , 3], // eslint-disable-line no-sparse-arrays
      { d: new Date(0), m: new Map([[1, 2]]), s: new String("ab") },
      Object.assign(Object.create(null), { b: 1, a: 2 }),
      { n: 1n },
      { big: Number.NaN, inf: Number.POSITIVE_INFINITY, neg: -0 },
    ];
    for (const v of cases) expect(outcome(() => canonicalJson(v))).toBe(outcome(() => ref.canonicalJson(v)));
  });

  test("deepEqual gives the reference's answer, on unrelated and on similar values", () => {
    const pairArb = fc.oneof(
      fc.tuple(anything, anything),
      anything.map((v) => [v, v] as const),
      anything.map((v) => [v, JSON.parse(canonicalJsonSlow(v) ?? "null") as unknown] as const),
      fc.tuple(fc.array(fc.oneof(fc.constant(undefined), fc.integer({ min: 0, max: 2 })), { maxLength: 3 }), fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 3 })).map(([a, b]) => {
        const sparse = [...a];
        if (sparse.length > 1) delete sparse[0];
        return [sparse, b] as const;
      }),
    );
    fc.assert(
      fc.property(pairArb, ([a, b]) => {
        expect(deepEqual(a, b)).toBe(ref.deepEqual(a, b));
        expect(deepEqual(b, a)).toBe(ref.deepEqual(b, a));
      }),
      { numRuns: 1000 },
    );
  });
});

describe("fast paths with many rules", () => {
  test("a plan of 300 rules (updates, creates, deletes, duplicates) is the reference's plan and schedule", () => {
    const specs = Array.from({ length: 300 }, (_, i): RuleSpec => ({
      name: `r${i}`,
      ...(i % 3 === 0 ? { direct: { roomName: `room-${i}`, ...(i % 2 ? { pin: String(1000 + i) } : {}) } } : i % 3 === 1 ? { individual: { roomPrefix: `p-${i}` } } : { callee: { roomPrefix: `c-${i}`, randomize: true } }),
      trunkIds: [`ST_${i % 7}`],
      numbers: [`+1555${String(i).padStart(7, "0")}`],
      ...(i % 5 === 0 ? { metadata: `m${i}` } : {}),
      ...(i % 4 === 0 ? { attributes: { team: `t${i % 3}`, "10": "x", "9": "y" } } : {}),
    }));
    const remote: RemoteRule[] = [];
    specs.forEach((spec, i) => {
      if (i % 30 === 0) return;
      const changed = i % 10 === 0 ? { ...spec, numbers: [`+1555${String((i + 10) % 300).padStart(7, "0")}`] } : i % 11 === 0 ? { ...spec, metadata: '{"b":1,"a":2}' } : spec;
      remote.push({ id: `SDR_${String(1000 - i).padStart(6, "0")}`, spec: withServerDefaults(changed) });
      if (i % 50 === 7) remote.push({ id: `SDR_${String(2000 + i).padStart(6, "0")}`, spec: withServerDefaults(spec) });
    });
    for (let i = 300; i < 310; i++) remote.push({ id: `SDR_${String(5000 + i)}`, spec: { name: `r${i}`, trunkIds: ["ST_x"], numbers: [`+1666${i}`] } });
    const desired = aDesiredState({ rules: desiredRules(specs), limits: { maxDeletes: 1000, maxDeletePercent: 100 } });
    for (const updateSupported of [true, false]) {
      const plan = planChanges(desired, remote, { updateSupported });
      expect(JSON.stringify(plan)).toBe(JSON.stringify(ref.planChanges(desired, remote, { updateSupported })));
      expect(plan.summary.update).toBeGreaterThan(20);
      expect(JSON.stringify(orderChanges(plan.changes))).toBe(JSON.stringify(ref.orderChanges(plan.changes)));
    }
  });
});

// Property tests (pure): the normaliser is idempotent, and a rule equal after normalisation
// never plans an update (no perpetual diffs).
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { diffFields, normalizeRule, planChanges, rulesEqual } from "../../src/core/index.js";
import type { RuleSpec } from "../../src/model/index.js";
import { aDesiredState, desiredRules, ruleSpecArb, withServerDefaults } from "../support/builders.js";

/** The server form, with sets shuffled and duplicated and metadata re-serialised with other spacing. */
const serverFormArb = (spec: RuleSpec) =>
  fc.record({ enumsAsNumbers: fc.boolean(), metadataSpacing: fc.boolean(), seed: fc.integer() }).map(({ enumsAsNumbers, metadataSpacing, seed }) => {
    const full = withServerDefaults(spec, { enumsAsNumbers, metadataSpacing }) as unknown as Record<string, unknown>;
    const shuffle = (list: unknown) => {
      const arr = [...((list as string[] | undefined) ?? [])];
      if (arr.length > 0 && seed % 2 === 0) arr.push(arr[0] as string);
      return seed % 3 === 0 ? arr.reverse() : arr.sort();
    };
    return { ...full, trunkIds: shuffle(full.trunkIds), inboundNumbers: shuffle(full.inboundNumbers), numbers: shuffle(full.numbers) } as unknown as RuleSpec;
  });

describe("normalizeRule", () => {
  test("is idempotent, on sparse and on default-filled specs", () => {
    fc.assert(
      fc.property(ruleSpecArb("r").chain((spec) => fc.tuple(fc.constant(spec), serverFormArb(spec))), ([spec, server]) => {
        for (const s of [spec, server]) {
          const once = normalizeRule(s);
          expect(normalizeRule(once)).toEqual(once);
          expect(diffFields(once, s)).toEqual([]);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("no perpetual diffs", () => {
  test("a server rule built from the desired spec with every default added plans unchanged", () => {
    fc.assert(
      fc.property(ruleSpecArb("line").chain((spec) => fc.tuple(fc.constant(spec), serverFormArb(spec))), ([spec, server]) => {
        expect(rulesEqual(spec, server)).toBe(true);
        const plan = planChanges(aDesiredState({ rules: desiredRules([spec]) }), [{ id: "SDR_000000000001", spec: server }], { updateSupported: true });
        expect(plan.changes).toEqual([]);
        expect(plan.summary).toMatchObject({ unchanged: 1, create: 0, update: 0, delete: 0 });
      }),
      { numRuns: 300 },
    );
  });

  test("two specs are equal exactly when their diff is empty, and a diff is symmetric in its paths", () => {
    fc.assert(
      fc.property(ruleSpecArb("x"), ruleSpecArb("x"), (a, b) => {
        const ab = diffFields(a, b).map((f) => f.path).sort();
        const ba = diffFields(b, a).map((f) => f.path).sort();
        expect(ab).toEqual(ba);
        expect(rulesEqual(a, b)).toBe(ab.length === 0);
      }),
      { numRuns: 300 },
    );
  });
});

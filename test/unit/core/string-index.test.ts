// StringIndex (pure): behaves as a Map<string, number> restricted to add-if-absent, get and set,
// whatever the keys (colliding hashes, empty strings, surrogates) and however far it grows.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { StringIndex } from "../../../src/core/string-index.js";

type Op = { kind: "add"; key: string; value: number } | { kind: "get"; key: string } | { kind: "set"; key: string; value: number };

const keyArb = fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom("", "a", "b", "rule-00001", "rule-00002", "\ud800", "__proto__"), fc.string({ unit: "binary", maxLength: 3 }));
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("add" as const), key: keyArb, value: fc.nat() }),
  fc.record({ kind: fc.constant("get" as const), key: keyArb }),
  fc.record({ kind: fc.constant("set" as const), key: keyArb, value: fc.nat() }),
);

describe("StringIndex", () => {
  it("answers as a Map model does, through growth from any starting size", () => {
    fc.assert(
      fc.property(fc.nat(40), fc.array(opArb, { maxLength: 300 }), (expected, ops) => {
        const index = new StringIndex(expected);
        const model = new Map<string, number>();
        for (const op of ops) {
          if (op.kind === "add") {
            const had = model.get(op.key);
            expect(index.add(op.key, op.value)).toBe(had ?? -1);
            if (had === undefined) model.set(op.key, op.value);
          } else if (op.kind === "get") {
            expect(index.get(op.key)).toBe(model.get(op.key) ?? -1);
          } else if (model.has(op.key)) {
            index.set(op.key, op.value);
            model.set(op.key, op.value);
          } else {
            expect(() => index.set(op.key, op.value)).toThrow(RangeError);
          }
          expect(index.size).toBe(model.size);
        }
        for (const [key, value] of model) expect(index.get(key)).toBe(value);
      }),
      { numRuns: 300 },
    );
  });

  it("holds 20,000 similar keys (the planner's names) with every value found again", () => {
    const index = new StringIndex(10);
    const keys = Array.from({ length: 20_000 }, (_, i) => `rule-${String(i).padStart(5, "0")}`);
    keys.forEach((k, i) => expect(index.add(k, i)).toBe(-1));
    keys.forEach((k, i) => expect(index.get(k)).toBe(i));
    expect(index.get("rule-20000")).toBe(-1);
    expect(index.size).toBe(20_000);
  });

  it("takes only non-negative integer values", () => {
    const index = new StringIndex();
    expect(() => index.add("a", -1)).toThrow(RangeError);
    expect(() => index.add("a", 1.5)).toThrow(RangeError);
    index.add("a", 0);
    expect(() => index.set("a", -2)).toThrow(RangeError);
    expect(index.get("a")).toBe(0);
  });
});

// The model's conflict key (livekit-sip-api.md §5.2) against independent statements of the rule:
// the emulator's own NormalizeNumber, and the plain cross product of pin × trunks × inbound
// numbers × numbers (an empty list counting as ""), deduplicated.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { normalizeNumber as emulatorNormalizeNumber } from "../../../src/emulator/rule-info.js";
import { conflictKeyId, conflictKeysOf, normalizeNumber, type ConflictKey, type RuleSpec } from "../../../src/model/index.js";

const numberish = fc.string({ unit: fc.constantFrom("+", "1", "5", "0", "9", " ", "-", "(", ")", "x", ":", "s", "\u0661"), maxLength: 14 });
const list = (item: fc.Arbitrary<string>) => fc.option(fc.array(item, { maxLength: 3 }), { nil: undefined });

function crossProduct(spec: RuleSpec): string[] {
  const pin = "direct" in spec && spec.direct ? (spec.direct.pin ?? "") : "";
  const orEmpty = (l: readonly string[] | undefined) => (l && l.length > 0 ? l : [""]);
  const out = new Set<string>();
  for (const trunk of orEmpty(spec.trunkIds))
    for (const inbound of orEmpty(spec.inboundNumbers))
      for (const number of orEmpty(spec.numbers))
        out.add(JSON.stringify({ pin, trunk, inboundNumber: emulatorNormalizeNumber(inbound), number: emulatorNormalizeNumber(number) }));
  return [...out];
}

describe("conflict keys", () => {
  test("conflictKeyId is equal exactly when the keys are equal, whatever the fields hold", () => {
    const text = fc.string({ unit: fc.constantFrom("1", ":", "2", "a", "", "\\", '"', ",", "0"), maxLength: 6 });
    const key = fc.record({ pin: text, trunk: text, inboundNumber: text, number: text });
    fc.assert(
      fc.property(key, key, (a: ConflictKey, b: ConflictKey) => {
        const same = a.pin === b.pin && a.trunk === b.trunk && a.inboundNumber === b.inboundNumber && a.number === b.number;
        expect(conflictKeyId(a) === conflictKeyId(b)).toBe(same);
      }),
      { numRuns: 3000 },
    );
    // Field boundaries cannot move: "1" + ":2" is not "1:" + "2".
    expect(conflictKeyId({ pin: "1", trunk: ":2", inboundNumber: "", number: "" })).not.toBe(conflictKeyId({ pin: "1:", trunk: "2", inboundNumber: "", number: "" }));
  });

  test("normalizeNumber agrees with the emulator's NormalizeNumber", () => {
    fc.assert(
      fc.property(numberish, (n) => {
        expect(normalizeNumber(n)).toBe(emulatorNormalizeNumber(n));
      }),
      { numRuns: 500 },
    );
    expect(normalizeNumber("+15551234567")).toBe("+15551234567");
    expect(normalizeNumber("1 (555) 123-4567")).toBe("+15551234567");
  });

  test("conflictKeysOf is the deduplicated cross product, one-element lists included", () => {
    const spec = fc.record({
      name: fc.constant("r"),
      direct: fc.record({ roomName: fc.constant("room"), pin: fc.option(fc.constantFrom("", "1234", "99"), { nil: undefined }) }),
      trunkIds: list(fc.constantFrom("", "ST_a", "ST_b")),
      inboundNumbers: list(numberish),
      numbers: list(numberish),
    }) as fc.Arbitrary<RuleSpec>;
    fc.assert(
      fc.property(spec, (s) => {
        const keys = conflictKeysOf(s).map((k) => JSON.stringify({ pin: k.pin, trunk: k.trunk, inboundNumber: k.inboundNumber, number: k.number }));
        expect(keys).toEqual(crossProduct(s));
      }),
      { numRuns: 500 },
    );
  });
});

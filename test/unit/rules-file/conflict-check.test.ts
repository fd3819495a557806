// noServerConflicts skips the rules whose numbers no other rule has (check-rules.ts, mayConflict).
// This property holds it to the check over every rule, written out here as it was before the
// skip: the same diagnostics, in the same order, for rules that share numbers, trunks and pins
// in any way, with empty lists, several numbers, and spellings that normalise to one number.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import "../../support/fast-check-seed.js";
import { conflictKeyId, conflictKeysOf, describeConflictKey, type Diagnostic, type RuleSpec } from "../../../src/model/index.js";
import { noServerConflicts, type RuleEntry } from "../../../src/rules-file/check-rules.js";
import { diagnosticAt, type SourceIndex } from "../../../src/rules-file/positions.js";

const INDEX: SourceIndex = { file: "r.yaml", text: "", nodes: new Map(), locate: () => ({ line: 0, column: 0 }) };

/** The check over every rule, without the skip. */
function reference(rules: readonly RuleEntry[]): Diagnostic[] {
  const owner = new Map<string, number>();
  const reported = new Set<string>();
  const out: Diagnostic[] = [];
  for (const r of rules) {
    if (r.spec === undefined) continue;
    for (const key of conflictKeysOf(r.spec)) {
      const id = conflictKeyId(key);
      const prev = owner.get(id);
      if (prev === undefined) {
        owner.set(id, r.index);
        continue;
      }
      const pair = `${prev}:${r.index}`;
      if (prev === r.index || reported.has(pair)) continue;
      reported.add(pair);
      const other = rules.find((e) => e.index === prev);
      out.push(
        diagnosticAt(INDEX, undefined, ["rules", r.index, "name"], {
          code: "rule-conflict",
          message: `rule \`${r.name ?? `rules[${r.index}]`}\` conflicts with rule \`${other?.name ?? `rules[${prev}]`}\` (line 0): both match ${describeConflictKey(key)}`,
          hint: "the server rejects two rules with the same pin, trunk, inbound number and number (an empty list counts as any): give one of them different `trunkIds`, `numbers` or `inboundNumbers`, or a different pin",
          related: [{ file: "r.yaml", line: 0, column: 0, path: `rules[${prev}].name` }],
        }),
      );
    }
  }
  return out;
}

const list = (values: readonly string[]) => fc.option(fc.uniqueArray(fc.constantFrom(...values), { maxLength: 3 }), { nil: undefined });
const spec = fc
  .record({
    kind: fc.constantFrom("direct", "individual", "callee"),
    pin: fc.constantFrom("", "1234", "9"),
    trunkIds: list(["ST_a", "ST_b"]),
    inboundNumbers: list(["+1555", "1555"]),
    numbers: list(["+15550001", "1 555 0001", "+15550002", "+15550003", "sip-uri"]),
  })
  .map(({ kind, pin, ...lists }): RuleSpec => {
    const out: Record<string, unknown> = { name: "x", [kind]: pin === "" ? {} : { pin } };
    for (const [k, v] of Object.entries(lists)) if (v !== undefined) out[k] = v;
    return out as unknown as RuleSpec;
  });
const entries = fc.array(fc.tuple(spec, fc.boolean(), fc.option(fc.constantFrom("a", "b", "c"), { nil: undefined })), { maxLength: 12 }).map((rules) =>
  rules.map(([s, bad, name], index): RuleEntry => ({ index: index * 2, name, spec: bad && index % 3 === 0 ? undefined : s })),
);

describe("noServerConflicts", () => {
  it("reports what the check over every rule reports, in its order", () => {
    let withConflicts = 0;
    fc.assert(
      fc.property(entries, (rules) => {
        const want = reference(rules);
        if (want.length > 0) withConflicts++;
        expect(noServerConflicts({ rules, source: INDEX })).toEqual(want);
      }),
      { numRuns: 1000 },
    );
    // The property must see conflicts, not only clean files.
    expect(withConflicts).toBeGreaterThan(100);
  });
});

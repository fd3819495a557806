// uniqueNames finds a duplicate with one set insertion per name, and only then builds the index
// of each name's first rule (check-rules.ts). This property holds it to the Map-based check over
// every rule, written out here: the same diagnostics, in the same order, with or without names.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import "../../support/fast-check-seed.js";
import type { Diagnostic } from "../../../src/model/index.js";
import { uniqueNames, type RuleEntry } from "../../../src/rules-file/check-rules.js";
import { diagnosticAt, type SourceIndex } from "../../../src/rules-file/positions.js";

const INDEX: SourceIndex = { file: "r.yaml", text: "", nodes: new Map(), locate: () => ({ line: 0, column: 0 }) };

function reference(rules: readonly RuleEntry[]): Diagnostic[] {
  const first = new Map<string, number>();
  const out: Diagnostic[] = [];
  for (const r of rules) {
    if (r.name === undefined) continue;
    const prev = first.get(r.name);
    if (prev === undefined) {
      first.set(r.name, r.index);
      continue;
    }
    out.push(
      diagnosticAt(INDEX, undefined, ["rules", r.index, "name"], {
        code: "duplicate-name",
        message: `duplicate rule name \`${r.name}\`: rules[${prev}] (line 0) has it too`,
        hint: "rule names must be unique: they match the rules on the server; rename one of them",
        related: [{ file: "r.yaml", line: 0, column: 0, path: `rules[${prev}].name` }],
      }),
    );
  }
  return out;
}

const entries = fc
  .array(fc.option(fc.constantFrom("a", "b", "c", "d", "e", "f", "g", "h"), { nil: undefined }), { maxLength: 10 })
  .map((names) => names.map((name, index): RuleEntry => ({ index: index * 2, name, spec: undefined })));

describe("uniqueNames", () => {
  it("reports what the Map-based check over every rule reports, in its order", () => {
    let withDuplicates = 0;
    let without = 0;
    fc.assert(
      fc.property(entries, (rules) => {
        const want = reference(rules);
        if (want.length > 0) withDuplicates++;
        else without++;
        expect(uniqueNames({ rules, source: INDEX })).toEqual(want);
      }),
      { numRuns: 1000 },
    );
    // Both branches must be exercised: files with a duplicate and files without.
    expect(withDuplicates).toBeGreaterThan(100);
    expect(without).toBeGreaterThan(100);
  });
});

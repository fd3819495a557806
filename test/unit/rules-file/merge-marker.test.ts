// mayHoldMergeMarker is the cheap test that decides whether a text is searched for Git conflict
// markers at all: it must hold for every text that holds a marker's characters, and it is
// exactly "one of the three markers' text appears anywhere".
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import "../../support/fast-check-seed.js";
import { loadRulesText, mayHoldMergeMarker } from "../../../src/rules-file/load-rules-text.js";

const text = fc.array(fc.constantFrom("<", ">", "=", "<<<<<<<", ">>>>>>>", "=======", "<<<<<<", "a", " ", "\n", "é"), { maxLength: 40 }).map((parts) => parts.join(""));

describe("mayHoldMergeMarker", () => {
  it("is true exactly when a marker's text appears", () => {
    fc.assert(
      fc.property(text, (t) => {
        expect(mayHoldMergeMarker(t)).toBe(t.includes("<<<<<<<") || t.includes(">>>>>>>") || t.includes("======="));
      }),
      { numRuns: 2000 },
    );
  });

  it("lets each marker through to its error", () => {
    for (const marker of ["<<<<<<< HEAD", "=======", ">>>>>>> branch"]) {
      const r = loadRulesText(`version: 1\nrules: []\n${marker}\n`, "r.yaml", { env: {} });
      expect(r.ok).toBe(false);
      expect(!r.ok && r.diagnostics.map((d) => d.code)).toEqual(["merge-conflict"]);
    }
  });
});

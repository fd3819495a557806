// Unit (pure): a pin is a secret, so no diagnostic about a pin repeats its value, whatever is
// wrong with it (SPEC §3: pins never reach output; watch logs every diagnostic).
import { describe, expect, it } from "vitest";
import { loadRulesText } from "../../../src/rules-file/index.js";

const PIN = "735193";
const cases: Record<string, string> = {
  "unquoted number": `pin: ${PIN}`,
  "in a list": `pin: [${PIN}]`,
  "in a mapping": `pin: { code: "${PIN}" }`,
  "number with a leading zero": `pin: 0${PIN}`,
};

describe("diagnostics about pins", () => {
  for (const [what, line] of Object.entries(cases)) {
    it(`do not repeat the pin: ${what}`, () => {
      const text = `version: 1\nrules:\n  - name: a\n    individual:\n      roomPrefix: call-\n      ${line}\n`;
      const result = loadRulesText(text, "f.yaml", { env: {} });
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.diagnostics.some((d) => d.path === "rules[0].individual.pin")).toBe(true);
      expect(JSON.stringify(result.diagnostics)).not.toContain(PIN);
    });
  }
});

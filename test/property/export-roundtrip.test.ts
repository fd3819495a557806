// Property (pure): `export`'s YAML (renderExportYaml, the shape-aware writer) loads back as the
// server's state: export -> loadRulesText -> planChanges shows no change, for rules holding hostile
// strings (JSON-looking text, yes/no/~, leading * & ! # %, ": ", tabs, line breaks, non-BMP
// characters, ${...}, number- and date-looking text) in every free-text field, and as mapping keys.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { renderExportYaml } from "../../src/cli/commands/export.js";
import { exportRules, planChanges } from "../../src/core/index.js";
import type { RemoteRule, RuleSpec } from "../../src/model/index.js";
import { loadRulesText } from "../../src/rules-file/index.js";
import { yamlString } from "../../src/render/yaml-writer.js";
import { parseYamlWithLibrary } from "../../src/rules-file/parse-yaml.js";

const HOSTILE = [
  '{"a":1}', "[1, 2]", "{a: b}", "yes", "no", "on", "off", "y", "n", "~", "null", "Null", "true", "FALSE", "*alias", "&anchor", "!tag", "!!str x", "#comment", "a #b", "%YAML",
  "@at", "`tick`", "a: b", "a:b", "key: ", "- item", "-", "? q", "|", ">-", "\t", "a\tb", "line\nbreak", "trailing\n", "\n", " lead", "trail ", "😀", "日本語", "é", "-1",
  "0x1F", "0o17", "1e3", "1_000", "+15550100", ".inf", "-.Inf", ".nan", "1.", "12:30", "2024-01-01", "'single'", '"double"', "\\", "back\\slash", "${VAR}", "$${X}", "$", "<<",
  "---", "...", "a, b", "x]", "{", "${PIN_A}", "${A_1}", "__proto__", "constructor", "\u2028", "\u0085", "\u007f", "\u00a0", "\ufeff", "a\u200bb", "",
];
const hostile = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...HOSTILE) }, { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 8 }) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) });
/** Strings the server can hold (protobuf strings are UTF-8: no lone surrogates). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const serverText = hostile.filter((s) => !LONE_SURROGATE.test(s));

function ruleArb(i: number): fc.Arbitrary<RemoteRule> {
  return fc
    .record({
      kind: fc.constantFrom("individual", "direct", "callee"),
      room: serverText.filter((s) => s.trim() !== ""),
      metadata: serverText.filter((s) => !/^\s*[[{]/.test(s)),
      attrKey: serverText.filter((s) => s !== ""),
      attrValue: serverText,
      agentMeta: serverText,
      agentName: serverText,
      tag: serverText,
    })
    .map((r): RemoteRule => {
      const variant = r.kind === "direct" ? { direct: { roomName: r.room } } : r.kind === "individual" ? { individual: { roomPrefix: r.room } } : { callee: { roomPrefix: r.room } };
      const spec = {
        name: `rule-${i}`,
        ...variant,
        numbers: [`+1555000${String(i).padStart(4, "0")}`],
        metadata: r.metadata,
        attributes: { [r.attrKey]: r.attrValue },
        roomConfig: { agents: [{ agentName: r.agentName, metadata: r.agentMeta }], tags: { t: r.tag } },
      } as RuleSpec;
      return { id: `SDR_${String(i).padStart(12, "0")}`, spec };
    });
}
const serverArb = fc.integer({ min: 1, max: 6 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => ruleArb(i))));

describe("export YAML round trip (shape-aware writer)", () => {
  it("every string reads back as itself through the library", () => {
    fc.assert(
      fc.property(serverText, (s) => {
        const asValue = parseYamlWithLibrary(`k: ${yamlString(s)}\n`, "f.yaml");
        expect(asValue.ok && asValue.value).toEqual({ k: s });
        const inFlow = parseYamlWithLibrary(`k: [${yamlString(s, true)}, x]\n`, "f.yaml");
        expect(inFlow.ok && inFlow.value).toEqual({ k: [s, "x"] });
        const key = s === "" ? "x" : s;
        const asKey = parseYamlWithLibrary(`${yamlString(key)}: v\n`, "f.yaml");
        expect(asKey.ok && asKey.value).toEqual({ [key]: "v" });
      }),
      { numRuns: 2000, seed: 19 },
    );
  });

  it("export -> load -> plan shows no changes against the same server, also with hostile strings", () => {
    fc.assert(
      fc.property(serverArb, (remote) => {
        const { specs, placeholders } = exportRules(remote, { includePins: true });
        const yaml = renderExportYaml(specs, "http://server", placeholders);
        const loaded = loadRulesText(yaml, "exported.yaml", { env: {} });
        if (!loaded.ok) throw new Error(`the export does not load:\n${yaml}\n${JSON.stringify(loaded.diagnostics.slice(0, 3), null, 1)}`);
        const plan = planChanges(loaded.state, remote, { updateSupported: true });
        expect(plan.changes).toEqual([]);
        expect(plan.summary.unchanged).toBe(remote.length);
      }),
      { numRuns: 400, seed: 19 },
    );
  });
});

// Unit: mapping keys YAML would read as no text (SPEC §2) are errors in both YAML paths: the fast
// path leaves them to the library path, which reports each at its key with the hint to quote it.
import { describe, expect, it } from "vitest";
import { parseFastYaml } from "../../../src/rules-file/fast-yaml.js";
import { parseYaml, parseYamlWithLibrary } from "../../../src/rules-file/parse-yaml.js";

const KEYS = ["007", "0x1F", "1e3", ".inf", "-.Inf", ".nan", "yes", "Off", "~", "null", "true", "0o17", "1_000", "0b101"];

describe("non-text mapping keys", () => {
  it.each(KEYS)("%s: the fast path does not answer (block and flow)", (k) => {
    expect(parseFastYaml(`attributes:\n  ${k}: v\n`)).toBeUndefined();
    expect(parseFastYaml(`attributes: {${k}: v}\n`)).toBeUndefined();
  });

  it.each(KEYS)("%s: the library path reports it at the key, with the hint to quote it", (k) => {
    for (const text of [`attributes:\n  ${k}: v\n`, `attributes: {${k}: v}\n`]) {
      const r = parseYamlWithLibrary(text, "f.yaml");
      expect(r.ok).toBe(true);
      const d = r.ok ? r.diagnostics : [];
      expect(d).toHaveLength(1);
      expect(d[0]).toMatchObject({ code: "non-text-key", line: text.startsWith("attributes:\n") ? 2 : 1, column: text.startsWith("attributes:\n") ? 3 : 14 });
      expect(d[0]?.hint).toContain(`"${k}"`);
      // parseYaml (the dispatcher) gives the same.
      expect(parseYaml(text, "f.yaml")).toMatchObject({ ok: true, diagnostics: d });
    }
  });

  it("keeps quoted and ordinary keys as written, on the fast path", () => {
    const fast = parseFastYaml(`attributes:\n  "007": a\n  '0x1F': b\n  name: c\n  y: d\n  n1: e\n`);
    expect(fast?.value).toEqual({ attributes: { "007": "a", "0x1F": "b", name: "c", y: "d", n1: "e" } });
  });
});

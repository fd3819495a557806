// The loader with `environments:` (SPEC §8): the selected environment's variables (the process
// environment wins), rules limited to environments (neither interpolated nor checked elsewhere),
// trunk names in the offline conflict check, and the selection's own errors.
import { describe, expect, it } from "vitest";
import { loadRulesText, mergeEnvironmentDiagnostics, type LoadResult } from "../../../src/rules-file/index.js";

const FILE = [
  "version: 1",
  "environments:",
  "  staging:",
  "    url: ${STAGING_URL:-http://127.0.0.1:7880}",
  "    vars: { NUM: \"+15550001111\" }",
  "  production:",
  "    url: https://prod.example",
  "    vars: { NUM: \"+15550002222\" }",
  "    apiKey: ${PROD_KEY}",
  "rules:",
  "  - name: line",
  "    individual: {}",
  "    numbers: [\"${NUM}\"]",
  "  - name: only-staging",
  "    environments: [staging]",
  "    callee: {}",
  "    numbers: [\"${STAGING_ONLY}\"]",
  "  - name: only-staging",
  "    environments: [production]",
  "    callee: {}",
  "    numbers: [\"+15550009999\"]",
].join("\n");

const load = (text: string, environment: string | undefined, env: Record<string, string> = {}) => loadRulesText(text, "r.yaml", { env, environment });
function ok(r: LoadResult) {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.diagnostics, null, 1)}`);
  return r.state;
}
function problems(r: LoadResult) {
  if (r.ok) throw new Error("expected diagnostics");
  return r.diagnostics;
}

describe("environments in the loader", () => {
  it("takes the environment's vars, lets the process environment win, and keeps only its rules", () => {
    const prod = ok(load(FILE, "production"));
    expect(prod.environment).toMatchObject({ name: "production", url: "https://prod.example", apiKey: "${PROD_KEY}" });
    expect(prod.rules.map((r) => [r.spec.name, r.spec.numbers])).toEqual([
      ["line", ["+15550002222"]],
      ["only-staging", ["+15550009999"]],
    ]);
    const overridden = ok(load(FILE, "production", { NUM: "+15550003333" }));
    expect(overridden.rules[0]?.spec.numbers).toEqual(["+15550003333"]);
    const staging = ok(load(FILE, "staging", { STAGING_ONLY: "+15550004444" }));
    expect(staging.environment?.url).toBe("http://127.0.0.1:7880");
    expect(staging.rules.map((r) => r.spec.numbers)).toEqual([["+15550001111"], ["+15550004444"]]);
  });

  it("never interpolates another environment's rules, and reports a missing variable at its line", () => {
    const d = problems(load(FILE, "staging"));
    expect(d.filter((x) => x.code === "missing-env").map((x) => [x.line, x.path])).toEqual([[17, "rules[1].numbers[0]"]]);
    // Production's rule of the same name is not in staging: no duplicate name, nothing about rules[2].
    expect(d.filter((x) => x.path.startsWith("rules[2]") || x.code === "duplicate-name")).toEqual([]);
  });

  it("needs an environment when the file defines any, refuses one when it defines none", () => {
    expect(problems(load(FILE, undefined)).map((x) => [x.code, x.line, x.message])).toEqual([
      ["environment-required", 2, "the file defines environments (staging, production): name one"],
    ]);
    // The names come with that failure, so `validate` loads each environment without a second parse to find them.
    const required = load(FILE, undefined);
    expect(required.ok === false && required.environments).toEqual(["staging", "production"]);
    const named = load(FILE, "nope");
    expect(named.ok === false && "environments" in named).toBe(false);
    expect(problems(load("version: 1\nrules: []\n", "staging")).map((x) => x.code)).toEqual(["no-environments"]);
    expect(problems(load("version: 1\nrules:\n  - name: a\n    environments: [x]\n    callee: {}\n", undefined)).map((x) => x.code)).toEqual(["no-environments"]);
    expect(problems(load(FILE, "Staging")).map((x) => x.hint)).toEqual(["did you mean --env staging?"]);
    // `all` is reserved for plan --env all.
    expect(problems(load(FILE.replace("  production:", "  all:"), "staging", { STAGING_ONLY: "+1555" })).some((x) => x.path.startsWith("environments"))).toBe(true);
  });

  it("checks trunk names offline as one trunk each: the same name conflicts, different names do not", () => {
    const rules = (a: string, b: string) =>
      `version: 1\nrules:\n  - name: a\n    callee: {}\n    trunks: [${a}]\n    numbers: ["+15550001"]\n  - name: b\n    callee: {}\n    trunks: [${b}]\n    numbers: ["+15550001"]\n`;
    const same = problems(load(rules("main", "main"), undefined));
    expect(same.map((x) => x.code)).toEqual(["rule-conflict"]);
    expect(same[0]?.message).toContain('trunk "main" (trunk name)');
    const state = ok(load(rules("main", "backup"), undefined));
    expect(state.rules.map((r) => [r.trunks, r.spec.trunkIds])).toEqual([
      [["main"], undefined],
      [["backup"], undefined],
    ]);
  });

  it("merges validate's per-environment problems: shared ones once, the others labelled", () => {
    const d = (message: string) => ({ code: "c", severity: "error" as const, message, file: "f", line: 1, column: 1, path: "" });
    const merged = mergeEnvironmentDiagnostics([
      { name: "staging", diagnostics: [d("shared"), d("only here")] },
      { name: "production", diagnostics: [d("shared")] },
    ]);
    expect(merged.map((x) => x.message)).toEqual(["shared", "environment staging: only here"]);
  });
});

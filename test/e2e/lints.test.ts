// End-to-end (I/O: child processes, temp files, an in-process emulator): the lints of SPEC §2
// (issue #15) through the built CLI: warnings in validate's three formats and in plan, --strict
// making them errors, and `# sip-dispatch-sync: ignore[CODE]` on a rule's line silencing one.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePlan, startE2e, type E2e } from "../support/e2e-harness.js";
import { runCli } from "../support/run-cli.js";

let t: E2e;
beforeAll(async () => {
  t = await startE2e("lints");
});
afterAll(async () => {
  await t.stop();
});

const LINTED = [
  "version: 1",
  'manage: ["team-*", "catch-*"]',
  "rules:",
  "  - name: catch-all", // 4
  "    individual: {}",
  "  - name: team-local", // 6
  "    individual: {}",
  '    numbers: ["0800 123"]', // 8: "+0800123" after the server's normalisation: not E.164
  "  - name: team-swapped", // 9
  "    individual: {}",
  '    numbers: ["+14155550100"]',
  '    inboundNumbers: ["+1 (415) 555-0100"]', // 12: the same number once normalised
  "  - name: other", // 13: outside manage
  "    individual: {}",
  "    trunkIds: [ST_other]",
  "",
].join("\n");

describe("lints", () => {
  it("validate reports each lint as a warning with its code, line and hint; exit 0", async () => {
    const file = await t.write("linted.yaml", LINTED);
    const r = await runCli(["validate", file]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain(`${file}:4:5: warning: rule "catch-all" is a catch-all: no trunkIds, numbers, inboundNumbers or pin, so it takes every call no other rule takes (at rules[0].name)`);
    expect(r.stdout).toContain("# sip-dispatch-sync: ignore[catch-all-rule]");
    expect(r.stdout).toContain(`${file}:8:15: warning: numbers[0] "0800 123" is not an E.164 number (the server reads it as "+0800123") (at rules[1].numbers[0])`);
    expect(r.stdout).toContain(`${file}:12:22: warning: rule "team-swapped" has "+1 (415) 555-0100" in both \`numbers\` (the called number) and \`inboundNumbers\` (the caller)`);
    expect(r.stdout).toContain(`${file}:13:5: warning: rule "other" is outside manage ["team-*","catch-*"]: it is never planned`);
    expect(r.stdout).toContain(`${file}: 4 rules, valid (4 warnings)`);

    const gh = await runCli(["validate", "--format", "github", file]);
    expect(gh.code).toBe(0);
    expect(gh.stdout).toMatch(/^::warning file=.*linted\.yaml,line=4,col=5::rule "catch-all" is a catch-all/m);
    const json = JSON.parse((await runCli(["validate", "--format", "json", file])).stdout) as { valid: boolean; files: { diagnostics: { code: string; severity: string; line: number }[] }[] };
    expect(json.valid).toBe(true);
    expect(json.files[0]?.diagnostics.map((d) => `${d.severity} ${d.code} ${d.line}`)).toEqual([
      "warning catch-all-rule 4",
      "warning number-not-e164 8",
      "warning number-in-both 12",
      "warning name-outside-manage 13",
    ]);
  });

  it("--strict makes the warnings errors (exit 1)", async () => {
    const file = await t.write("strict.yaml", LINTED);
    const r = await runCli(["validate", "--strict", file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${file}:4:5: error: rule "catch-all" is a catch-all`);
    expect(r.stdout).toContain("(an error with --strict)");
    expect(r.stdout.trim().split("\n").at(-1)).toBe("4 errors in 1 file");
  });

  it("# sip-dispatch-sync: ignore[CODE] on the rule's line silences that lint only", async () => {
    const text = [
      "version: 1",
      "rules:",
      "  - name: catch-all # sip-dispatch-sync: ignore[catch-all-rule]",
      "    individual: {}",
      '  - { name: local, individual: {}, numbers: ["0800 123"] }  # sip-dispatch-sync: ignore[catch-all-rule]',
      '  - { name: local2, individual: {}, numbers: ["0800 124"] }  # sip-dispatch-sync: ignore[number-not-e164]',
      "",
    ].join("\n");
    const r = await runCli(["validate", "--strict", "-"], { input: text });
    expect(r.stdout).not.toContain("is a catch-all");
    expect(r.stdout).toMatch(/^<stdin>:5:\d+: error: numbers\[0\] "0800 123" is not an E\.164 number/m);
    expect(r.stdout).not.toContain('"0800 124"');
    expect(r.code).toBe(1);
  });

  it("plan shows the lints as warnings; plan --strict refuses to plan", async () => {
    const file = await t.write("plan.yaml", "version: 1\nrules:\n  - name: everything\n    individual: {}\n");
    const plan = await t.cli(["plan", "-c", file]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(`Warning: ${file}:3:5: rule "everything" is a catch-all: no trunkIds, numbers, inboundNumbers or pin, so it takes every call no other rule takes [catch-all-rule]`);
    const json = parsePlan(await t.cli(["plan", "-c", file, "--format", "json"]));
    expect(json.warnings[0]).toContain("[catch-all-rule]");
    const strict = await t.cli(["plan", "-c", file, "--strict"]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain(`${file}:3:5: error: rule "everything" is a catch-all`);
    expect(strict.stdout).toBe("");
  });
});

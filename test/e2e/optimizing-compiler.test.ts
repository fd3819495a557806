// `validate` of small files runs without V8's optimising compiler, and of large ones with it
// (src/cli/optimizing-compiler.ts): seen from outside, in V8's own trace of the built CLI
// (`node --trace-opt`, which prints a line for every TurboFan compile).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLI_PATH, cleanEnv } from "../support/run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "sds-opt-e2e-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** n rules as a hand-written file has them (about 145 bytes a rule). */
function rulesFile(name: string, n: number): string {
  const lines = ["version: 1", "rules:"];
  for (let i = 0; i < n; i++) {
    lines.push(`  - name: rule-${String(i).padStart(6, "0")}`, "    individual:", `      roomPrefix: call-${i}-`);
    lines.push(`    trunkIds: [ST_trunk${i % 7}]`, `    numbers: ["+1555${String(i).padStart(7, "0")}"]`, "    metadata: { tier: gold }");
  }
  const path = join(dir, name);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

/** How many TurboFan compiles V8 reported while validating `files`, and the CLI's own output. */
function optimizedWhileValidating(files: readonly string[], nodeFlags: readonly string[] = []): { compiles: number; stdout: string; code: number | null } {
  const r = spawnSync(process.execPath, ["--trace-opt", ...nodeFlags, CLI_PATH, "validate", ...files], { encoding: "utf8", env: cleanEnv({ NODE_OPTIONS: "" }), timeout: 60_000 });
  const compiles = r.stdout.split("\n").filter((l) => l.startsWith("[completed optimizing")).length;
  return { compiles, stdout: r.stdout.split("\n").filter((l) => !l.startsWith("[")).join("\n"), code: r.status };
}

describe("validate and the optimising compiler", () => {
  const small = rulesFile("small.yaml", 1500);
  const large = rulesFile("large.yaml", 6000);

  it("checks a file below 512 KiB without a TurboFan compile", () => {
    expect(statSync(small).size).toBeLessThan(512 * 1024);
    const r = optimizedWhileValidating([small]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("1500 rules, valid");
    expect(r.compiles).toBe(0);
  });

  it("compiles with TurboFan for a large file, for small files that add up past the bound, and when Node is started with a tiering flag", () => {
    expect(statSync(large).size).toBeGreaterThan(512 * 1024);
    const big = optimizedWhileValidating([large]);
    expect(big.code).toBe(0);
    expect(big.stdout).toContain("6000 rules, valid");
    expect(big.compiles).toBeGreaterThan(0);
    // The same small file four times: together past the bound.
    const four = optimizedWhileValidating([small, small, small, small]);
    expect(four.code).toBe(0);
    expect(four.compiles).toBeGreaterThan(0);
    const given = optimizedWhileValidating([small], ["--turbofan"]);
    expect(given.code).toBe(0);
    expect(given.compiles).toBeGreaterThan(0);
  });
});

// `validate` of small files runs without V8's optimising compiler, and of large ones with it, and
// `plan` loads a small file without it (src/cli/optimizing-compiler.ts): seen from outside, in
// V8's own trace of the built CLI (`node --trace-opt`, which prints a line for every TurboFan
// compile, with the function's name).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_KEY, API_SECRET, startE2e, type E2e } from "../support/e2e-harness.js";
import { CLI_PATH, cleanEnv } from "../support/run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "sds-opt-e2e-"));
/** Only Node 20 (V8 11) goes without TurboFan: elsewhere a small file is compiled as a large one. */
const SKIPS = process.versions.v8.split(".")[0] === "11";
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

  it("checks a file below 512 KiB without a TurboFan compile (on Node 20)", () => {
    expect(statSync(small).size).toBeLessThan(512 * 1024);
    const r = optimizedWhileValidating([small]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("1500 rules, valid");
    if (SKIPS) expect(r.compiles).toBe(0);
    else expect(r.compiles).toBeGreaterThan(0);
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

/** The fast YAML parser's hottest functions: compiled while a large file loads. */
const PARSER = new Set(["FastParser", "blockMap", "blockSeq", "entryValue", "mapKey", "inlineValue"]);

describe("plan and the optimising compiler", () => {
  let t: E2e;
  beforeAll(async () => {
    t = await startE2e("opt");
  });
  afterAll(async () => {
    await t.stop();
  });

  /** The functions TurboFan compiled during `plan -c file` (asynchronous: the emulator runs in this process). */
  function compiledDuringPlan(file: string): Promise<{ code: number | null; names: string[]; stdout: string }> {
    return new Promise((resolve, reject) => {
      const env = cleanEnv({ LIVEKIT_URL: t.em.url, LIVEKIT_API_KEY: API_KEY, LIVEKIT_API_SECRET: API_SECRET, NODE_OPTIONS: "" });
      const child = spawn(process.execPath, ["--trace-opt", CLI_PATH, "plan", "-c", file], { env });
      let out = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
      child.stderr.resume();
      child.on("error", reject);
      child.on("close", (code) => {
        const lines = out.split("\n");
        const names = lines.filter((l) => l.startsWith("[completed optimizing")).map((l) => /<JSFunction (\S+)/.exec(l)?.[1] ?? "");
        resolve({ code, names, stdout: lines.filter((l) => !l.startsWith("[")).join("\n") });
      });
    });
  }

  it("loads a file below 512 KiB without compiling the parser (on Node 20), and a large one with it", async () => {
    const small = await compiledDuringPlan(rulesFile("plan-small.yaml", 1500));
    expect(small.code).toBe(0);
    expect(small.stdout).toContain("Plan: 1500 to create");
    if (SKIPS) expect(small.names.filter((n) => PARSER.has(n))).toEqual([]);
    else expect(small.names.filter((n) => PARSER.has(n)).length).toBeGreaterThan(0);
    const large = await compiledDuringPlan(rulesFile("plan-large.yaml", 6000));
    expect(large.code).toBe(0);
    expect(large.stdout).toContain("Plan: 6000 to create");
    expect(large.names.filter((n) => PARSER.has(n)).length).toBeGreaterThan(0);
  }, 60_000);
});

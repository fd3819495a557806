// When `validate` turns V8's optimising compiler off (src/cli/optimizing-compiler.ts): only for a
// known total below 512 KiB, only on V8 11 (Node 20), never over a tiering flag the user gave. That the
// built CLI really runs without it: test/e2e/optimizing-compiler.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { NO_OPTIMIZING_BELOW_BYTES, skipsOptimizingCompiler, totalSize } from "../../../src/cli/optimizing-compiler.js";

const NODE20 = "11.3.244.8-node.38";
const dir = mkdtempSync(join(tmpdir(), "sds-opt-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("skipsOptimizingCompiler", () => {
  it("skips TurboFan below 512 KiB in all, not at or above it, nor for an unknown size", () => {
    expect(NO_OPTIMIZING_BELOW_BYTES).toBe(512 * 1024);
    expect(skipsOptimizingCompiler(0, NODE20, [], undefined)).toBe(true);
    expect(skipsOptimizingCompiler(NO_OPTIMIZING_BELOW_BYTES - 1, NODE20, [], undefined)).toBe(true);
    expect(skipsOptimizingCompiler(NO_OPTIMIZING_BELOW_BYTES, NODE20, [], undefined)).toBe(false);
    expect(skipsOptimizingCompiler(40 * 1024 * 1024, NODE20, [], undefined)).toBe(false);
    expect(skipsOptimizingCompiler(undefined, NODE20, [], undefined)).toBe(false);
    expect(skipsOptimizingCompiler(Number.NaN, NODE20, [], undefined)).toBe(false);
  });

  it("only on V8 11 (Node 20), where it was measured", () => {
    expect(skipsOptimizingCompiler(1000, "11.3.244.8-node.38", [], undefined)).toBe(true);
    expect(skipsOptimizingCompiler(1000, "12.4.254.21-node.33", [], undefined)).toBe(false);
    expect(skipsOptimizingCompiler(1000, "13.6.233.10-node.27", [], undefined)).toBe(false);
    expect(skipsOptimizingCompiler(1000, "9.4.146.26-node.24", [], undefined)).toBe(false);
    expect(skipsOptimizingCompiler(1000, "14.0.1", [], undefined)).toBe(false);
    expect(skipsOptimizingCompiler(1000, "not a version", [], undefined)).toBe(false);
  });

  it("leaves tiering flags given on Node's command line or in NODE_OPTIONS alone", () => {
    for (const flag of ["--turbofan", "--no-turbofan", "--no-opt", "--opt", "--always-turbofan", "--always_opt", "--maglev", "--no_maglev", "--jitless"]) {
      expect(skipsOptimizingCompiler(1000, NODE20, [flag], undefined), flag).toBe(false);
      expect(skipsOptimizingCompiler(1000, NODE20, ["--max-old-space-size=256", flag], undefined), flag).toBe(false);
    }
    // NODE_OPTIONS allows --jitless (and refuses the others).
    expect(skipsOptimizingCompiler(1000, NODE20, [], "--max-old-space-size=256 --jitless")).toBe(false);
    // Other V8 flags, including ones that merely start with the same letters, do not count.
    expect(skipsOptimizingCompiler(1000, NODE20, ["--optimize-for-size", "--stack-size=984", "--trace-opt", "--max-semi-space-size=1"], "--max-old-space-size=256 --expose-gc")).toBe(true);
  });
});

describe("totalSize", () => {
  it("adds the files' sizes, counts a missing one as 0, and is unknown with standard input", () => {
    const a = join(dir, "a.yaml");
    const b = join(dir, "b.yaml");
    writeFileSync(a, "x".repeat(1000));
    writeFileSync(b, "y".repeat(234));
    expect(totalSize([a, b])).toBe(1234);
    expect(totalSize([a, join(dir, "missing.yaml")])).toBe(1000);
    expect(totalSize([])).toBe(0);
    expect(totalSize([a, "-"])).toBeUndefined();
  });
});

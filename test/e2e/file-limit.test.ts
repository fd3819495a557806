// End-to-end (I/O: child processes, temp files, an in-process emulator): the rules-file size cap
// (issue 19). The default holds 100,000 realistic rules; --max-file-size and
// $DISPATCH_MAX_FILE_SIZE set it for validate, plan and export; the too-large error names both;
// export never prints a YAML file that the same cap would refuse.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { seedRule, startE2e, type E2e } from "../support/e2e-harness.js";

let t: E2e;
beforeAll(async () => {
  t = await startE2e("file-limit");
});
afterAll(async () => {
  await t.stop();
});
beforeEach(() => {
  t.em.control.reset();
});

/** A valid file of `n` rules, each about 140 bytes. */
function rulesFile(n: number): string {
  const lines = ["version: 1", "rules:"];
  for (let i = 0; i < n; i++) {
    lines.push(`  - name: rule-${i}`, `    individual: { roomPrefix: call-${i}- }`, `    numbers: ["+1555${String(i).padStart(7, "0")}"]`, "    metadata: some text to make the rule longer");
  }
  return `${lines.join("\n")}\n`;
}

describe("rules-file size cap (built CLI)", () => {
  it("validate: a file over --max-file-size is refused with a hint naming the flag and the variable; raising either admits it", async () => {
    const file = await t.write("r.yaml", rulesFile(40));
    const small = await t.cli(["validate", "--max-file-size", "1KiB", file]);
    expect(small.code).toBe(1);
    expect(small.stdout + small.stderr).toMatch(/over the limit of 1024 bytes/);
    expect(small.stdout + small.stderr).toContain("--max-file-size");
    expect(small.stdout + small.stderr).toContain("DISPATCH_MAX_FILE_SIZE");

    const viaEnv = await t.cli(["validate", file], { env: { DISPATCH_MAX_FILE_SIZE: "2kb" } });
    expect(viaEnv.code).toBe(1);
    expect(viaEnv.stdout + viaEnv.stderr).toMatch(/over the limit of 2000 bytes/);
    // The flag wins over the variable.
    const flagWins = await t.cli(["validate", "--max-file-size", "1MiB", file], { env: { DISPATCH_MAX_FILE_SIZE: "2kb" } });
    expect(flagWins.code, flagWins.stdout + flagWins.stderr).toBe(0);

    const bad = await t.cli(["validate", "--max-file-size", "lots", file]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--max-file-size: "lots" is not a size');
  });

  it("the default cap holds a 6 MB file (the old 5 MiB cap refused it)", async () => {
    const text = rulesFile(45_000);
    expect(text.length).toBeGreaterThan(6_000_000);
    const file = await t.write("big.yaml", text);
    const r = await t.cli(["validate", file]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it("plan honours the cap (flag and variable) before listing anything", async () => {
    const file = await t.write("p.yaml", rulesFile(40));
    const refused = await t.cli(["plan", "-c", file], { env: { DISPATCH_MAX_FILE_SIZE: "1KiB" } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("over the limit of 1024 bytes");
    const ok = await t.cli(["plan", "-c", file, "--max-file-size", "64KiB"], { env: { DISPATCH_MAX_FILE_SIZE: "1KiB" } });
    expect(ok.code, ok.stderr).toBe(0);
  });

  it("export refuses to print YAML that the same cap would refuse to read, and names how to raise it", async () => {
    t.em.control.seed(Array.from({ length: 30 }, (_, i) => seedRule(`SDR_${i}`, `rule-${i}`, { metadata: "x".repeat(100), numbers: [`+1555000${String(i).padStart(4, "0")}`] })));
    const refused = await t.cli(["export", "--max-file-size", "2KiB"]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toMatch(/the export is \d+ bytes .*over the rules-file limit of 2048 bytes/);
    expect(refused.stderr).toContain("DISPATCH_MAX_FILE_SIZE=");
    const exported = await t.cli(["export"], { env: { DISPATCH_MAX_FILE_SIZE: "64KiB" } });
    expect(exported.code, exported.stderr).toBe(0);
    const file = await t.write("exported.yaml", exported.stdout);
    const valid = await t.cli(["validate", file], { env: { DISPATCH_MAX_FILE_SIZE: "64KiB" } });
    expect(valid.code, valid.stdout + valid.stderr).toBe(0);
  });

  it("--help of validate, plan, apply, watch and export names the flag and the variable", async () => {
    for (const cmd of ["validate", "plan", "apply", "watch", "export"]) {
      const r = await t.cli([cmd, "--help"]);
      expect(r.stdout, cmd).toContain("--max-file-size SIZE");
      expect(r.stdout, cmd).toContain("$DISPATCH_MAX_FILE_SIZE");
    }
  });
});

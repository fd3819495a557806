// End-to-end: the built CLI's `validate` — exit codes, the three formats, several files at once,
// missing/empty/directory/unreadable files, env interpolation, and no pin in any output.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../support/run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "sds-validate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const GOOD = "version: 1\nrules:\n  - name: a\n    individual: { pin: \"${PIN:-5555}\" }\n  - name: b\n    callee: {}\n    trunkIds: [ST_1]\n";
const BAD = "version: 1\nrules:\n  - name: a\n    individual:\n      roomPrefx: call-\n";

describe("sip-dispatch-sync validate", () => {
  it("accepts the shipped example with no environment set", async () => {
    const r = await runCli(["validate", "config/dispatch-rules.yaml"]);
    expect(r.stdout).toBe("config/dispatch-rules.yaml: 4 rules, valid\n");
    expect(r.code).toBe(0);
  });

  it("uses -c, then $DISPATCH_RULES_FILE, when no FILE is given", async () => {
    const good = write("env-good.yaml", GOOD);
    expect((await runCli(["validate"], { env: { DISPATCH_RULES_FILE: good } })).code).toBe(0);
    const r = await runCli(["validate", "-c", write("c-bad.yaml", BAD)], { env: { DISPATCH_RULES_FILE: good } });
    expect(r.code).toBe(1);
  });

  it("prints positioned text diagnostics with hints and exits 1", async () => {
    const file = write("bad.yaml", BAD);
    const r = await runCli(["validate", file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`${file}:5:7: error: unknown key \`roomPrefx\` (at rules[0].individual.roomPrefx)\n  hint: did you mean \`roomPrefix\`?\n1 error in 1 file\n`);
  });

  it("reports every file in one run", async () => {
    const good = write("good.yaml", GOOD);
    const bad = write("bad2.yaml", BAD);
    const r = await runCli(["validate", good, bad, join(dir, "missing.yaml")]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${good}: 2 rules, valid`);
    expect(r.stdout).toContain(`${bad}:5:7: error:`);
    expect(r.stdout).toContain(`${join(dir, "missing.yaml")}: error: file not found`);
    expect(r.stdout.trim().split("\n").at(-1)).toBe("2 errors in 2 files");
  });

  it("prints GitHub workflow commands with --format github", async () => {
    const file = write("gh.yaml", BAD);
    const r = await runCli(["validate", "--format", "github", file]);
    expect(r.code).toBe(1);
    expect(r.stdout.split("\n")[0]).toBe(`::error file=${file},line=5,col=7::unknown key \`roomPrefx\` (at rules[0].individual.roomPrefx)%0Ahint: did you mean \`roomPrefix\`?`);
  });

  it("prints a stable JSON document with --format json", async () => {
    const good = write("j-good.yaml", GOOD);
    const bad = write("j-bad.yaml", BAD);
    const r = await runCli(["validate", "--format", "json", good, bad]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      formatVersion: 1,
      valid: false,
      files: [
        { file: good, valid: true, rules: 2, diagnostics: [] },
        {
          file: bad,
          valid: false,
          rules: null,
          diagnostics: [
            { code: "unknown-key", severity: "error", message: "unknown key `roomPrefx`", hint: "did you mean `roomPrefix`?", file: bad, line: 5, column: 7, path: "rules[0].individual.roomPrefx", related: [] },
          ],
        },
      ],
    });
  });

  it.each([
    ["an empty file", () => write("empty.yaml", ""), "the file is empty"],
    ["a directory", () => dir, "is a directory"],
    ["binary junk", () => write("junk.yaml", "\u0000\u0001\u0002 binary"), "control character"],
  ])("rejects %s with exit 1 and no stack trace", async (_what, make, text) => {
    const r = await runCli(["validate", make()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(text);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/\n\s+at /);
  });

  it("rejects something that is not a regular file (a FIFO)", async () => {
    const fifo = join(dir, "pipe.yaml");
    execFileSync("mkfifo", [fifo]);
    const r = await runCli(["validate", fifo]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("is not a regular file");
  });

  it("interpolates from the environment and never prints a pin", async () => {
    const file = write("pins.yaml", 'version: 1\nrules:\n  - name: a\n    individual: { pin: "${PIN}" }\n  - name: b\n    direct: { roomName: r, pin: "${PIN}" }\n');
    const r = await runCli(["validate", "--format", "json", file], { env: { PIN: "918273" } });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("rule-conflict");
    expect(r.stdout).not.toContain("918273");
    expect((await runCli(["validate", file])).stdout).toContain("environment variable `PIN` is not set");
  });

  it("rejects an unknown --format as a usage error", async () => {
    const r = await runCli(["validate", "--format", "xml", "config/dispatch-rules.yaml"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--format");
  });
});

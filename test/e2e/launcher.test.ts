// End-to-end: the executable's launcher (src/bin.cts). One-shot commands run from the CommonJS
// bundle with the build's V8 code cache; the answers must not depend on the route taken: bundle
// with the cache, bundle without it, or the ES module entry main.js.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_PATH, cleanEnv } from "../support/run-cli.js";

const MAIN_JS = fileURLToPath(new URL("../../dist/src/main.js", import.meta.url));
const VALID = fileURLToPath(new URL("../fixtures/rules-files/valid/all-fields.yaml", import.meta.url));
const INVALID = fileURLToPath(new URL("../fixtures/rules-files/invalid/unknown-key.yaml", import.meta.url));

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(entry: string, args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    // No NODE_OPTIONS: V8 flags change the flag hash a code cache is checked against.
    execFile(process.execPath, [entry, ...args], { env: cleanEnv({ ...env, NODE_OPTIONS: undefined }) }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A server snapshot for `plan --against`: one rule to update, one to delete. */
const SNAPSHOT = {
  formatVersion: 1,
  items: [
    { sip_dispatch_rule_id: "SDR_aaaaaaaaaaaa", name: "zz-not-in-file", rule: { dispatch_rule_individual: { room_prefix: "old-" } }, numbers: ["+15559990001"] },
    { sip_dispatch_rule_id: "SDR_bbbbbbbbbbbb", name: "support-line", rule: { dispatch_rule_direct: { room_name: "somewhere-else" } } },
  ],
};

describe("the executable's launcher", () => {
  let dir: string;
  let snapshot: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "sds-launcher-"));
    snapshot = join(dir, "state.json");
    await writeFile(snapshot, JSON.stringify(SNAPSHOT));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("has a code cache from the build that this Node accepts", async () => {
    const probe = [
      `const { loadCliBundle, CACHE } = require(${JSON.stringify(CLI_PATH)});`,
      "const { rejected } = loadCliBundle(require('node:fs').readFileSync(CACHE));",
      "process.stdout.write(String(rejected));",
    ].join("\n");
    const r = await new Promise<Run>((resolve) =>
      execFile(process.execPath, ["-e", probe], { env: cleanEnv({ NODE_OPTIONS: undefined }) }, (err, stdout, stderr) => resolve({ code: err === null ? 0 : 1, stdout, stderr })),
    );
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("false");
  });

  it.each([
    ["validate, valid", () => ["validate", VALID]],
    ["validate, invalid, JSON", () => ["validate", "--format", "json", INVALID]],
    ["plan --against, JSON", () => ["plan", "-c", VALID, "--against", snapshot, "--format", "json", "--detailed-exitcode"]],
    ["plan --against, markdown", () => ["plan", "-c", VALID, "--against", snapshot, "--format", "markdown"]],
    ["plan --help", () => ["plan", "--help"]],
  ])("%s: the same answer through the cached bundle, the uncached bundle and main.js", async (_name, args) => {
    const env = { PIN: "4321" };
    const [cached, uncached, esm] = await Promise.all([
      run(CLI_PATH, args(), env),
      run(CLI_PATH, args(), { ...env, NODE_DISABLE_COMPILE_CACHE: "1" }),
      run(MAIN_JS, args(), env),
    ]);
    expect(cached.stdout.length + cached.stderr.length).toBeGreaterThan(0);
    expect(cached.stdout + cached.stderr).not.toContain("4321");
    expect(uncached).toEqual(cached);
    expect(esm).toEqual(cached);
  });

  it("runs the bundle when V8 rejects the cache (another Node version, other flags): only slower", async () => {
    const require = createRequire(import.meta.url);
    const { loadCliBundle } = require(CLI_PATH) as { loadCliBundle: (cache: Buffer | undefined) => { rejected: boolean; exports: { runCli: (argv: string[], io: unknown) => Promise<number> } } };
    const loaded = loadCliBundle(Buffer.from("not a V8 code cache"));
    expect(loaded.rejected).toBe(true);
    const stdout = new PassThrough();
    let out = "";
    stdout.on("data", (d: Buffer) => (out += d.toString()));
    const io = { stdout, stderr: new PassThrough(), stdin: new PassThrough(), env: {}, cwd: dir, stdoutIsTTY: false, stdinIsTTY: false };
    expect(await loaded.exports.runCli(["validate", VALID], io)).toBe(0);
    expect(out).toContain("valid");
  });
});

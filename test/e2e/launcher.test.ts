// End-to-end: the executable's launcher (src/bin.cts) starts the ES module entry main.js; its
// answers (output and exit code) are main.js's own, whichever way the CLI is started.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
    // No NODE_OPTIONS: the answers must not depend on the caller's.
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

  it.each([
    ["validate, valid", () => ["validate", VALID]],
    ["validate, invalid, JSON", () => ["validate", "--format", "json", INVALID]],
    ["plan --against, JSON", () => ["plan", "-c", VALID, "--against", snapshot, "--format", "json", "--detailed-exitcode"]],
    ["plan --against, markdown", () => ["plan", "-c", VALID, "--against", snapshot, "--format", "markdown"]],
    ["plan --help", () => ["plan", "--help"]],
  ])("%s: the same answer through the launcher and main.js", async (_name, args) => {
    const env = { PIN: "4321" };
    const [bundled, esm] = await Promise.all([run(CLI_PATH, args(), env), run(MAIN_JS, args(), env)]);
    expect(bundled.stdout.length + bundled.stderr.length).toBeGreaterThan(0);
    expect(bundled.stdout + bundled.stderr).not.toContain("4321");
    expect(esm).toEqual(bundled);
  });
});

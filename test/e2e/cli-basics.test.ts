// End-to-end: the built CLI's global behaviour (help, version, unknown commands).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/run-cli.js";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

describe("sip-dispatch-sync (global)", () => {
  it("prints the package version", async () => {
    const r = await runCli(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it("lists every command in --help", async () => {
    const r = await runCli(["--help"]);
    expect(r.code).toBe(0);
    for (const cmd of ["validate", "plan", "apply", "watch", "export", "emulator"]) expect(r.stdout).toContain(`  ${cmd} `);
  });

  it("rejects an unknown command with a hint and exit 1, no stack trace", async () => {
    const r = await runCli(["deploy"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unknown command "deploy"');
    expect(r.stderr).toContain("hint:");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

// End-to-end: plan and apply start listing the server while they check the file (the List
// round trip overlaps the checks), without changing what is reported or when the run ends: the
// file's problems come first, and a listing started for an invalid file is abandoned at once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/run-cli.js";
import { startE2e, type E2e } from "../support/e2e-harness.js";

const INVALID = "version: 1\nrules:\n  - name: a\n    direct: { roomNam: lobby }\n";
const VALID = "version: 1\nrules:\n  - name: a\n    direct: { roomName: lobby }\n";

describe("plan and apply read the file and the server together", () => {
  let t: E2e;
  beforeAll(async () => {
    t = await startE2e("reads");
  });
  afterAll(async () => {
    await t.stop();
  });

  it.each([["plan"], ["apply", "--auto-approve"]])("%s: an invalid file is reported and the run ends without waiting for a slow List", async (...args) => {
    // A List that would take 60 s: waiting for it would run past the test's timeout.
    t.em.control.setLatency(60_000, "ListSIPDispatchRule");
    try {
      const file = await t.write("invalid.yaml", INVALID);
      const r = await t.cli([...args, "-c", file]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("unknown key `roomNam`");
      expect(r.stdout).toBe("");
      expect(t.writes()).toEqual([]);
    } finally {
      t.em.control.setLatency(0, "ListSIPDispatchRule");
    }
  });

  it("the file's problems come before a missing server URL; a valid file then gets the URL error", async () => {
    const invalid = await t.write("invalid.yaml", INVALID);
    const valid = await t.write("valid.yaml", VALID);
    const env = { LIVEKIT_URL: undefined, LIVEKIT_API_KEY: undefined, LIVEKIT_API_SECRET: undefined };
    const first = await runCli(["plan", "-c", invalid], { env, cwd: t.dir });
    expect(first.code).toBe(1);
    expect(first.stderr).toContain("unknown key `roomNam`");
    expect(first.stderr).not.toContain("LiveKit server URL");
    const second = await runCli(["plan", "-c", valid], { env, cwd: t.dir });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain("missing LiveKit server URL, API key, API secret");
  });

  it("plan --format github puts an invalid file's problems on its lines, with a slow List pending", async () => {
    t.em.control.setLatency(60_000, "ListSIPDispatchRule");
    try {
      const file = await t.write("invalid.yaml", INVALID);
      const r = await t.cli(["plan", "-c", file, "--format", "github"]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^::error file=.*invalid\.yaml,line=4,col=15::/m);
    } finally {
      t.em.control.setLatency(0, "ListSIPDispatchRule");
    }
  });

  it("a valid file plans against the listed rules as before", async () => {
    const file = await t.write("valid.yaml", VALID);
    const r = await t.cli(["plan", "-c", file, "--format", "json", "--detailed-exitcode"]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).summary).toMatchObject({ create: 1, update: 0, delete: 0 });
  });
});

// End-to-end through the built CLI (issue #12): the round-trip defects. `metadata: {}` equals
// absent; export keeps metadata strings byte-exact unless they round-trip; export writes only
// files validate accepts; an explicit mediaTimeout "0s" is sent; an egress preset of zero is kept;
// a rule that conflicts with itself is caught by validate.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { only, seedRule, startE2e, type E2e } from "../support/e2e-harness.js";

describe("round trips", () => {
  let t: E2e;
  beforeAll(async () => {
    t = await startE2e("roundtrip");
  });
  afterAll(async () => {
    await t.stop();
  });
  beforeEach(() => {
    t.em.control.reset();
  });

  it("metadata: {} and [] are never sent and equal absent: apply then plan shows no changes", async () => {
    const file = await t.write("meta.yaml", "version: 1\nrules:\n  - name: a\n    direct: { roomName: r }\n    trunkIds: [ST_a]\n    metadata: {}\n  - name: b\n    direct: { roomName: r }\n    trunkIds: [ST_b]\n    metadata: []\n");
    expect((await t.cli(["apply", "-c", file, "--auto-approve"])).code).toBe(0);
    expect(only(t.rules(), "a").metadata).toBe("");
    const again = await t.cli(["plan", "-c", file, "--detailed-exitcode"]);
    expect([again.code, again.stdout]).toEqual([0, expect.stringContaining("No changes")]);
  });

  it("export keeps metadata strings byte-exact unless they round-trip, and the next unrelated update keeps them", async () => {
    const strings = {
      big: '{"n":12345678901234567890}',
      dup: '{"a":1,"a":2}',
      order: '{"b":1,"a":2}',
      spaced: '{ "a": 1 }',
      compact: '{"a":2,"b":[1,2]}',
    };
    t.em.control.seed(Object.entries(strings).map(([name, metadata], i) => seedRule(`SDR_META0000000${i}`, name, { metadata, trunk_ids: [`ST_${name}`] })));
    const exported = await t.cli(["export"]);
    expect(exported.code, exported.stderr).toBe(0);
    const file = await t.write("exported.yaml", exported.stdout);
    // The compact sorted one became a mapping; the others stayed strings.
    expect(exported.stdout).toMatch(/name: compact\n(.*\n)*?\s+metadata:\n\s+a: 2/);
    expect(exported.stdout).toContain("12345678901234567890");
    const plan = await t.cli(["plan", "-c", file, "--detailed-exitcode"]);
    expect([plan.code, plan.stdout]).toEqual([0, expect.stringContaining("No changes")]);
    // An unrelated change to every rule: the server's strings stay byte for byte.
    const changed = exported.stdout.replace(/roomPrefix: (\w+)-/g, "roomPrefix: $1-v2-");
    const changedFile = await t.write("changed.yaml", changed);
    const applied = await t.cli(["apply", "-c", changedFile, "--auto-approve"]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    for (const [name, metadata] of Object.entries(strings)) expect(only(t.rules(), name).metadata, name).toBe(metadata);
  });

  it("export writes a direct rule with an empty room name as roomName: \"\", which validates and plans no changes", async () => {
    t.em.control.seed([seedRule("SDR_EMPTYROOM001", "lobby", { rule: { dispatch_rule_direct: { room_name: "", pin: "" } }, trunk_ids: ["ST_l"] })]);
    const exported = await t.cli(["export"]);
    expect(exported.stdout).toMatch(/direct:\n\s+roomName: ""/);
    const file = await t.write("exported.yaml", exported.stdout);
    const valid = await t.cli(["validate", file]);
    expect(valid.code, valid.stdout + valid.stderr).toBe(0);
    const plan = await t.cli(["plan", "-c", file, "--detailed-exitcode"]);
    expect([plan.code, plan.stdout]).toEqual([0, expect.stringContaining("No changes")]);
  });

  it("an explicit mediaTimeout \"0s\" is sent (it overrides the trunk's timeout); absent is not", async () => {
    const file = await t.write("media.yaml", 'version: 1\nrules:\n  - name: zero\n    direct: { roomName: r }\n    trunkIds: [ST_z]\n    media: { mediaTimeout: "0s" }\n  - name: unset\n    direct: { roomName: r }\n    trunkIds: [ST_u]\n');
    const applied = await t.cli(["apply", "-c", file, "--auto-approve"]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const bodies = t.writes().map((w) => JSON.parse(w.body) as { dispatchRule: { name: string; media?: { mediaTimeout?: string } } });
    expect(bodies.find((b) => b.dispatchRule.name === "zero")?.dispatchRule.media).toEqual({ mediaTimeout: "0s" });
    expect(bodies.find((b) => b.dispatchRule.name === "unset")?.dispatchRule.media).toBeUndefined();
    expect(only(t.rules(), "zero").media).toMatchObject({ media_timeout: "0s" });
    const again = await t.cli(["plan", "-c", file, "--detailed-exitcode"]);
    expect([again.code, again.stdout]).toEqual([0, expect.stringContaining("No changes")]);
  });

  it("an egress preset of H264_720P_30 (the enum's zero) is sent and kept", async () => {
    const file = await t.write(
      "egress.yaml",
      "version: 1\nrules:\n  - name: rec\n    individual: {}\n    trunkIds: [ST_r]\n    roomConfig:\n      egress:\n        participant:\n          preset: H264_720P_30\n          fileOutputs: [{ filepath: calls/x.mp4 }]\n",
    );
    const applied = await t.cli(["apply", "-c", file, "--auto-approve"]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(only(t.rules(), "rec").room_config).toMatchObject({ egress: { participant: { preset: "H264_720P_30" } } });
    const again = await t.cli(["plan", "-c", file, "--detailed-exitcode"]);
    expect([again.code, again.stdout]).toEqual([0, expect.stringContaining("No changes")]);
  });

  it("validate catches a rule that conflicts with itself (two spellings of one number) and bad egress", async () => {
    const file = await t.write("self.yaml", 'version: 1\nrules:\n  - name: self\n    direct: { roomName: r }\n    numbers: ["+1 (555) 123-4567", "15551234567"]\n');
    const r = await t.cli(["validate", file]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/self\.yaml:5:\d+: error: rule `self` conflicts with itself: "15551234567" and "\+1 \(555\) 123-4567" in `numbers`/);
    const egress = await t.write("egress.yaml", "version: 1\nrules:\n  - name: rec\n    individual: {}\n    roomConfig:\n      egress:\n        room: { audioMixing: dual_channel_agent }\n");
    const bad = await t.cli(["validate", egress]);
    expect(bad.code).toBe(1);
    expect(bad.stdout + bad.stderr).toMatch(/egress\.yaml:7:\d+: error: `audioMixing` has an invalid value `dual_channel_agent`/);
  });
});

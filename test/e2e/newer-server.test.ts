// End-to-end through the built CLI against the emulator acting as a NEWER server (issue #12,
// SPEC §4): it stores and lists fields and enum values outside the pinned @livekit/protocol, and
// its `replace` clears what the request lacks, as the real server does (livekit-sip-api.md §5.3).
// Unknown fields on a managed rule survive an unrelated apply; an unknown enum value or rule type
// on an unmanaged rule changes nothing for plan, apply, export and watch; a managed rule holding
// one is refused only when the plan would change it.
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { eventOf, spawnCli } from "../support/spawn-cli.js";
import { API_KEY, API_SECRET, only, parsePlan, startE2e, type E2e } from "../support/e2e-harness.js";

const MANAGED_ID = "SDR_NEWERMANAGED";

/** A managed rule as a newer server lists it, with fields this version does not know at every level. */
const managedRule = {
  sip_dispatch_rule_id: MANAGED_ID,
  name: "agent-line",
  trunk_ids: ["ST_agent"],
  rule: { dispatch_rule_individual: { room_prefix: "call-", future_variant_opt: true } },
  attributes: { team: "a" },
  room_config: { agents: [{ agent_name: "bot", future_agent_opt: "x" }], future_room_opt: 7 },
  media: { future_media_opt: "y" },
  future_top: { nested: 1 },
  created_at: "2026-01-01T00:00:00Z",
};

const unmanaged = [
  // Unnamed (never managed), with an enum value the tool does not know.
  { sip_dispatch_rule_id: "SDR_OPAQUEENUM01", name: "", trunk_ids: ["ST_q"], rule: { dispatch_rule_direct: { room_name: "q" } }, media: { encryption: "SIP_MEDIA_ENCRYPT_QUANTUM" } },
  // Outside `manage`, with a rule type the tool does not know.
  { sip_dispatch_rule_id: "SDR_OPAQUETYPE01", name: "legacy-dynamic", trunk_ids: ["ST_d"], rule: { dispatch_rule_dynamic: { url: "https://x", pin: "" } } },
  // Outside `manage`, with an unknown restart policy.
  { sip_dispatch_rule_id: "SDR_OPAQUEAGENT1", name: "legacy-agent", trunk_ids: ["ST_g"], rule: { dispatch_rule_callee: {} }, room_config: { agents: [{ agent_name: "z", restart_policy: "JRP_SOMETIMES" }] } },
];

const FILE = `version: 1
manage: ["agent-*"]
rules:
  - name: agent-line
    individual: { roomPrefix: call- }
    trunkIds: [ST_agent]
    attributes: { team: b }
    roomConfig:
      agents:
        - agentName: bot
`;

const FUTURE_KEYS = ["future_top", "individual.future_variant_opt", "roomConfig.future_room_opt", "roomConfig.agents[0].future_agent_opt", "media.future_media_opt"];

describe("against a newer server", () => {
  let t: E2e;
  beforeAll(async () => {
    t = await startE2e("newer");
  });
  afterAll(async () => {
    await t.stop();
  });
  beforeEach(() => {
    t.em.control.reset();
    t.em.control.setFeatures({ newerServer: true });
    t.em.control.seed([managedRule, ...unmanaged]);
  });

  it("the emulator in this mode keeps and lists what the pinned protocol does not know", () => {
    const stored = only(t.rules(), "agent-line");
    expect(stored).toMatchObject({ future_top: { nested: 1 }, room_config: { future_room_opt: 7 }, media: { future_media_opt: "y" } });
    expect(t.rules().find((r) => r.sip_dispatch_rule_id === "SDR_OPAQUEENUM01")).toMatchObject({ media: { encryption: "SIP_MEDIA_ENCRYPT_QUANTUM" } });
  });

  it("plan lists the fields it keeps; apply changes the one attribute and every unknown field survives", async () => {
    const file = await t.write("rules.yaml", FILE);
    const before = t.rules().filter((r) => r.sip_dispatch_rule_id !== MANAGED_ID);

    const plan = await t.cli(["plan", "-c", file, "--format", "json"]);
    expect(plan.code, plan.stderr).toBe(0);
    const json = parsePlan(plan);
    expect(json.summary).toMatchObject({ update: 1, create: 0, delete: 0, unmanaged: 3 });
    const update = json.changes[0];
    expect(update?.fields?.map((f) => f.path)).toEqual(["attributes.team"]);
    expect([...(update?.kept ?? [])].sort()).toEqual([...FUTURE_KEYS].sort());
    const text = await t.cli(["plan", "-c", file]);
    expect(text.stdout).toMatch(/kept \(not managed by this version, carried unchanged\): .*future_top/);

    const applied = await t.cli(["apply", "-c", file, "--auto-approve"]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const after = only(t.rules(), "agent-line");
    expect(after.sip_dispatch_rule_id).toBe(MANAGED_ID);
    expect(after).toMatchObject({
      attributes: { team: "b" },
      future_top: { nested: 1 },
      rule: { dispatch_rule_individual: { room_prefix: "call-", future_variant_opt: true } },
      room_config: { agents: [{ agent_name: "bot", future_agent_opt: "x" }], future_room_opt: 7 },
      media: { future_media_opt: "y" },
      created_at: "2026-01-01T00:00:00Z",
    });
    // The replace body carried them in one spelling each (a field twice is `malformed`, §3.1).
    const [update1] = t.writes().filter((w) => w.rpc === "UpdateSIPDispatchRule");
    const replace = (JSON.parse(update1?.body ?? "{}") as { replace: Record<string, unknown> }).replace;
    expect(replace).toHaveProperty("future_top");
    expect(replace).not.toHaveProperty("futureTop");
    expect(replace).not.toHaveProperty("sip_dispatch_rule_id");
    // The unmanaged rules with unknown values are untouched.
    expect(t.rules().filter((r) => r.sip_dispatch_rule_id !== MANAGED_ID)).toEqual(before);

    const again = await t.cli(["plan", "-c", file, "--detailed-exitcode"]);
    expect([again.code, again.stdout]).toEqual([0, expect.stringContaining("No changes")]);
  });

  it("a faithful server (the default mode) drops those fields: the overlay is what keeps them", async () => {
    t.em.control.reset();
    t.em.control.seed([managedRule]);
    expect(only(t.rules(), "agent-line")).not.toHaveProperty("future_top");
  });

  it("unknown enum values and rule types on unmanaged rules: plan, apply and export change nothing and do not fail", async () => {
    const file = await t.write("rules.yaml", FILE);
    const before = t.rules().filter((r) => r.sip_dispatch_rule_id !== MANAGED_ID);
    const plan = await t.cli(["plan", "-c", file]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stderr).not.toMatch(/--url|error/);
    const applied = await t.cli(["apply", "-c", file, "--auto-approve"]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(t.writes().filter((w) => w.rpc !== "UpdateSIPDispatchRule")).toEqual([]);
    expect(t.rules().filter((r) => r.sip_dispatch_rule_id !== MANAGED_ID)).toEqual(before);

    const exported = await t.cli(["export"]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stderr).toMatch(/rule "legacy-dynamic" \(SDR_OPAQUETYPE01\) is not exported: rule type: unknown "dispatch_rule_dynamic"; upgrade sip-dispatch-sync/);
    expect(exported.stderr).toMatch(/rule "legacy-agent" \(SDR_OPAQUEAGENT1\) holds values this version cannot read \(roomConfig\.agents\[0\]\.restartPolicy: "JRP_SOMETIMES"\)/);
    expect(exported.stdout).toContain("legacy-agent");
    expect(exported.stdout).not.toContain("legacy-dynamic");
    // The export is a file validate accepts.
    const path = await t.write("exported.yaml", exported.stdout);
    const valid = await t.cli(["validate", path]);
    expect(valid.code, valid.stdout + valid.stderr).toBe(0);

    // export --format json is the server's state as listed: unknown values included.
    const state = await t.cli(["export", "--format", "json"]);
    expect(state.code, state.stderr).toBe(0);
    const items = (JSON.parse(state.stdout) as { items: Record<string, unknown>[] }).items;
    expect(items.find((i) => i.sip_dispatch_rule_id === "SDR_OPAQUEENUM01")).toMatchObject({ media: { encryption: "SIP_MEDIA_ENCRYPT_QUANTUM" } });
    expect(items.find((i) => i.sip_dispatch_rule_id === "SDR_OPAQUETYPE01")).toMatchObject({ rule: { dispatch_rule_dynamic: { url: "https://x" } } });
  });

  it("watch reconciles with unknown values on unmanaged rules and writes nothing to them", async () => {
    const file = await t.write("rules.yaml", FILE);
    const before = t.rules().filter((r) => r.sip_dispatch_rule_id !== MANAGED_ID);
    const cli = spawnCli(["watch", "-c", file, "--interval", "1h", "--listen", "127.0.0.1:0"], {
      env: { LIVEKIT_URL: t.em.url, LIVEKIT_API_KEY: API_KEY, LIVEKIT_API_SECRET: API_SECRET },
    });
    const done = await cli.waitFor((r) => eventOf(r) === "reconcile", { what: "the first reconcile", timeoutMs: 15_000 });
    expect(done.result).toBe("success");
    cli.signal("SIGTERM");
    await cli.waitForExit();
    expect(t.rules().filter((r) => r.sip_dispatch_rule_id !== MANAGED_ID)).toEqual(before);
    expect(only(t.rules(), "agent-line")).toMatchObject({ attributes: { team: "b" }, future_top: { nested: 1 } });
  });

  it("a managed rule holding an unknown value: unchanged is fine, a change is refused naming the rule, the field and the upgrade", async () => {
    t.em.control.reset();
    t.em.control.setFeatures({ newerServer: true });
    const held = { sip_dispatch_rule_id: "SDR_HELDMANAGED1", name: "agent-held", trunk_ids: ["ST_h"], rule: { dispatch_rule_direct: { room_name: "h" } }, media: { encryption: "SIP_MEDIA_ENCRYPT_QUANTUM" } };
    t.em.control.seed([held]);
    const same = await t.write("same.yaml", `version: 1\nrules:\n  - name: agent-held\n    direct: { roomName: h }\n    trunkIds: [ST_h]\n`);
    const unchanged = await t.cli(["plan", "-c", same, "--detailed-exitcode"]);
    expect([unchanged.code, unchanged.stdout]).toEqual([0, expect.stringContaining("No changes")]);

    const changed = await t.write("changed.yaml", `version: 1\nrules:\n  - name: agent-held\n    direct: { roomName: other }\n    trunkIds: [ST_h]\n`);
    const before = t.rules();
    for (const args of [["plan"], ["apply", "--auto-approve"], ["apply", "--auto-approve", "--force"]]) {
      const r = await t.cli([...args, "-c", changed]);
      expect(r.code, `${args.join(" ")}: ${r.stdout}${r.stderr}`).toBe(3);
      const out = r.stdout + r.stderr;
      expect(out).toMatch(/unknown-server-value/);
      expect(out).toMatch(/rule "agent-held" \(SDR_HELDMANAGED1\) holds media\.encryption: "SIP_MEDIA_ENCRYPT_QUANTUM"/);
      expect(out).toMatch(/upgrade sip-dispatch-sync/);
    }
    expect(t.writes()).toEqual([]);
    expect(t.rules()).toEqual(before);
  });

  it("prune never deletes a rule held opaque: export -> plan/apply with prune keeps it and the plan says why", async () => {
    t.em.control.reset();
    t.em.control.setFeatures({ newerServer: true });
    const dynamic = { sip_dispatch_rule_id: "SDR_OPAQUEMANAGED", name: "agent-dynamic", trunk_ids: ["ST_dyn"], rule: { dispatch_rule_dynamic: { url: "https://x" } } };
    const quantum = { sip_dispatch_rule_id: "SDR_OPAQUEQUANTUM", name: "agent-quantum", trunk_ids: ["ST_qq"], rule: { dispatch_rule_direct: { room_name: "q" } }, media: { encryption: "SIP_MEDIA_ENCRYPT_QUANTUM" } };
    const plain = { sip_dispatch_rule_id: "SDR_PLAINMANAGED1", name: "agent-plain", trunk_ids: ["ST_p"], rule: { dispatch_rule_direct: { room_name: "p" } } };
    t.em.control.seed([dynamic, quantum, plain]);
    const exported = await t.cli(["export"]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).not.toContain("agent-dynamic");
    expect(exported.stderr).toMatch(/rule "agent-dynamic" \(SDR_OPAQUEMANAGED\) is not exported/);
    expect(exported.stderr).toMatch(/plan and apply keep it: prune never deletes a rule this version cannot read/);
    // The exported file (prune: true by default) without the unknown-type rule, and a file that
    // also drops the rule holding an unknown enum value.
    const file = await t.write("exported.yaml", exported.stdout);
    const fewerText = exported.stdout.replace(/\n {2}- name: agent-quantum\n(?: {4}.*\n)*/, "\n");
    expect(fewerText).not.toContain("agent-quantum");
    expect(fewerText).toContain("agent-plain");
    const fewer = await t.write("fewer.yaml", fewerText);
    const before = t.rules();

    for (const [path, held] of [[file, ["agent-dynamic"]], [fewer, ["agent-dynamic", "agent-quantum"]]] as const) {
      const plan = await t.cli(["plan", "-c", path, "--format", "json"]);
      expect(plan.code, plan.stderr).toBe(0);
      const json = parsePlan(plan);
      expect(json.summary).toMatchObject({ delete: 0, kept: held.length });
      expect(json.changes).toEqual([]);
      for (const name of held) expect(json.warnings.join("\n")).toMatch(new RegExp(`rule "${name}" \\(SDR_OPAQUE[A-Z]+\\) is not in the file but is not deleted: it holds .*prune never deletes a rule this version cannot read`));
      const text = await t.cli(["plan", "-c", path]);
      expect(text.stdout).toMatch(new RegExp(`${held.length} kept \\(held opaque, never pruned\\)`));
      expect(text.stdout).toMatch(/Plan: 0 to create, 0 to update, 0 to delete, /);
      expect(text.stdout).not.toMatch(/^- delete/m);

      const applied = await t.cli(["apply", "-c", path, "--auto-approve"]);
      expect(applied.code, applied.stdout + applied.stderr).toBe(0);
      expect(applied.stdout + applied.stderr).toMatch(/prune never deletes a rule this version cannot read/);
      expect(t.writes()).toEqual([]);
      expect(t.rules()).toEqual(before);
    }
  });

  it("unknown keys inside roomConfig.egress: kept at every level by apply, listed by path only, never diffed, left out of export", async () => {
    t.em.control.reset();
    t.em.control.setFeatures({ newerServer: true });
    const FUTURE_SECRET = "FUTURE-CREDENTIAL-VALUE-7f3a";
    const recorded = {
      sip_dispatch_rule_id: "SDR_EGRESSFUTURE1",
      name: "agent-rec",
      trunk_ids: ["ST_rec"],
      rule: { dispatch_rule_direct: { room_name: "rec" } },
      attributes: { team: "a" },
      room_config: {
        egress: {
          room: {
            layout: "speaker",
            future_room_opt: "r",
            file_outputs: [{ filepath: "calls/x.mp4", s3: { bucket: "b", secret: "S3-SECRET-VALUE-91", future_s3_token: FUTURE_SECRET }, future_output_opt: 3 }],
            advanced: { width: 1280, future_enc: 9 },
          },
          tracks: { filepath: "t/", future_track: true },
          future_egress_kind: { url: "x" },
        },
      },
    };
    t.em.control.seed([recorded]);
    const env = { S3_SECRET: "S3-SECRET-VALUE-91" };
    const file = await t.write(
      "rec.yaml",
      `version: 1
manage: ["agent-*"]
rules:
  - name: agent-rec
    direct: { roomName: rec }
    trunkIds: [ST_rec]
    attributes: { team: b }
    roomConfig:
      egress:
        room:
          layout: speaker
          fileOutputs:
            - filepath: calls/x.mp4
              s3: { bucket: b, secret: "\${S3_SECRET}" }
          advanced: { width: 1280 }
        tracks: { filepath: t/ }
`,
    );
    const keptPaths = [
      "roomConfig.egress.room.future_room_opt",
      "roomConfig.egress.room.fileOutputs[0].s3.future_s3_token",
      "roomConfig.egress.room.fileOutputs[0].future_output_opt",
      "roomConfig.egress.room.advanced.future_enc",
      "roomConfig.egress.tracks.future_track",
      "roomConfig.egress.future_egress_kind",
    ];
    const plan = await t.cli(["plan", "-c", file, "--format", "json"], { env });
    expect(plan.code, plan.stderr).toBe(0);
    const update = parsePlan(plan).changes[0];
    expect(update?.fields?.map((f) => f.path)).toEqual(["attributes.team"]);
    expect([...(update?.kept ?? [])].sort()).toEqual([...keptPaths].sort());
    const text = await t.cli(["plan", "-c", file], { env });
    expect(text.stdout).toContain("roomConfig.egress.room.fileOutputs[0].s3.future_s3_token");
    expect(text.stdout).not.toMatch(/removed|egress.*->/);
    for (const r of [plan, text]) expect(r.stdout + r.stderr).not.toMatch(/FUTURE-CREDENTIAL|S3-SECRET-VALUE/);

    // A file that removes `tracks`: its unknown field goes with it and is not listed as kept.
    const noTracks = await t.write("no-tracks.yaml", (await readFile(file, "utf8")).replace("        tracks: { filepath: t/ }\n", ""));
    const dropped = parsePlan(await t.cli(["plan", "-c", noTracks, "--format", "json"], { env })).changes[0];
    expect(dropped?.fields?.map((f) => f.path)).toEqual(["attributes.team", "roomConfig.egress.tracks"]);
    expect([...(dropped?.kept ?? [])].sort()).toEqual(keptPaths.filter((p) => !p.includes(".tracks.")).sort());

    const applied = await t.cli(["apply", "-c", file, "--auto-approve"], { env });
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout + applied.stderr).not.toMatch(/FUTURE-CREDENTIAL|S3-SECRET-VALUE/);
    const after = only(t.rules(), "agent-rec");
    expect(after.sip_dispatch_rule_id).toBe("SDR_EGRESSFUTURE1");
    expect(after).toMatchObject({ attributes: { team: "b" }, room_config: { egress: recorded.room_config.egress } });
    const again = await t.cli(["plan", "-c", file, "--detailed-exitcode"], { env });
    expect([again.code, again.stdout]).toEqual([0, expect.stringContaining("No changes")]);

    // export: only what the schema accepts; the unknown keys are named (paths, never values) as kept.
    const exported = await t.cli(["export"]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).not.toMatch(/future_|FUTURE-CREDENTIAL|S3-SECRET-VALUE/);
    expect(exported.stderr).not.toMatch(/FUTURE-CREDENTIAL|S3-SECRET-VALUE/);
    for (const p of keptPaths) expect(exported.stderr).toContain(p);
    expect(exported.stderr).toMatch(/rule "agent-rec" \(SDR_EGRESSFUTURE1\): .* kept on the server/);
    const clear = await t.cli(["export", "--include-pins"], { showsPins: true });
    expect(clear.stdout).not.toMatch(/future_|FUTURE-CREDENTIAL/);
    const path = await t.write("exported.yaml", clear.stdout);
    const valid = await t.cli(["validate", path]);
    expect(valid.code, valid.stdout + valid.stderr).toBe(0);
    const replan = await t.cli(["plan", "-c", path, "--detailed-exitcode"]);
    expect([replan.code, replan.stdout]).toEqual([0, expect.stringContaining("No changes")]);
  });
});

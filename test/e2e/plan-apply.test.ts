// End-to-end (I/O: child processes, temp files, an in-process emulator): the built CLI's `plan`
// and `apply` converge the server to the file — every field of every rule type, drift made by
// hand, duplicate names, unmanaged rules, and conflict-key swaps on new and old servers.
import { copyFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { adminToken } from "../unit/emulator/http-helpers.js";
import { FIXTURES, PINS, named, only, parsePlan, seedRule, startE2e, type E2e, type StoredRule } from "../support/e2e-harness.js";

let t: E2e;
beforeAll(async () => {
  t = await startE2e("plan-apply");
});
afterAll(async () => {
  await t.stop();
});
beforeEach(() => {
  t.em.control.reset();
});

async function allFieldsFile(): Promise<string> {
  const path = join(t.dir, "all-fields.yaml");
  await copyFile(join(FIXTURES, "all-fields.yaml"), path);
  return path;
}

/** UpdateSIPDispatchRule `replace`, sent by hand the way an operator's script would. */
async function replaceByHand(rule: StoredRule): Promise<void> {
  const res = await fetch(`${t.em.url}/twirp/livekit.SIP/UpdateSIPDispatchRule`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${adminToken(t.em)}` },
    body: JSON.stringify({ sip_dispatch_rule_id: rule.sip_dispatch_rule_id, replace: rule }),
  });
  expect(res.status, await res.text()).toBe(200);
}

describe("plan and apply against the emulator (built CLI)", () => {
  it("converges every field of direct, individual and callee rules, then plans no changes", async () => {
    const file = await allFieldsFile();
    const applied = await t.cli(["apply", "-c", file, "--auto-approve"]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain("Plan: 4 to create, 0 to update, 0 to delete, 0 unchanged, 0 unmanaged left alone.");
    expect(applied.stdout).toContain("Apply complete: 4 operation(s) succeeded.");

    const rules = t.rules();
    expect(rules).toHaveLength(4);
    const direct = only(rules, "direct-all");
    expect(direct).toMatchObject({
      rule: { dispatch_rule_direct: { room_name: "front-desk", pin: PINS.direct } },
      hide_phone_number: true,
      inbound_numbers: ["+15550000001"],
      attributes: { team: "support", region: "eu" },
      room_preset: "preset-a",
      room_config: {
        name: "cfg-a",
        empty_timeout: 30,
        departure_timeout: 20,
        max_participants: 7,
        metadata: "room metadata",
        min_playout_delay: 100,
        max_playout_delay: 500,
        sync_streams: true,
        agents: [
          {
            agent_name: "inbound-agent",
            metadata: "agent metadata",
            attributes: { role: "receptionist" },
            deployment: "production",
            restart_policy: "JRP_NEVER",
          },
        ],
        tags: { env: "e2e" },
      },
      krisp_enabled: true,
      media: { only_listed_codecs: true, codecs: [{ name: "PCMU", rate: 8000 }, { name: "opus" }], encryption: "SIP_MEDIA_ENCRYPT_REQUIRE", media_timeout: "30s" },
    });
    expect([...(direct.trunk_ids as string[])].sort()).toEqual(["ST_trunkOne", "ST_trunkTwo"]);
    expect([...(direct.numbers as string[])].sort()).toEqual(["+15550000002", "+15550000003"]);
    // A mapping is sent as compact JSON: compare it parsed, key order aside.
    expect(JSON.parse(direct.metadata as string)).toEqual({ tier: "gold", level: 3, nested: { ok: true } });

    const individual = only(rules, "individual-all");
    expect(individual).toMatchObject({
      rule: { dispatch_rule_individual: { room_prefix: "call-", pin: PINS.individual, no_randomness: true } },
      trunk_ids: ["ST_trunkThree"],
      inbound_numbers: ["+15550000011"],
      metadata: "plain string metadata",
      attributes: { a: "b" },
      room_config: {
        egress: { room: { room_name: "recorded", layout: "speaker", audio_only: true } },
        agents: [
          { agent_name: "inbound-agent", metadata: "agent metadata" },
          { agent_name: "second-agent", restart_policy: "JRP_ON_FAILURE" },
        ],
      },
      media: { encryption: "SIP_MEDIA_ENCRYPT_ALLOW" },
    });

    const callee = only(rules, "callee-all");
    expect(callee).toMatchObject({
      rule: { dispatch_rule_callee: { room_prefix: "line-", pin: PINS.callee, randomize: true } },
      trunk_ids: [],
      numbers: ["+15550000009"],
      krisp_enabled: true,
      media: { media_timeout: "1.500s" },
    });
    expect(JSON.parse(callee.metadata as string)).toEqual([1, "two", { three: 3 }]);
    // The legacy mediaEncryption key means media.encryption.
    expect(only(rules, "legacy-encryption")).toMatchObject({ media: { encryption: "SIP_MEDIA_ENCRYPT_REQUIRE" }, trunk_ids: ["ST_trunkFour"] });

    const again = await t.cli(["plan", "-c", file, "--detailed-exitcode"]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain("No changes");
    expect(again.stdout).toContain("Plan: 0 to create, 0 to update, 0 to delete, 4 unchanged, 0 unmanaged left alone.");
  });

  it("plans drift made by hand (exit 2, changed field paths in text and JSON) and apply repairs it in place", async () => {
    const file = await allFieldsFile();
    expect((await t.cli(["apply", "-c", file, "--auto-approve"])).code).toBe(0);
    const before = t.rules();
    const direct = only(before, "direct-all");
    const callee = only(before, "callee-all");
    // Drift through the store (as if someone edited Redis) and through the API itself.
    const config = direct.room_config as { agents: Record<string, unknown>[] };
    t.em.control.seed([
      { ...direct, room_config: { ...config, agents: [{ ...config.agents[0], agent_name: "rogue-agent" }] } },
      { ...callee, rule: { dispatch_rule_callee: { room_prefix: "line-", pin: PINS.other, randomize: true } } },
    ]);
    await replaceByHand({ ...only(before, "individual-all"), trunk_ids: ["ST_rogue"], krisp_enabled: true });

    const text = await t.cli(["plan", "-c", file, "--detailed-exitcode"]);
    expect(text.code, text.stderr).toBe(2);
    expect(text.stdout).toContain(`~ update direct-all (${direct.sip_dispatch_rule_id})`);
    expect(text.stdout).toContain('roomConfig.agents[0].agentName: "rogue-agent" -> "inbound-agent"');
    expect(text.stdout).toContain('trunkIds:\n      + "ST_trunkThree"\n      - "ST_rogue"\n');
    expect(text.stdout).toContain("krispEnabled: true -> (unset)");
    expect(text.stdout).toMatch(/callee\.pin: "?\(sensitive\)"? -> "?\(sensitive\)"? \(pin changed\)/);
    expect(text.stdout).toContain("Plan: 0 to create, 3 to update, 0 to delete, 1 unchanged, 0 unmanaged left alone.");

    const json = await t.cli(["plan", "-c", file, "--format", "json", "--detailed-exitcode"]);
    expect(json.code).toBe(2);
    const plan = parsePlan(json);
    expect(plan.summary).toEqual({ create: 0, update: 3, delete: 0, unchanged: 1, unmanaged: 0, kept: 0, outsideManage: 0, outsideNames: 0 });
    const paths = Object.fromEntries(plan.changes.map((c) => [c.name, (c.fields ?? []).map((f) => f.path)]));
    expect(paths).toEqual({
      "callee-all": ["callee.pin"],
      "direct-all": ["roomConfig.agents[0].agentName"],
      "individual-all": expect.arrayContaining(["trunkIds", "krispEnabled"]),
    });
    const pinField = plan.changes.find((c) => c.name === "callee-all")?.fields?.[0];
    expect(pinField).toEqual({ path: "callee.pin", before: "(sensitive)", after: "(sensitive)", sensitive: true });
    expect(plan.changes.every((c) => c.action === "update" && c.method === "replace")).toBe(true);

    t.em.control.clearRequests();
    const applied = await t.cli(["apply", "-c", file, "--auto-approve"]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const after = t.rules();
    // Updated in place: the IDs are kept.
    expect(after.map((r) => r.sip_dispatch_rule_id).sort()).toEqual(before.map((r) => r.sip_dispatch_rule_id).sort());
    expect(t.writes().map((w) => w.rpc)).toEqual(["UpdateSIPDispatchRule", "UpdateSIPDispatchRule", "UpdateSIPDispatchRule"]);
    expect(only(after, "direct-all")).toMatchObject({ room_config: { agents: [{ agent_name: "inbound-agent" }] } });
    expect(only(after, "individual-all")).toMatchObject({ trunk_ids: ["ST_trunkThree"], krisp_enabled: false });
    expect(only(after, "callee-all")).toMatchObject({ rule: { dispatch_rule_callee: { pin: PINS.callee } } });
    const clean = await t.cli(["plan", "-c", file, "--detailed-exitcode"]);
    expect([clean.code, clean.stdout]).toEqual([0, expect.stringContaining("No changes")]);
  });

  it("converges duplicate names to one rule: keeps the equal one, else the lowest ID, deletes the rest as duplicates", async () => {
    const file = await t.write(
      "dups.yaml",
      [
        "version: 1",
        "rules:",
        "  - name: dup-differs",
        "    individual: { roomPrefix: want- }",
        "    trunkIds: [ST_dupOne]",
        "  - name: dup-equal",
        "    individual: { roomPrefix: same- }",
        "    trunkIds: [ST_dupTwo]",
        "",
      ].join("\n"),
    );
    // Same key on both copies: only the order "delete first, then update" can succeed.
    t.em.control.seed([
      seedRule("SDR_BBBBBBBBBBBB", "dup-differs", { trunk_ids: ["ST_dupOne"], rule: { dispatch_rule_individual: { room_prefix: "old-b-" } } }),
      seedRule("SDR_AAAAAAAAAAAA", "dup-differs", { trunk_ids: ["ST_dupOne"], rule: { dispatch_rule_individual: { room_prefix: "old-a-" } } }),
      seedRule("SDR_CCCCCCCCCCCC", "dup-equal", { trunk_ids: ["ST_dupTwo"], rule: { dispatch_rule_individual: { room_prefix: "other-" } } }),
      seedRule("SDR_DDDDDDDDDDDD", "dup-equal", { trunk_ids: ["ST_dupTwo"], rule: { dispatch_rule_individual: { room_prefix: "same-" } } }),
    ]);

    const json = await t.cli(["plan", "-c", file, "--format", "json", "--detailed-exitcode"]);
    expect(json.code, json.stderr).toBe(2);
    const plan = parsePlan(json);
    expect(plan.summary).toEqual({ create: 0, update: 1, delete: 2, unchanged: 1, unmanaged: 0, kept: 0, outsideManage: 0, outsideNames: 0 });
    const brief = plan.changes.map((c) => ({ action: c.action, name: c.name, id: c.id, ...(c.reason ? { reason: c.reason } : {}) }));
    expect(brief).toEqual(
      expect.arrayContaining([
        { action: "update", name: "dup-differs", id: "SDR_AAAAAAAAAAAA" },
        { action: "delete", name: "dup-differs", id: "SDR_BBBBBBBBBBBB", reason: "duplicate" },
        { action: "delete", name: "dup-equal", id: "SDR_CCCCCCCCCCCC", reason: "duplicate" },
      ]),
    );
    expect(brief).toHaveLength(3);

    const applied = await t.cli(["apply", "-c", file, "--auto-approve"]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout).toContain("- delete dup-differs (SDR_BBBBBBBBBBBB): duplicate of a kept rule with this name");
    const rules = t.rules();
    expect(rules.map((r) => [r.sip_dispatch_rule_id, r.name])).toEqual([
      ["SDR_AAAAAAAAAAAA", "dup-differs"],
      ["SDR_DDDDDDDDDDDD", "dup-equal"],
    ]);
    expect(only(rules, "dup-differs")).toMatchObject({ rule: { dispatch_rule_individual: { room_prefix: "want-" } } });
    expect((await t.cli(["plan", "-c", file, "--detailed-exitcode"])).code).toBe(0);
  });

  it("leaves unnamed rules and names outside `manage` alone, counts them as unmanaged, and never deletes them", async () => {
    const file = await t.write(
      "managed.yaml",
      ["version: 1", "prune: true", 'manage: ["team-*"]', "rules:", "  - name: team-a", "    individual: { roomPrefix: a- }", "    trunkIds: [ST_a]", ""].join("\n"),
    );
    t.em.control.seed([
      seedRule("SDR_000000000001", "team-a", { trunk_ids: ["ST_a"], rule: { dispatch_rule_individual: { room_prefix: "a-" } } }),
      seedRule("SDR_000000000002", "team-old", { trunk_ids: ["ST_old"] }),
      seedRule("SDR_000000000003", "other-x", { trunk_ids: ["ST_x"] }),
      seedRule("SDR_000000000004", "", { trunk_ids: ["ST_unnamed"] }),
      seedRule("SDR_000000000005", "teamless", { trunk_ids: ["ST_t"] }),
    ]);

    const json = await t.cli(["plan", "-c", file, "--format", "json"]);
    expect(json.code, json.stderr).toBe(0);
    const plan = parsePlan(json);
    expect(plan.summary).toEqual({ create: 0, update: 0, delete: 1, unchanged: 1, unmanaged: 3, kept: 0, outsideManage: 0, outsideNames: 0 });
    expect(plan.changes).toEqual([{ action: "delete", name: "team-old", id: "SDR_000000000002", reason: "not-in-file" }]);

    const applied = await t.cli(["apply", "-c", file, "--auto-approve"]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout).toContain("Plan: 0 to create, 0 to update, 1 to delete, 1 unchanged, 3 unmanaged left alone.");
    expect(t.writes().map((w) => [w.rpc, JSON.parse(w.body) as unknown])).toEqual([["DeleteSIPDispatchRule", { sipDispatchRuleId: "SDR_000000000002" }]]);
    expect(t.rules().map((r) => r.name)).toEqual(["team-a", "other-x", "", "teamless"]);

    // With the default manage ["*"], an unnamed rule is still never touched, even when everything else is pruned.
    const all = await t.write(
      "all.yaml",
      ["version: 1", "allowEmpty: true", "rules: []", ""].join("\n"),
    );
    const pruneAll = await t.cli(["apply", "-c", all, "--auto-approve"]);
    expect(pruneAll.code, pruneAll.stdout + pruneAll.stderr).toBe(0);
    expect(pruneAll.stdout).toContain("Plan: 0 to create, 0 to update, 3 to delete, 0 unchanged, 1 unmanaged left alone.");
    expect(t.rules().map((r) => [r.sip_dispatch_rule_id, r.name])).toEqual([["SDR_000000000004", ""]]);
  });

  const swapFile = [
    "version: 1",
    "rules:",
    "  - name: swap-a",
    "    direct: { roomName: room-a, pin: '${E2E_DIRECT_PIN}' }",
    "    trunkIds: [ST_swap]",
    "  - name: swap-b",
    "    direct: { roomName: room-b, pin: '${E2E_INDIVIDUAL_PIN}' }",
    "    trunkIds: [ST_swap]",
    "  - name: mover-a",
    "    individual: { roomPrefix: ma- }",
    "    trunkIds: [ST_m1]",
    "  - name: mover-b",
    "    individual: { roomPrefix: mb- }",
    "    trunkIds: [ST_m2, ST_m3]",
    "",
  ].join("\n");
  // The server holds the pins swapped, and trunk ST_m2 still on mover-a: any naive order conflicts.
  const swapSeed = [
    seedRule("SDR_SWAPAAAAAAAA", "swap-a", { trunk_ids: ["ST_swap"], rule: { dispatch_rule_direct: { room_name: "room-a", pin: PINS.individual } } }),
    seedRule("SDR_SWAPBBBBBBBB", "swap-b", { trunk_ids: ["ST_swap"], rule: { dispatch_rule_direct: { room_name: "room-b", pin: PINS.direct } } }),
    seedRule("SDR_MOVEAAAAAAAA", "mover-a", { trunk_ids: ["ST_m1", "ST_m2"], rule: { dispatch_rule_individual: { room_prefix: "ma-" } } }),
    seedRule("SDR_MOVEBBBBBBBB", "mover-b", { trunk_ids: ["ST_m3"], rule: { dispatch_rule_individual: { room_prefix: "mb-" } } }),
  ];
  function expectSwapped(rules: readonly StoredRule[]): void {
    expect(rules.map((r) => r.name).sort()).toEqual(["mover-a", "mover-b", "swap-a", "swap-b"]);
    expect(only(rules, "swap-a")).toMatchObject({ rule: { dispatch_rule_direct: { room_name: "room-a", pin: PINS.direct } } });
    expect(only(rules, "swap-b")).toMatchObject({ rule: { dispatch_rule_direct: { room_name: "room-b", pin: PINS.individual } } });
    expect(only(rules, "mover-a").trunk_ids).toEqual(["ST_m1"]);
    expect([...(only(rules, "mover-b").trunk_ids as string[])].sort()).toEqual(["ST_m2", "ST_m3"]);
  }

  it("applies pin swaps and a trunk moving between rules without a conflict error, and converges", async () => {
    const file = await t.write("swap.yaml", swapFile);
    t.em.control.seed(swapSeed);
    const applied = await t.cli(["apply", "-c", file, "--auto-approve"]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout).not.toContain("already exists");
    expectSwapped(t.rules());
    // No write was rejected on the way.
    expect(t.writes().filter((w) => w.status !== 200)).toEqual([]);
    const again = await t.cli(["plan", "-c", file, "--detailed-exitcode"]);
    expect([again.code, again.stdout]).toEqual([0, expect.stringContaining("No changes")]);
  });

  it("on a server without UpdateSIPDispatchRule, applies the same swaps as delete + create and converges", async () => {
    const file = await t.write("swap-old.yaml", swapFile);
    t.em.control.seed(swapSeed);
    t.em.control.setFeatures({ update: false });
    const applied = await t.cli(["apply", "-c", file, "--auto-approve"]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    // The plan cannot know (no probe, SPEC §4); each Update's Twirp bad_route turns that one rule
    // into delete + create, said in the report with the phone-number warning.
    expect(applied.stdout).toMatch(/✓ updated swap-b \(SDR_\w+\) — recreated as delete \+ create: .*phone numbers bound to SDR_SWAPBBBBBBBB are detached/);
    const rules = t.rules();
    expectSwapped(rules);
    expect(named(rules, "swap-a")[0]?.sip_dispatch_rule_id).not.toBe("SDR_SWAPAAAAAAAA");
    const writes = t.writes();
    expect(writes.filter((w) => w.rpc === "UpdateSIPDispatchRule").every((w) => w.status === 404)).toBe(true);
    expect(writes.filter((w) => w.status !== 200 && w.rpc !== "UpdateSIPDispatchRule")).toEqual([]);
    const again = await t.cli(["plan", "-c", file, "--detailed-exitcode"]);
    expect([again.code, again.stdout]).toEqual([0, expect.stringContaining("No changes")]);
  });
});

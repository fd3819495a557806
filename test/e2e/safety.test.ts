// End-to-end (I/O: child processes, temp files, an in-process emulator): the built CLI fails
// closed (SPEC §5) — safety limits, conflicts with unmanaged rules, retries and ambiguous
// creates, stale saved plans, approval without a terminal, and no secret or pin in any output.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { API_SECRET, PINS, named, only, parsePlan, seedRule, startE2e, type E2e, type PlanJson } from "../support/e2e-harness.js";

let t: E2e;
beforeAll(async () => {
  t = await startE2e("safety");
});
afterAll(async () => {
  await t.stop();
});
beforeEach(() => {
  t.em.control.reset();
  t.onRequest(undefined);
});

/** A rules file: `head` lines (prune, limits, ...), then one individual rule per name, each on its own trunk. */
function rulesYaml(names: readonly string[], head: readonly string[] = []): string {
  const rules = names.flatMap((n) => [`  - name: ${n}`, `    individual: { roomPrefix: ${n}- }`, `    trunkIds: [ST_${n}]`]);
  return ["version: 1", ...head, names.length === 0 ? "rules: []" : "rules:", ...rules, ""].join("\n");
}
/** Remote rules equal to what rulesYaml writes for these names. */
function seedNames(names: readonly string[]): void {
  t.em.control.seed(names.map((n) => seedRule("", n, { trunk_ids: [`ST_${n}`] })));
}
async function readPlan(path: string): Promise<PlanJson> {
  return JSON.parse(await readFile(path, "utf8")) as PlanJson;
}

describe("safety limits (exit 3, nothing written)", () => {
  it("refuses a plan over maxDeletes in plan and apply, and --force applies it once", async () => {
    const file = await t.write("max-deletes.yaml", rulesYaml(["keep"], ["limits: { maxDeletes: 2 }"]));
    seedNames(["keep", "gone-1", "gone-2", "gone-3"]);
    const out = join(t.dir, "refused.json");

    const plan = await t.cli(["plan", "-c", file, "--out", out]);
    expect(plan.code).toBe(3);
    expect(plan.stdout).toContain("Refused (max-deletes): the plan deletes 3 rules, more than limits.maxDeletes (2)");
    const saved = await readPlan(out);
    expect([saved.safe, saved.refusal?.code, saved.refusal?.forceable]).toEqual([false, "max-deletes", true]);

    const refused = await t.cli(["apply", "-c", file, "--auto-approve"]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("plan refused: the plan deletes 3 rules, more than limits.maxDeletes (2)");
    expect(t.writes()).toEqual([]);
    expect(t.rules()).toHaveLength(4);

    const forced = await t.cli(["apply", "-c", file, "--force", "--auto-approve"]);
    expect(forced.code, forced.stdout + forced.stderr).toBe(0);
    expect(forced.stderr).toContain("--force overrides the safety limit");
    expect(t.rules().map((r) => r.name)).toEqual(["keep"]);
  });

  it("refuses deleting more than maxDeletePercent of at least 10 managed rules, not of fewer", async () => {
    const ten = Array.from({ length: 10 }, (_, i) => `r${i}`);
    const file = await t.write("percent.yaml", rulesYaml(ten.slice(0, 6), ["limits: { maxDeletes: 10, maxDeletePercent: 30 }"]));
    seedNames(ten);
    const [json, apply] = [await t.cli(["plan", "-c", file, "--format", "json"]), await t.cli(["apply", "-c", file, "--auto-approve"])];
    expect(json.code).toBe(3);
    const plan = parsePlan(json);
    expect(plan.safe).toBe(false);
    expect(plan.refusal?.code).toBe("max-delete-percent");
    expect(plan.refusal?.message).toContain("4 of 10 managed rules (40.0%)");
    expect(plan.summary.delete).toBe(4);
    expect([apply.code, apply.stderr]).toEqual([3, expect.stringContaining("limits.maxDeletePercent (30%)")]);
    expect(t.writes()).toEqual([]);

    // Nine managed rules: the percentage rule does not apply (3 of 9 deletes go through).
    t.em.control.reset();
    seedNames(ten.slice(0, 9));
    const nine = await t.cli(["plan", "-c", file, "--format", "json"]);
    expect([nine.code, parsePlan(nine).refusal, parsePlan(nine).summary.delete]).toEqual([0, null, 3]);
  });

  it("refuses an empty rules list while managed rules exist unless allowEmpty is true", async () => {
    const file = await t.write("empty.yaml", rulesYaml([]));
    seedNames(["a", "b"]);
    const plan = await t.cli(["plan", "-c", file, "--format", "json"]);
    expect(plan.code).toBe(3);
    expect(parsePlan(plan).refusal).toMatchObject({ code: "empty-rules", forceable: true });
    expect(parsePlan(plan).refusal?.message).toContain("allowEmpty is false");
    const apply = await t.cli(["apply", "-c", file, "--auto-approve"]);
    expect([apply.code, apply.stderr]).toEqual([3, expect.stringContaining("allowEmpty")]);
    expect(t.writes()).toEqual([]);
    expect(t.rules()).toHaveLength(2);
  });

  it("reports a file rule that conflicts with an unmanaged server rule, and apply (even --force) writes nothing", async () => {
    const file = await t.write("conflict.yaml", rulesYaml(["team-new"], ['manage: ["team-*"]']).replace("ST_team-new", "ST_shared"));
    t.em.control.seed([seedRule("SDR_LEGACY000001", "legacy", { trunk_ids: ["ST_shared"] })]);
    const plan = await t.cli(["plan", "-c", file, "--format", "json"]);
    expect(plan.code).toBe(3);
    const json = parsePlan(plan);
    expect(json.refusal).toMatchObject({ code: "unmanaged-conflict", forceable: false });
    expect(json.refusal?.message).toContain("team-new");
    expect(json.refusal?.message).toContain("legacy");
    const apply = await t.cli(["apply", "-c", file, "--auto-approve", "--force"]);
    expect(apply.code).toBe(3);
    expect(apply.stdout).toContain("Refused (unmanaged-conflict)");
    expect(t.writes()).toEqual([]);
    expect(t.rules().map((r) => r.name)).toEqual(["legacy"]);
  });
});

describe("retries and ambiguous failures", () => {
  it("retries transient failures of List, Update, Delete and throttled Creates: exit 0, no duplicate", async () => {
    const file = await t.write("retry.yaml", rulesYaml(["fresh", "changed"]));
    t.em.control.seed([seedRule("SDR_CHANGED00001", "changed", { trunk_ids: ["ST_old"] }), seedRule("SDR_STALE0000001", "stale", { trunk_ids: ["ST_stale"] })]);
    const c = t.em.control;
    c.failNext("ListSIPDispatchRule", 1, { status: 503, code: "unavailable", msg: "try later" });
    c.failNext("CreateSIPDispatchRule", 2, { status: 429, code: "resource_exhausted", retryAfter: "0" });
    c.failNext("DeleteSIPDispatchRule", 1, { status: 500, code: "internal" });
    // No probe goes first (SPEC §4: plans are read-only): the faults meet the real update.
    c.dropNext("UpdateSIPDispatchRule", 1);
    c.failNext("UpdateSIPDispatchRule", 1, { status: 503, code: "unavailable" });
    const applied = await t.cli(["apply", "-c", file, "--auto-approve"]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout).toContain("Apply complete: 3 operation(s) succeeded.");
    const rules = t.rules();
    expect(rules.map((r) => r.name).sort()).toEqual(["changed", "fresh"]);
    expect(only(rules, "changed")).toMatchObject({ sip_dispatch_rule_id: "SDR_CHANGED00001", trunk_ids: ["ST_changed"] });
    // Every injected fault was met and retried: 2 + 1 Creates, and one successful Create only.
    const creates = t.writes().filter((w) => w.rpc === "CreateSIPDispatchRule");
    expect(creates.map((w) => w.status)).toEqual([429, 429, 200]);
    expect(t.writes().filter((w) => w.rpc === "UpdateSIPDispatchRule").map((w) => w.status)).toEqual([0, 503, 200]);
    expect(t.writes().filter((w) => w.rpc === "DeleteSIPDispatchRule").map((w) => w.status)).toEqual([500, 200]);
    expect(t.em.control.requests().filter((r) => r.rpc === "ListSIPDispatchRule")[0]?.status).toBe(503);
  });

  it("a Create that failed with 5xx is sent once: outcome unknown, exit 1, the next run's list decides", async () => {
    // A 503 cannot tell "not performed" from "performed, answer lost"; SPEC §5: never re-sent in the run.
    const file = await t.write("create-503.yaml", rulesYaml(["only-once"]));
    t.em.control.failNext("CreateSIPDispatchRule", 2, { status: 503, code: "unavailable" });
    const applied = await t.cli(["apply", "-c", file, "--auto-approve"]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(1);
    expect(applied.stdout).toMatch(/✗ create only-once failed: .*503.*outcome unknown/);
    expect(applied.stdout).not.toContain("Apply complete");
    expect(t.writes().filter((w) => w.rpc === "CreateSIPDispatchRule").map((w) => w.status)).toEqual([503]);
    expect(t.rules()).toEqual([]);
    // The next run lists the server: the rule is absent, so it is created (the second fault answers).
    const rerun = await t.cli(["apply", "-c", file, "--auto-approve"]);
    expect(rerun.code).toBe(1);
    const third = await t.cli(["apply", "-c", file, "--auto-approve"]);
    expect(third.code, third.stdout + third.stderr).toBe(0);
    expect(named(t.rules(), "only-once")).toHaveLength(1);
  });

  it("a Create performed and then answered with 503 is not re-sent: outcome unknown, exit 1; the rerun finds it stored", async () => {
    const file = await t.write("ambiguous.yaml", rulesYaml(["ambiguous", "plain"]));
    t.em.control.failNextAfterCommit("CreateSIPDispatchRule", 1, { status: 503, code: "unavailable" });
    const applied = await t.cli(["apply", "-c", file, "--auto-approve"]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(1);
    // Changes run sorted by name, so the first Create is "ambiguous".
    expect(applied.stdout).toMatch(/✗ create ambiguous failed: .*outcome unknown/);
    expect(applied.stdout).toContain("✓ created plain");
    expect(named(t.rules(), "ambiguous")).toHaveLength(1);
    expect(t.writes().filter((w) => w.rpc === "CreateSIPDispatchRule")).toHaveLength(2);

    const rerun = await t.cli(["apply", "-c", file, "--auto-approve"]);
    expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
    expect(rerun.stdout).toContain("Nothing to apply.");
    expect(t.rules().map((r) => r.name).sort()).toEqual(["ambiguous", "plain"]);
  });

  it("a Create that times out while the server is still storing it is never sent again in the run (no duplicate)", async () => {
    const file = await t.write("create-slow.yaml", rulesYaml(["slow"]));
    t.em.control.setLatency(3_000, "CreateSIPDispatchRule");
    try {
      const failed = await t.cli(["apply", "-c", file, "--auto-approve", "--timeout", "1s"]);
      expect(failed.code).toBe(1);
      expect(failed.stdout).toMatch(/✗ create slow failed: .*outcome unknown/);
      expect(t.writes().filter((w) => w.rpc === "CreateSIPDispatchRule").length).toBeLessThanOrEqual(1);
    } finally {
      t.em.control.setLatency(0, "CreateSIPDispatchRule");
    }
    // The emulator finishes storing it after the client gave up.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(named(t.rules(), "slow")).toHaveLength(1);
    const rerun = await t.cli(["apply", "-c", file, "--auto-approve"]);
    expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
    expect(rerun.stdout).toContain("Nothing to apply.");
    expect(named(t.rules(), "slow")).toHaveLength(1);
  });
});

describe("saved plans", () => {
  it("refuses a saved plan after the server changed (exit 1, stale plan, nothing written)", async () => {
    const file = await t.write("saved.yaml", rulesYaml(["a", "b"]));
    seedNames(["a"]);
    const out = join(t.dir, "server-changed.json");
    expect((await t.cli(["plan", "-c", file, "--out", out])).code).toBe(0);
    t.em.control.seed([seedRule("", "hand-made", { trunk_ids: ["ST_hand"] })]);
    t.em.control.clearRequests();
    const stale = await t.cli(["apply", out, "-c", file, "--auto-approve"]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain("stale plan");
    expect(t.writes()).toEqual([]);
    expect(t.rules().map((r) => r.name).sort()).toEqual(["a", "hand-made"]);
  });

  it("refuses a saved plan after the file changed, and applies an unchanged one", async () => {
    const file = await t.write("saved-file.yaml", rulesYaml(["a", "b"]));
    seedNames(["a"]);
    const out = join(t.dir, "file-changed.json");
    expect((await t.cli(["plan", "-c", file, "--out", out])).code).toBe(0);
    await t.write("saved-file.yaml", rulesYaml(["a", "c"]));
    const stale = await t.cli(["apply", out, "-c", file, "--auto-approve"]);
    expect([stale.code, stale.stderr]).toEqual([1, expect.stringContaining("stale plan")]);
    expect(t.writes()).toEqual([]);

    const fresh = join(t.dir, "fresh.json");
    expect((await t.cli(["plan", "-c", file, "--out", fresh])).code).toBe(0);
    const applied = await t.cli(["apply", fresh, "-c", file, "--auto-approve"]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(t.rules().map((r) => r.name).sort()).toEqual(["a", "c"]);
  });
});

describe("approval and secrets", () => {
  it("apply without --auto-approve and without a terminal exits 1 (usage) and writes nothing", async () => {
    const file = await t.write("approve.yaml", rulesYaml(["a"]));
    const r = await t.cli(["apply", "-c", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--auto-approve");
    expect(r.stderr).toContain("nothing was changed");
    expect(t.writes()).toEqual([]);
    expect(t.rules()).toEqual([]);
  });

  it("never prints a pin or the API secret: every plan format, --out, the step summary, debug logs, --api-secret", async () => {
    // Creates with pins, a pin change, and a delete of a rule with a pin.
    const file = await t.write(
      "pins.yaml",
      [
        "version: 1",
        "rules:",
        "  - name: new-pin",
        "    direct: { roomName: r, pin: '${E2E_DIRECT_PIN}' }",
        "  - name: changed-pin",
        "    callee: { roomPrefix: c-, pin: '${E2E_CALLEE_PIN}' }",
        "    trunkIds: [ST_c]",
        "",
      ].join("\n"),
    );
    t.em.control.seed([
      seedRule("SDR_CHANGEDPIN01", "changed-pin", { trunk_ids: ["ST_c"], rule: { dispatch_rule_callee: { room_prefix: "c-", pin: PINS.other } } }),
      seedRule("SDR_DELETEDPIN01", "deleted-pin", { trunk_ids: ["ST_d"], rule: { dispatch_rule_direct: { room_name: "d", pin: PINS.individual } } }),
    ]);
    const out = join(t.dir, "pins-plan.json");
    const summary = join(t.dir, "step-summary.md");
    const runs = await Promise.all(
      (["text", "json", "markdown", "github"] as const).map((format) =>
        t.cli(["plan", "-c", file, "--format", format, "--log-level", "debug", "--out", join(t.dir, `pins-${format}.json`)], {
          env: { GITHUB_STEP_SUMMARY: summary },
        }),
      ),
    );
    for (const r of runs) expect(r.code).toBe(0);
    expect(runs[0]?.stdout).toContain("(pin changed)");
    // The secret given as a flag instead of the environment, with debug logs.
    const flag = await t.cli(["apply", "-c", file, "--auto-approve", "--log-level", "debug", "--out", out, "--api-secret", API_SECRET], {
      env: { LIVEKIT_API_SECRET: undefined },
    });
    expect(flag.code, flag.stdout + flag.stderr).toBe(0);
    const files = await Promise.all([out, summary, ...["text", "json", "markdown", "github"].map((f) => join(t.dir, `pins-${f}.json`))].map((p) => readFile(p, "utf8")));
    for (const text of files) {
      expect(text).not.toContain(API_SECRET);
      for (const pin of Object.values(PINS)) expect(text).not.toContain(pin);
    }
    // The pins did reach the server (the one place they belong).
    expect(only(t.rules(), "new-pin")).toMatchObject({ rule: { dispatch_rule_direct: { pin: PINS.direct } } });
  });
});

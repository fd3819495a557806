// End-to-end (I/O: child processes, temp files, loopback HTTP). What `watch` tells an operator
// (SPEC §6, issue #14): a second writer fighting over a rule, drift corrected on a resync, an
// invalid file as its own result and the file becoming valid again, a refusal's hint, HEAD on the
// endpoints, and waits for the server's Retry-After. The built CLI against the emulator.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { killAll } from "../support/spawn-cli.js";
import {
  atomicSave,
  emulator,
  events,
  expected,
  isEvent,
  isReconcile,
  metric,
  removeTempDirs,
  request,
  rulesYaml,
  seedItem,
  serverRules,
  serverSpecs,
  startWatch,
  tempDir,
  writes,
  type TestRule,
} from "../support/watch-e2e.js";

afterEach(async () => {
  await killAll();
});
afterAll(async () => {
  await killAll();
  await removeTempDirs();
});

const V1: readonly TestRule[] = [
  { name: "support", kind: "individual", room: "call-", pin: "481516", number: "+15550001" },
  { name: "sales", kind: "direct", room: "sales-room", pin: "234223", number: "+15550002" },
  { name: "open", kind: "callee", room: "num-", number: "+15550003" },
];
const SUPPORT = V1[0] as TestRule;

describe("watch: a second writer fighting over a rule", () => {
  it("after the same rule is flipped back twice it is left alone: fighting logged, /readyz 503, a metric; a file change ends it", async () => {
    const em = await emulator();
    const dir = await tempDir();
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, rulesYaml(V1));
    const { cli, http } = await startWatch(em, file, { interval: "1s" });
    await cli.waitFor(isReconcile({ trigger: "start", result: "success" }), { what: "the first reconcile" });
    const id = serverRules(em.control).find((r) => r.name === "support")?.id;
    expect(id).toMatch(/^SDR_/);
    em.control.clearRequests();
    const theirs = { ...SUPPORT, room: "theirs-" };

    // The other writer's first revert: corrected on the next resync, and reported as drift.
    let from = cli.count();
    em.control.seed([seedItem(theirs, id)]);
    const drift = await cli.waitFor(isEvent("drift"), { from, timeoutMs: 10_000, what: "the drift event" });
    expect(drift.rules).toEqual([{ rule: "support", action: "update", fields: ["individual.roomPrefix"] }]);
    await cli.waitFor(isEvent("operation", { rule: "support", status: "ok" }), { from, timeoutMs: 10_000, what: "the first correction" });
    expect(serverSpecs(em.control)).toEqual(expected(V1));

    // The second revert: this daemon stops writing the rule.
    from = cli.count();
    em.control.seed([seedItem(theirs, id)]);
    const fighting = await cli.waitFor(isEvent("fighting"), { from, timeoutMs: 10_000, what: "the fighting event" });
    expect(fighting.rules).toEqual(["support"]);
    // Two more resyncs: the rule stays as the other writer left it.
    const after = cli.count();
    await cli.waitFor(isReconcile({ trigger: "interval" }), { from: after, timeoutMs: 10_000, what: "a resync" });
    await cli.waitFor((r) => isReconcile({ trigger: "interval" })(r), { from: cli.count(), timeoutMs: 10_000, what: "another resync" });
    expect(serverRules(em.control).find((r) => r.name === "support")?.room).toBe("theirs-");
    expect(writes(em.control).filter((w) => w.rpc === "UpdateSIPDispatchRule")).toHaveLength(1);

    const ready = await request(http, "/readyz");
    expect(ready.status).toBe(503);
    expect(String(ready.json().reason)).toMatch(/fighting.*"support"/);
    let metrics = (await request(http, "/metrics")).text;
    expect(metric(metrics, "sip_dispatch_sync_fighting_rules")).toBe(1);
    expect(metric(metrics, "sip_dispatch_sync_drift_total", { action: "update" })).toBeGreaterThanOrEqual(2);

    // The file changes: the rule is written again, the fight is over.
    from = cli.count();
    const agreed = V1.map((r) => (r.name === "support" ? { ...r, room: "agreed-" } : r));
    await atomicSave(file, rulesYaml(agreed));
    await cli.waitFor(isReconcile({ trigger: "file", result: "success" }), { from, timeoutMs: 10_000, what: "the reconcile of the new file" });
    expect(serverSpecs(em.control)).toEqual(expected(agreed));
    expect((await request(http, "/readyz")).status).toBe(200);
    metrics = (await request(http, "/metrics")).text;
    expect(metric(metrics, "sip_dispatch_sync_fighting_rules")).toBe(0);
  });
});

describe("watch: what it tells an operator", () => {
  it("an invalid file is its own result (counted), and fixing it logs config valid again", async () => {
    const em = await emulator();
    const dir = await tempDir();
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, rulesYaml(V1));
    const { cli, http } = await startWatch(em, file);
    await cli.waitFor(isReconcile({ trigger: "start", result: "success" }), { what: "the first reconcile" });

    let from = cli.count();
    await atomicSave(file, "version: 1\nrules:\n  - name: [broken\n");
    const bad = await cli.waitFor(isReconcile({ trigger: "file" }), { from, timeoutMs: 10_000, what: "the reconcile of the invalid file" });
    expect(bad.result).toBe("invalid");
    expect(String(bad.detail)).toMatch(/last good file stays in force/);
    const metrics = (await request(http, "/metrics")).text;
    expect(metric(metrics, "sip_dispatch_sync_reconciles_total", { result: "invalid" })).toBe(1);
    expect(metric(metrics, "sip_dispatch_sync_reconciles_total", { result: "noop" })).toBe(0);
    expect(events(cli, "config-valid-again")).toEqual([]);

    from = cli.count();
    await atomicSave(file, rulesYaml(V1));
    const again = await cli.waitFor(isEvent("config-valid-again"), { from, timeoutMs: 10_000, what: "config valid again" });
    expect(again.msg).toBe("config valid again");
    const good = await cli.waitFor(isReconcile({ trigger: "file" }), { from, timeoutMs: 10_000, what: "the reconcile of the fixed file" });
    expect(good.result).toBe("noop");
  });

  it("a refusal's hint says what to do instead of --force, which watch does not have", async () => {
    const em = await emulator();
    const dir = await tempDir();
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, rulesYaml(V1));
    const { cli } = await startWatch(em, file, { extra: ["--settle", "0s"] });
    await cli.waitFor(isReconcile({ trigger: "start", result: "success" }), { what: "the first reconcile" });
    const from = cli.count();
    await atomicSave(file, rulesYaml(V1.slice(0, 1), "limits: { maxDeletes: 1 }"));
    const refused = await cli.waitFor(isEvent("refused"), { from, timeoutMs: 10_000, what: "the refused event" });
    expect(String(refused.hint)).not.toMatch(/--force/);
    expect(String(refused.hint)).toMatch(/limits\.maxDeletes/);
    expect(String(refused.hint)).toMatch(/sip-dispatch-sync apply/);
    expect(cli.stdout()).not.toMatch(/--force/);
  });

  it("HEAD answers on /healthz, /readyz and /metrics like GET, without a body", async () => {
    const em = await emulator();
    const dir = await tempDir();
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, rulesYaml(V1));
    const { cli, http } = await startWatch(em, file);
    await cli.waitFor(isReconcile({ trigger: "start", result: "success" }), { what: "the first reconcile" });
    for (const path of ["/healthz", "/readyz", "/metrics"]) {
      const head = await request(http, path, "HEAD");
      expect(head.status, path).toBe(200);
      expect(head.text, path).toBe("");
      expect(head.headers.get("content-type"), path).toBe((await request(http, path)).headers.get("content-type"));
    }
    expect((await request(http, "/healthz", "POST")).headers.get("allow")).toBe("GET, HEAD");
  });

  it("every wait for the server's Retry-After is logged with its length, and counted", async () => {
    const em = await emulator();
    const dir = await tempDir();
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, rulesYaml(V1));
    const { cli, http } = await startWatch(em, file);
    await cli.waitFor(isReconcile({ trigger: "start", result: "success" }), { what: "the first reconcile" });

    const from = cli.count();
    em.control.failNext("ListSIPDispatchRule", 2, { status: 429, retryAfter: "1" });
    cli.signal("SIGHUP");
    const waits = [
      await cli.waitFor(isEvent("retry-wait"), { from, timeoutMs: 10_000, what: "the first retry-wait" }),
      await cli.waitFor(isEvent("retry-wait", { attempt: 2 }), { from, timeoutMs: 10_000, what: "the second retry-wait" }),
    ];
    for (const w of waits) {
      expect(w).toMatchObject({ method: "ListSIPDispatchRule", retryAfterMs: 1000, status: 429 });
      expect(Number(w.delayMs)).toBeGreaterThanOrEqual(1000);
      expect(String(w.msg)).toMatch(/retrying in \d+ ms/);
    }
    const done = await cli.waitFor(isReconcile({ trigger: "reload" }), { from, timeoutMs: 10_000, what: "the reconcile after the waits" });
    expect(done.result).toBe("noop");
    const metrics = (await request(http, "/metrics")).text;
    expect(metric(metrics, "sip_dispatch_sync_retry_wait_seconds_total", { method: "ListSIPDispatchRule" })).toBeGreaterThanOrEqual(2);
  });
});

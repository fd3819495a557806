// Integration (I/O: temp files, the emulator on 127.0.0.1:0): one daemon reconcile with the real
// loader, client, planner and applier. Checks the outcomes runDaemon acts on, the last-good
// fallback, fail-closed behaviour, and that no log line carries a pin.
import { mkdtemp, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMetrics, createReconciler, type ReconcileLogger } from "../../src/daemon/index.js";
import { createSipClient } from "../../src/livekit/index.js";
import { startEmulator, type StartedEmulator } from "../support/emulator.js";

const PIN = "80417";
const GOOD = `version: 1
rules:
  - name: support
    individual: { roomPrefix: support-, pin: "${PIN}" }
    trunkIds: [ST_a]
  - name: sales
    direct: { roomName: sales }
    trunkIds: [ST_b]
`;

interface Line {
  readonly level: string;
  readonly obj: Record<string, unknown>;
  readonly msg: string;
}

function memoryLogger(lines: Line[]): ReconcileLogger {
  const at = (level: string) => (obj: object, msg: string) => void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return { info: at("info"), warn: at("warn"), error: at("error") };
}

function writes(em: StartedEmulator): number {
  return em.control.requests().filter((r) => r.rpc !== "ListSIPDispatchRule").length;
}

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sds-reconcile-"));
  file = join(dir, "dispatch-rules.yaml");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function setup(opts: { dryRun?: boolean; settleMs?: number; quietFor?: () => number | undefined; readFile?: (path: string) => Promise<Uint8Array>; listAheadMs?: number; serverCache?: boolean } = {}) {
  const em = await startEmulator();
  const lines: Line[] = [];
  const problems: (string | null)[] = [];
  const metrics = createMetrics({ defaultMetrics: false });
  const client = createSipClient({ url: em.url, apiKey: em.apiKey, apiSecret: em.apiSecret, timeoutMs: 2000, retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10 } });
  const reconcile = createReconciler({
    file,
    env: {},
    client,
    log: memoryLogger(lines),
    metrics,
    dryRun: opts.dryRun ?? false,
    concurrency: 4,
    now: () => performance.now(),
    settleMs: opts.settleMs ?? 5,
    ...(opts.quietFor ? { quietFor: opts.quietFor } : {}),
    ...(opts.readFile ? { readFile: opts.readFile } : {}),
    ...(opts.listAheadMs !== undefined ? { listAheadMs: opts.listAheadMs } : {}),
    ...(opts.serverCache !== undefined ? { serverCache: opts.serverCache } : {}),
    onConfig: (p) => problems.push(p),
  });
  const names = () => em.control.rules().map((r) => (r as { name: string }).name).sort();
  return { em, lines, problems, metrics, reconcile, names };
}

describe("createReconciler", () => {
  it("applies a valid file, then finds nothing to do", async () => {
    const { em, lines, reconcile, names, metrics } = await setup();
    await writeFile(file, GOOD);
    expect(await reconcile("start")).toMatchObject({ result: "success" });
    expect(names()).toEqual(["sales", "support"]);
    expect(lines.find((l) => l.obj.event === "plan")?.obj).toMatchObject({ summary: { create: 2 } });
    expect(lines.filter((l) => l.obj.event === "operation")).toHaveLength(2);
    expect(await reconcile("interval")).toEqual({ result: "noop" });
    const text = (await metrics.render()).body;
    expect(text).toMatch(/sip_dispatch_sync_config_valid 1/);
    expect(text).toMatch(/sip_dispatch_sync_rules\{state="managed"\} 2/);
    expect(JSON.stringify(lines)).not.toContain(PIN);
    expect(em.control.rules()).toHaveLength(2);
  });

  it("an invalid file with no good one before is invalid-config and writes nothing", async () => {
    const { em, reconcile, problems } = await setup();
    await writeFile(file, GOOD.replace("roomPrefix", "roomPrefx"));
    const out = await reconcile("start");
    expect(out.result).toBe("invalid-config");
    expect(out.detail).toMatch(/line 4/);
    expect(writes(em)).toBe(0);
    // Without a good state to fall back on, the server is not even listed.
    expect(em.control.requests()).toEqual([]);
    expect(problems.at(-1)).toMatch(/roomPrefx/);
  });

  it("a missing file at start is invalid-config and deletes nothing", async () => {
    const { em, reconcile } = await setup();
    em.control.seed([{ sip_dispatch_rule_id: "SDR_keepme000001", name: "support", rule: { dispatch_rule_direct: { room_name: "x" } } }]);
    const out = await reconcile("start");
    expect(out).toMatchObject({ result: "invalid-config" });
    expect(out.detail).toMatch(/does not exist/);
    expect(em.control.rules()).toHaveLength(1);
    expect(writes(em)).toBe(0);
  });

  it("keeps the last good file in force after an invalid edit, and still corrects drift from it", async () => {
    const { em, lines, reconcile, problems, metrics, names } = await setup({ serverCache: false }); // listing in every run, so a file run corrects drift too
    await writeFile(file, GOOD);
    await reconcile("start");
    await writeFile(file, "version: 1\nrules: [\n");
    // Drift by hand: someone deleted a rule on the server.
    const sales = em.control.rules().find((r) => (r as { name: string }).name === "sales") as { sip_dispatch_rule_id: string };
    const keep = em.control.rules().filter((r) => (r as { sip_dispatch_rule_id: string }).sip_dispatch_rule_id !== sales.sip_dispatch_rule_id);
    em.control.reset();
    em.control.seed(keep);
    expect(names()).toEqual(["support"]);

    // Applied from the last good file; the run counts as `invalid` (SPEC §6).
    expect(await reconcile("file")).toMatchObject({ result: "invalid", detail: expect.stringMatching(/1 operation\(s\) applied/) });
    expect(names()).toEqual(["sales", "support"]);
    expect(problems.at(-1)).toMatch(/error\(s\) in/);
    expect((await metrics.render()).body).toMatch(/sip_dispatch_sync_config_valid 0/);
    const errors = lines.filter((l) => l.obj.event === "config-error");
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]?.obj).toMatchObject({ file, line: expect.any(Number), column: expect.any(Number) });

    // The same broken content is not logged in full again on the next interval.
    await reconcile("interval");
    expect(lines.filter((l) => l.obj.event === "config-error")).toHaveLength(errors.length);

    // A valid edit takes over again.
    await writeFile(file, GOOD.replace("support-", "help-"));
    expect(await reconcile("file")).toMatchObject({ result: "success" });
    expect(problems.at(-1)).toBeNull();
    expect((await metrics.render()).body).toMatch(/sip_dispatch_sync_config_valid 1/);
  });

  it("fails closed when the list fails: result error, nothing written", async () => {
    const { em, reconcile } = await setup();
    await writeFile(file, GOOD);
    em.control.failNext("ListSIPDispatchRule", 5, { status: 503, code: "unavailable", msg: "down" });
    const out = await reconcile("start");
    expect(out.result).toBe("error");
    expect(writes(em)).toBe(0);
    expect(em.control.rules()).toHaveLength(0);
  });

  it("never forces a refused plan", async () => {
    const { em, reconcile, lines } = await setup();
    const extra = Array.from({ length: 6 }, (_, i) => ({ name: `old-${i}`, rule: { dispatch_rule_direct: { room_name: `r${i}` } }, trunk_ids: [`ST_old${i}`] }));
    em.control.seed(extra);
    await writeFile(file, GOOD);
    const out = await reconcile("start");
    expect(out.result).toBe("refused");
    expect(out.detail).toMatch(/delete/);
    expect(writes(em)).toBe(0);
    expect(lines.some((l) => l.obj.event === "refused")).toBe(true);
  });

  it("--dry-run plans and reports but never writes", async () => {
    const { em, reconcile, lines } = await setup({ dryRun: true });
    await writeFile(file, GOOD);
    expect(await reconcile("start")).toMatchObject({ result: "dry-run" });
    expect(lines.find((l) => l.obj.event === "plan")?.obj).toMatchObject({ dryRun: true, summary: { create: 2 } });
    expect(writes(em)).toBe(0);
  });

  it("a file deleted after a good one keeps the good one in force", async () => {
    const { em, reconcile } = await setup();
    await writeFile(file, GOOD);
    await reconcile("start");
    await unlink(file);
    const out = await reconcile("file");
    expect(out.result).toBe("invalid");
    expect(em.control.rules()).toHaveLength(2);
  });

  it("lists the server alongside the read once a good state exists; a failed list is still an error", async () => {
    const { em, reconcile } = await setup({ serverCache: false }); // listing in every run (with the cache only a full run lists)
    await writeFile(file, GOOD);
    expect(await reconcile("start")).toMatchObject({ result: "success" });
    // The list starts before the file is read: a list failure while the new file is invalid is
    // reported as an error (not an unhandled rejection), and nothing is written.
    await writeFile(file, "version: 1\nrules: [\n");
    em.control.clearRequests();
    em.control.failNext("ListSIPDispatchRule", 5, { status: 503, code: "unavailable", msg: "down" });
    const out = await reconcile("file");
    expect(out.result).toBe("error");
    expect(writes(em)).toBe(0);
    expect(em.control.requests().some((r) => r.rpc === "ListSIPDispatchRule")).toBe(true);
  });

  it("reads back to back when the watcher says the file has been quiet for the settle time", async () => {
    // A settle time far beyond the test timeout: the run can only finish if the pause is skipped.
    const { reconcile, names } = await setup({ settleMs: 600_000, quietFor: () => 600_000 });
    await writeFile(file, GOOD);
    expect(await reconcile("file")).toMatchObject({ result: "success" });
    expect(names()).toEqual(["sales", "support"]);
  });

  it("prepare() reads the saved file ahead; the reconcile still applies what it reads itself", async () => {
    const reads: string[] = [];
    const { readFile } = await import("node:fs/promises");
    const { em, reconcile } = await setup({
      readFile: async (p) => {
        const bytes = await readFile(p);
        reads.push(bytes.toString("utf8"));
        return bytes;
      },
    });
    const roomOfSales = () =>
      (em.control.rules().find((r) => (r as { name: string }).name === "sales") as { rule: { dispatch_rule_direct: { room_name: string } } }).rule.dispatch_rule_direct.room_name;
    await writeFile(file, GOOD);
    expect(await reconcile("start")).toMatchObject({ result: "success" });

    // Prepared, then reconciled with the same bytes.
    await writeFile(file, GOOD.replace("roomName: sales", "roomName: sales-2"));
    reconcile.prepare();
    reconcile.prepare(); // coalesces with the read in flight
    await waitUntil(() => reads.some((r) => r.includes("sales-2")));
    expect(await reconcile("file")).toMatchObject({ result: "success" });
    expect(roomOfSales()).toBe("sales-2");

    // Prepared, then edited again before the reconcile: the newer bytes win.
    await writeFile(file, GOOD.replace("roomName: sales", "roomName: sales-3"));
    reconcile.prepare();
    await waitUntil(() => reads.some((r) => r.includes("sales-3")));
    await writeFile(file, GOOD.replace("roomName: sales", "roomName: sales-4"));
    expect(await reconcile("file")).toMatchObject({ result: "success" });
    expect(roomOfSales()).toBe("sales-4");

    // Prepared with an invalid file that is fixed before the reconcile: nothing invalid is reported.
    await writeFile(file, "version: 1\nrules: [\n");
    reconcile.prepare();
    await waitUntil(() => reads.some((r) => r.endsWith("rules: [\n")));
    await writeFile(file, GOOD);
    expect(await reconcile("file")).toMatchObject({ result: "success" });
    expect(roomOfSales()).toBe("sales");
  });

  it("with listAheadMs, prepare() lists ahead and the next reconcile uses that list; another run in between voids it", async () => {
    const { em, reconcile } = await setup({ listAheadMs: 60_000, serverCache: false });
    const lists = () => em.control.requests().filter((r) => r.rpc === "ListSIPDispatchRule").length;
    const roomOfSales = () =>
      (em.control.rules().find((r) => (r as { name: string }).name === "sales") as { rule: { dispatch_rule_direct: { room_name: string } } }).rule.dispatch_rule_direct.room_name;
    await writeFile(file, GOOD);
    expect(await reconcile("start")).toMatchObject({ result: "success" });
    // ListSIPDispatchRule calls of one listing (the client pages until an empty page).
    em.control.clearRequests();
    expect(await reconcile("interval")).toEqual({ result: "noop" });
    const perList = lists();
    expect(perList).toBeGreaterThan(0);

    // Listed (and planned) ahead, then reconciled with no list of its own.
    await writeFile(file, GOOD.replace("roomName: sales", "roomName: sales-2"));
    em.control.clearRequests();
    reconcile.prepare();
    await waitUntil(() => lists() === perList);
    expect(await reconcile("file")).toMatchObject({ result: "success" });
    expect(lists()).toBe(perList);
    expect(roomOfSales()).toBe("sales-2");

    // A list ahead is used once: the next run lists again.
    em.control.clearRequests();
    expect(await reconcile("interval")).toEqual({ result: "noop" });
    expect(lists()).toBe(perList);

    // Whichever run comes next takes it (here an interval run, which applies sales-3); the run
    // after that (its writes may postdate that list) lists afresh, planning sales-4 by itself.
    await writeFile(file, GOOD.replace("roomName: sales", "roomName: sales-3"));
    em.control.clearRequests();
    reconcile.prepare();
    await waitUntil(() => lists() === perList);
    expect(await reconcile("interval")).toMatchObject({ result: "success" });
    expect(lists()).toBe(perList);
    expect(roomOfSales()).toBe("sales-3");
    await writeFile(file, GOOD.replace("roomName: sales", "roomName: sales-4"));
    expect(await reconcile("file")).toMatchObject({ result: "success" });
    expect(lists()).toBe(2 * perList);
    expect(roomOfSales()).toBe("sales-4");
  });

  it("prepare() during a reconcile lists ahead only once that run is over", async () => {
    const { em, reconcile } = await setup({ listAheadMs: 60_000, serverCache: false });
    const lists = () => em.control.requests().filter((r) => r.rpc === "ListSIPDispatchRule").length;
    await writeFile(file, GOOD);
    expect(await reconcile("start")).toMatchObject({ result: "success" });
    em.control.clearRequests();
    expect(await reconcile("interval")).toEqual({ result: "noop" });
    const perList = lists();

    await writeFile(file, GOOD.replace("roomName: sales", "roomName: sales-2"));
    em.control.clearRequests();
    em.control.setLatency(50);
    const run = reconcile("interval");
    reconcile.prepare();
    const during = await run;
    expect(during).toMatchObject({ result: "success" });
    // The run listed once; its end started the list ahead (after its writes).
    await waitUntil(() => lists() === 2 * perList);
    const writesBefore = writes(em);
    expect(await reconcile("file")).toEqual({ result: "noop" });
    expect(lists()).toBe(2 * perList);
    expect(writes(em)).toBe(writesBefore);
  });

  it("without a good state and with an invalid file, prepare() lists nothing ahead", async () => {
    const { em, reconcile } = await setup({ listAheadMs: 60_000 });
    await writeFile(file, "version: 1\nrules: [\n");
    reconcile.prepare();
    await new Promise((r) => setTimeout(r, 100));
    expect((await reconcile("file")).result).toBe("invalid-config");
    expect(em.control.requests()).toEqual([]);
  });

  it("prepare() on a missing file neither throws nor changes what the reconcile reports", async () => {
    const reads: number[] = [];
    const { readFile } = await import("node:fs/promises");
    const { reconcile, problems } = await setup({ readFile: (p) => (reads.push(1), readFile(p)) });
    reconcile.prepare();
    await waitUntil(() => reads.length >= 1);
    const out = await reconcile("file");
    expect(out.result).toBe("invalid-config");
    expect(out.detail).toMatch(/does not exist/);
    expect(problems.at(-1)).toMatch(/does not exist/);
  });
});

async function waitUntil(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  // Let the read in flight finish its parse.
  await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
}

// End-to-end (I/O: child processes, temp files, FIFOs, symlinks, signals, loopback HTTP). The
// built CLI's `watch` daemon against what production does to it (SPEC §6, issue #14): a FIFO or
// a device in place of the file, a file too large, a writer that pauses mid-file, signals during
// an apply and the other signals an operator (or a supervisor) sends.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, open, rename, rm, symlink, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { MAX_FILE_BYTES } from "../../src/rules-file/index.js";
import { eventOf, killAll } from "../support/spawn-cli.js";
import {
  atomicSave,
  emulator,
  events,
  expected,
  isEvent,
  isReconcile,
  removeTempDirs,
  request,
  rulesYaml,
  serverRules,
  serverSpecs,
  sleep,
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
const FIVE: readonly TestRule[] = [
  ...V1,
  { name: "night", kind: "direct", room: "night-room", number: "+15550004" },
  { name: "billing", kind: "individual", room: "bill-", number: "+15550005" },
];
const V2: readonly TestRule[] = [
  { name: "support", kind: "individual", room: "help-", pin: "481516", number: "+15550001" },
  { name: "open", kind: "callee", room: "num-", number: "+15550003" },
  { name: "night", kind: "direct", room: "night-room", pin: "777001", number: "+15550004" },
];

/** Resident set size of a process in MiB (Linux /proc). */
function rssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

describe("watch reads the file with the one-shot commands' guards", () => {
  it("a FIFO in place of the file is refused (logged, last good file kept), and SIGTERM still exits", async () => {
    const em = await emulator();
    const dir = await tempDir();
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, rulesYaml(V1));
    const { cli, http } = await startWatch(em, file);
    await cli.waitFor(isReconcile({ trigger: "start", result: "success" }), { what: "the first reconcile" });
    em.control.clearRequests();

    const from = cli.count();
    await rm(file);
    execFileSync("mkfifo", [file]);
    const error = await cli.waitFor(isEvent("config-error", { reason: "not-a-file" }), { from, timeoutMs: 15_000, what: "the config-error of the FIFO" });
    expect(String(error.msg)).toMatch(/not a regular file/);
    const run = await cli.waitFor((r) => isReconcile({ trigger: "file" })(r) && cli.records().indexOf(r) > cli.records().indexOf(error), { from, timeoutMs: 15_000, what: "the reconcile of the FIFO" });
    expect(run.result).toBe("invalid");
    expect(writes(em.control)).toEqual([]);
    expect(serverSpecs(em.control)).toEqual(expected(V1));
    const ready = await request(http, "/readyz");
    expect(ready.json()).toMatchObject({ ready: true, config: { valid: false } });

    cli.signal("SIGTERM");
    expect(await cli.waitForExit(10_000)).toEqual({ code: 0, signal: null });
    expect(eventOf(cli.records().at(-1) ?? {})).toBe("stopped");
  });

  it("a symlink to /dev/zero is refused without reading it (memory stays flat), and SIGTERM still exits", async () => {
    const em = await emulator();
    const dir = await tempDir();
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, rulesYaml(V1));
    const { cli } = await startWatch(em, file);
    await cli.waitFor(isReconcile({ trigger: "start", result: "success" }), { what: "the first reconcile" });
    em.control.clearRequests();

    const from = cli.count();
    await rm(file);
    await symlink("/dev/zero", file);
    await cli.waitFor(isEvent("config-error", { reason: "not-a-file" }), { from, timeoutMs: 15_000, what: "the config-error of /dev/zero" });
    await cli.waitFor(isReconcile({ trigger: "file" }), { from, timeoutMs: 15_000, what: "the reconcile of /dev/zero" });
    // Reading /dev/zero to its end would grow the heap by gigabytes within seconds.
    await sleep(1_000);
    expect(rssMiB(cli.pid)).toBeLessThan(400);
    expect(writes(em.control)).toEqual([]);
    expect(serverSpecs(em.control)).toEqual(expected(V1));

    cli.signal("SIGTERM");
    expect(await cli.waitForExit(10_000)).toEqual({ code: 0, signal: null });
  });

  it("a file over the size cap is refused before it is read; the last good file stays in force", async () => {
    const em = await emulator();
    const dir = await tempDir();
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, rulesYaml(V1));
    const { cli } = await startWatch(em, file);
    await cli.waitFor(isReconcile({ trigger: "start", result: "success" }), { what: "the first reconcile" });
    em.control.clearRequests();

    const from = cli.count();
    // A sparse file: one byte over the cap costs no disk and no time to make.
    const big = join(dir, ".big.tmp");
    await writeFile(big, "");
    await truncate(big, MAX_FILE_BYTES + 1);
    await rename(big, file);
    const error = await cli.waitFor(isEvent("config-error", { reason: "too-large" }), { from, timeoutMs: 15_000, what: "the config-error of the large file" });
    expect(String(error.msg)).toContain(String(MAX_FILE_BYTES + 1));
    await cli.waitFor(isReconcile({ trigger: "file", result: "invalid" }), { from, timeoutMs: 15_000, what: "the reconcile of the large file" });
    expect(writes(em.control)).toEqual([]);
    expect(serverSpecs(em.control)).toEqual(expected(V1));
  });
});

describe("watch: the settle rule (a file written in place in pieces)", () => {
  it("a writer that pauses 1 s mid-file causes no delete and no re-create (same rule IDs)", async () => {
    const em = await emulator();
    const dir = await tempDir();
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, rulesYaml(FIVE));
    const { cli } = await startWatch(em, file);
    await cli.waitFor(isReconcile({ trigger: "start", result: "success" }), { what: "the first reconcile" });
    const before = serverRules(em.control);
    expect(before).toHaveLength(5);
    em.control.clearRequests();

    // Written in place: the first two rules (a valid file on its own), a pause, then the rest.
    const full = rulesYaml(FIVE);
    const cut = full.indexOf("  - name: open");
    expect(cut).toBeGreaterThan(0);
    const from = cli.count();
    const fh = await open(file, "w");
    await fh.write(full.slice(0, cut));
    await fh.sync();
    // A pause of about 1 s; on a slow machine, until the daemon has surely read the half file
    // (its settling event), but never as long as the settle time.
    const paused = Date.now();
    await cli.waitFor(isEvent("settling"), { from, timeoutMs: 1_800, what: "the settling event" }).catch(() => undefined);
    await sleep(Math.max(0, 1_000 - (Date.now() - paused)));
    await fh.write(full.slice(cut));
    await fh.close();

    // The half file's plan has 3 deletes: it waits for the file to settle, re-reads it, and finds
    // nothing to do. The rest of the write makes one more (coalesced) file reconcile.
    const settling = await cli.waitFor(isEvent("settling"), { from, timeoutMs: 15_000, what: "the settling event" });
    expect(settling).toMatchObject({ deletes: 3, settleMs: 2000 });
    await cli.waitFor(isReconcile({ trigger: "file" }), { from, timeoutMs: 15_000, what: "the first file reconcile" });
    await sleep(1_500);
    const runs = cli.records().slice(from).filter(isReconcile({ trigger: "file" }));
    expect(runs.map((r) => r.result).every((r) => r === "noop")).toBe(true);
    expect(writes(em.control)).toEqual([]);
    expect(serverRules(em.control)).toEqual(before);
  });

  it("an intended delete is applied once the file has been unchanged for --settle", async () => {
    const em = await emulator();
    const dir = await tempDir();
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, rulesYaml(FIVE));
    const { cli } = await startWatch(em, file, { extra: ["--settle", "1s"] });
    await cli.waitFor(isReconcile({ trigger: "start", result: "success" }), { what: "the first reconcile" });

    const from = cli.count();
    const saved = Date.now();
    await atomicSave(file, rulesYaml(FIVE.slice(0, 4)));
    const settling = await cli.waitFor(isEvent("settling"), { from, timeoutMs: 15_000, what: "the settling event" });
    expect(settling).toMatchObject({ deletes: 1, settleMs: 1000 });
    const done = await cli.waitFor(isReconcile({ trigger: "file" }), { from, timeoutMs: 15_000, what: "the file reconcile" });
    expect(done.result).toBe("success");
    // File times are coarse (a few ms): a margin below the 1 s, far above "at once".
    expect(Date.now() - saved).toBeGreaterThanOrEqual(900);
    expect(serverSpecs(em.control)).toEqual(expected(FIVE.slice(0, 4)));
  });

  it("--settle is in --help and rejects a value that is not a duration", async () => {
    const { runCli } = await import("../support/run-cli.js");
    const help = await runCli(["watch", "--help"]);
    expect(help.stdout).toMatch(/--settle DURATION/);
    const bad = await runCli(["watch", "--settle", "soon", "-c", "x.yaml"], { env: { LIVEKIT_URL: "http://127.0.0.1:1", LIVEKIT_API_KEY: "k", LIVEKIT_API_SECRET: "s" } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--settle/);
  });
});

describe("watch: signals", () => {
  it("SIGTERM during an apply starts no new operation, finishes the one in flight, logs stopped last", async () => {
    const em = await emulator();
    em.control.setLatency(1_500, "CreateSIPDispatchRule");
    const dir = await tempDir();
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, rulesYaml(FIVE));
    const { cli } = await startWatch(em, file, { extra: ["--concurrency", "1", "--timeout", "10s"] });
    await cli.waitFor(isEvent("plan"), { what: "the plan event" });
    await sleep(300);
    cli.signal("SIGTERM");
    const exit = await cli.waitForExit(15_000);
    expect(exit).toEqual({ code: 0, signal: null });
    const records = cli.records();
    expect(eventOf(records.at(-1) ?? {})).toBe("stopped");
    const applied = events(cli, "operation").filter((o) => o.status === "ok");
    expect(applied).toHaveLength(1);
    // Nothing started after the signal: one create reached the server, the one in flight.
    await sleep(300);
    expect(writes(em.control).map((w) => w.rpc)).toEqual(["CreateSIPDispatchRule"]);
    expect(em.control.rules()).toHaveLength(1);
  });

  it("SIGTERM with an operation in flight longer than --timeout exits on time and never sends it again", async () => {
    const em = await emulator();
    em.control.setLatency(3_000, "CreateSIPDispatchRule");
    const dir = await tempDir();
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, rulesYaml(V1));
    const { cli } = await startWatch(em, file, { extra: ["--concurrency", "1", "--timeout", "1500ms"] });
    await cli.waitFor(isEvent("plan"), { what: "the plan event" });
    await sleep(200);
    const sent = Date.now();
    cli.signal("SIGTERM");
    const exit = await cli.waitForExit(15_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - sent).toBeLessThan(6_000);
    expect(eventOf(cli.records().at(-1) ?? {})).toBe("stopped");
    // Let the server finish what it was sent: exactly the one create, never a second copy.
    await sleep(3_500);
    expect(writes(em.control).map((w) => w.rpc)).toEqual(["CreateSIPDispatchRule"]);
    expect(em.control.rules()).toHaveLength(1);
  });

  it("SIGHUP re-reads the file at once (logged), without waiting for the debounce", async () => {
    const em = await emulator();
    const dir = await tempDir();
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, rulesYaml(V1));
    const { cli } = await startWatch(em, file, { debounce: "60s" });
    await cli.waitFor(isReconcile({ trigger: "start", result: "success" }), { what: "the first reconcile" });
    const from = cli.count();
    await atomicSave(file, rulesYaml(V2));
    await sleep(300);
    cli.signal("SIGHUP");
    await cli.waitFor(isEvent("reload", { signal: "SIGHUP" }), { from, what: "the reload event" });
    const done = await cli.waitFor(isReconcile({ trigger: "reload" }), { from, timeoutMs: 15_000, what: "the reload reconcile" });
    expect(["success"]).toContain(done.result);
    expect(serverSpecs(em.control)).toEqual(expected(V2));
    expect(cli.stderr()).toBe("");
  });

  it("SIGUSR1 and SIGUSR2 are logged and ignored (no debugger port), SIGQUIT stops gracefully", async () => {
    const em = await emulator();
    const dir = await tempDir();
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, rulesYaml(V1));
    const { cli, http } = await startWatch(em, file);
    await cli.waitFor(isReconcile({ trigger: "start", result: "success" }), { what: "the first reconcile" });
    for (const sig of ["SIGUSR1", "SIGUSR2"] as const) {
      const from = cli.count();
      cli.signal(sig);
      await cli.waitFor(isEvent("signal-ignored", { signal: sig }), { from, what: `the ${sig} event` });
      expect((await request(http, "/healthz")).status).toBe(200);
    }
    expect(cli.stderr()).not.toMatch(/Debugger/i);
    cli.signal("SIGQUIT");
    expect(await cli.waitForExit(10_000)).toEqual({ code: 0, signal: null });
    expect(events(cli, "stopping")[0]?.signal).toBe("SIGQUIT");
    expect(eventOf(cli.records().at(-1) ?? {})).toBe("stopped");
    expect(cli.stderr()).toBe("");
  });
});


describe("watch: the watched directory replaced", () => {
  it("a directory deleted and re-created is seen within a second, logged, and its file applied", async () => {
    const em = await emulator();
    const base = await tempDir();
    const dir = join(base, "conf");
    await mkdir(dir);
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, rulesYaml(V1));
    const { cli } = await startWatch(em, file);
    await cli.waitFor(isReconcile({ trigger: "start", result: "success" }), { what: "the first reconcile" });

    let from = cli.count();
    await rm(dir, { recursive: true });
    await cli.waitFor(isEvent("directory-gone"), { from, timeoutMs: 5_000, what: "the directory-gone event" });
    from = cli.count();
    const made = Date.now();
    await mkdir(dir);
    await writeFile(file, rulesYaml(V2));
    const replaced = await cli.waitFor(isEvent("directory-replaced"), { from, timeoutMs: 5_000, what: "the directory-replaced event" });
    // Polled every 250 ms; generous for a loaded machine, far below the 30 s resync.
    expect(Date.now() - made).toBeLessThan(2_500);
    expect(replaced.dir).toBe(dir);
    await cli.waitFor(isReconcile({ trigger: "file", result: "success" }), { from, timeoutMs: 10_000, what: "the reconcile of the new directory's file" });
    expect(serverSpecs(em.control)).toEqual(expected(V2));

    // And the watch is on the new directory: an edit there is seen as usual.
    from = cli.count();
    await atomicSave(file, rulesYaml(V1));
    await cli.waitFor(isReconcile({ trigger: "file", result: "success" }), { from, timeoutMs: 10_000, what: "the reconcile of an edit in the new directory" });
    expect(serverSpecs(em.control)).toEqual(expected(V1));
  });

  it("a release-style directory symlink swap (current -> releases/v1, renamed to v2) is seen within a second and logged", async () => {
    const em = await emulator();
    const base = await tempDir();
    await mkdir(join(base, "releases", "v1"), { recursive: true });
    await mkdir(join(base, "releases", "v2"), { recursive: true });
    await writeFile(join(base, "releases", "v1", "dispatch-rules.yaml"), rulesYaml(V1));
    await writeFile(join(base, "releases", "v2", "dispatch-rules.yaml"), rulesYaml(V2));
    await symlink(join("releases", "v1"), join(base, "current"));
    const file = join(base, "current", "dispatch-rules.yaml");
    const { cli } = await startWatch(em, file);
    await cli.waitFor(isReconcile({ trigger: "start", result: "success" }), { what: "the first reconcile" });
    expect(serverSpecs(em.control)).toEqual(expected(V1));

    const from = cli.count();
    const swapped = Date.now();
    await symlink(join("releases", "v2"), join(base, "current.new"));
    await rename(join(base, "current.new"), join(base, "current"));
    const replaced = await cli.waitFor(isEvent("directory-replaced"), { from, timeoutMs: 5_000, what: "the directory-replaced event" });
    expect(Date.now() - swapped).toBeLessThan(2_500);
    expect(String(replaced.realPath)).toMatch(/releases\/v2$/);
    await cli.waitFor(isReconcile({ trigger: "file", result: "success" }), { from, timeoutMs: 10_000, what: "the reconcile after the swap" });
    expect(serverSpecs(em.control)).toEqual(expected(V2));
  });
});

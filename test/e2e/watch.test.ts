// End-to-end (I/O: child processes, temp files, loopback HTTP). The built CLI's `watch` daemon
// (SPEC §6) against the in-process emulator: convergence at start, editor saves, ConfigMap
// symlink swaps, invalid edits, drift, save bursts, API outages, signals, secrets, a file that
// vanishes, and --dry-run. Short intervals keep the file well under a minute.
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { SipClient } from "livekit-server-sdk";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { EmulatorControl } from "../../src/emulator/index.js";
import { startEmulator, type StartedEmulator } from "../support/emulator.js";
import { eventOf, killAll, spawnCli, type LogRecord, type SpawnedCli } from "../support/spawn-cli.js";

// ---------------------------------------------------------------------------------------------
// Rules files and the server's view of them
// ---------------------------------------------------------------------------------------------

type Kind = "direct" | "individual" | "callee";

interface TestRule {
  readonly name: string;
  readonly kind: Kind;
  /** roomName for direct, roomPrefix otherwise. */
  readonly room: string;
  /** The literal pin, or `${VAR}` to be interpolated. */
  readonly pin?: string;
  readonly number: string;
}

/** What the test compares: the fields it sets, read back from the server's snake_case JSON. */
interface ServerRule {
  readonly name: string;
  readonly kind: Kind | "?";
  readonly room: string;
  readonly pin: string;
  readonly numbers: readonly string[];
}

function rulesYaml(rules: readonly TestRule[], head = ""): string {
  const lines = ["version: 1"];
  if (head !== "") lines.push(head);
  lines.push("rules:");
  if (rules.length === 0) lines[lines.length - 1] = "rules: []";
  for (const r of rules) {
    const roomKey = r.kind === "direct" ? "roomName" : "roomPrefix";
    const pin = r.pin === undefined ? "" : `, pin: "${r.pin}"`;
    lines.push(`  - name: ${r.name}`, `    ${r.kind}: { ${roomKey}: "${r.room}"${pin} }`, `    numbers: ["${r.number}"]`);
  }
  return `${lines.join("\n")}\n`;
}

function expected(rules: readonly TestRule[], env: Readonly<Record<string, string>> = {}): ServerRule[] {
  return rules
    .map((r) => ({
      name: r.name,
      kind: r.kind,
      room: r.room,
      pin: r.pin === undefined ? "" : r.pin.replace(/^\$\{(\w+)\}$/, (_m, v: string) => env[v] ?? `<unset ${v}>`),
      numbers: [r.number],
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

function serverRules(control: EmulatorControl): ServerRule[] {
  return control
    .rules()
    .map((item) => {
      const info = item as { name: string; numbers: string[]; rule: Record<string, Record<string, unknown> | undefined> };
      const direct = info.rule.dispatch_rule_direct;
      const individual = info.rule.dispatch_rule_individual;
      const callee = info.rule.dispatch_rule_callee;
      const body = direct ?? individual ?? callee ?? {};
      const kind: Kind | "?" = direct ? "direct" : individual ? "individual" : callee ? "callee" : "?";
      return {
        name: info.name,
        kind,
        room: String(direct ? body.room_name : body.room_prefix),
        pin: String(body.pin ?? ""),
        numbers: [...info.numbers],
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** A rule as the server stores it, for control.seed (snake_case SIPDispatchRuleInfo). */
function seedItem(r: TestRule, id?: string): Record<string, unknown> {
  const body = r.kind === "direct" ? { room_name: r.room, pin: r.pin ?? "" } : { room_prefix: r.room, pin: r.pin ?? "" };
  return {
    ...(id === undefined ? {} : { sip_dispatch_rule_id: id }),
    name: r.name,
    numbers: [r.number],
    rule: { [`dispatch_rule_${r.kind}`]: body },
  };
}

const WRITE_RPCS = new Set(["CreateSIPDispatchRule", "UpdateSIPDispatchRule", "DeleteSIPDispatchRule"]);

/** Requests to a write method (no probe is excluded: a dry run sends none, SPEC §4). */
function writes(control: EmulatorControl): { rpc: string; status: number }[] {
  return control
    .requests()
    .filter((r) => WRITE_RPCS.has(r.rpc))
    .map((r) => ({ rpc: r.rpc, status: r.status }));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until the server holds exactly `want` (compared on the fields the tests set). */
async function waitForServer(control: EmulatorControl, want: readonly ServerRule[], timeoutMs = 8_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (JSON.stringify(serverRules(control)) === JSON.stringify(want)) return;
    await sleep(50);
  }
  expect(serverRules(control)).toEqual(want);
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "sds-watch-"));
  dirs.push(d);
  return d;
}

let saves = 0;
/** An editor's save: write a temp file in the same directory, then rename it over the target. */
async function atomicSave(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${saves++}.tmp`);
  await writeFile(tmp, text);
  await rename(tmp, path);
}

// ---------------------------------------------------------------------------------------------
// The daemon
// ---------------------------------------------------------------------------------------------

const API_KEY = "e2e-watch-key";
const API_SECRET = "e2e-watch-secret-Zq8Xv3Lm0Pw7Rt2Yb5Nc9Kd4";

async function emulator(): Promise<StartedEmulator> {
  return startEmulator({ apiKey: API_KEY, apiSecret: API_SECRET });
}

interface Daemon {
  readonly cli: SpawnedCli;
  /** The bound `http://127.0.0.1:PORT` of /healthz, /readyz, /metrics. */
  readonly http: string;
}

interface WatchOptions {
  readonly interval?: string;
  readonly extra?: readonly string[];
  readonly env?: Record<string, string>;
  /** Pass the API secret in a file (LIVEKIT_API_SECRET_FILE) instead of LIVEKIT_API_SECRET. */
  readonly secretFile?: string;
}

async function startWatch(em: StartedEmulator, file: string, options: WatchOptions = {}): Promise<Daemon> {
  const args = ["watch", "-c", file, "--interval", options.interval ?? "2s", "--debounce", "100ms", "--listen", "127.0.0.1:0", ...(options.extra ?? [])];
  const secret = options.secretFile === undefined ? { LIVEKIT_API_SECRET: em.apiSecret } : { LIVEKIT_API_SECRET_FILE: options.secretFile };
  const cli = spawnCli(args, { env: { LIVEKIT_URL: em.url, LIVEKIT_API_KEY: em.apiKey, ...secret, ...options.env } });
  const start = await cli.waitFor((r) => eventOf(r) === "start", { what: "the start event" });
  expect(start.listen).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  return { cli, http: String(start.listen) };
}

function isReconcile(match: { trigger?: string; result?: string | readonly string[] } = {}): (r: LogRecord) => boolean {
  return (r) => {
    if (eventOf(r) !== "reconcile") return false;
    if (match.trigger !== undefined && r.trigger !== match.trigger) return false;
    if (match.result === undefined) return true;
    const results: readonly string[] = typeof match.result === "string" ? [match.result] : match.result;
    return results.includes(String(r.result));
  };
}

function events(cli: SpawnedCli, name: string, from = 0): LogRecord[] {
  return cli.records().slice(from).filter((r) => eventOf(r) === name);
}

async function get(base: string, path: string): Promise<{ status: number; text: string; json: () => Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`);
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

/** The value of one sample in Prometheus text, or undefined when it is not there. */
function metric(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) have[l[1] as string] = l[2] as string;
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

afterEach(async () => {
  await killAll();
});
afterAll(async () => {
  await killAll();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

// ---------------------------------------------------------------------------------------------

const V1: readonly TestRule[] = [
  { name: "support", kind: "individual", room: "call-", pin: "481516", number: "+15550001" },
  { name: "sales", kind: "direct", room: "sales-room", pin: "234223", number: "+15550002" },
  { name: "open", kind: "callee", room: "num-", number: "+15550003" },
];
const V2: readonly TestRule[] = [
  { name: "support", kind: "individual", room: "help-", pin: "481516", number: "+15550001" },
  { name: "open", kind: "callee", room: "num-", number: "+15550003" },
  { name: "night", kind: "direct", room: "night-room", pin: "777001", number: "+15550004" },
];
const V3: readonly TestRule[] = [
  { name: "support", kind: "individual", room: "help-", pin: "481516", number: "+15550001" },
  { name: "night", kind: "direct", room: "late-room", pin: "777001", number: "+15550004" },
];

describe("watch (built CLI against the emulator)", () => {
  it("converges at start, then serves /healthz, /readyz and /metrics", async () => {
    const em = await emulator();
    // An outdated `support` (kept and updated in place) and a managed leftover (deleted).
    em.control.seed([seedItem({ ...(V1[0] as TestRule), room: "old-" }, "SDR_support00001"), seedItem({ name: "leftover", kind: "direct", room: "x", number: "+15559999" })]);
    const dir = await tempDir();
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, rulesYaml(V1));

    const { cli, http } = await startWatch(em, file);
    const done = await cli.waitFor(isReconcile({ trigger: "start" }), { what: "the first reconcile" });
    expect(done.result).toBe("success");
    expect(typeof done.durationMs).toBe("number");

    const [plan] = events(cli, "plan");
    expect(plan?.summary).toEqual({ create: 2, update: 1, delete: 1, unchanged: 0, unmanaged: 0, kept: 0, outsideManage: 0, outsideNames: 0 });
    const ops = events(cli, "operation");
    expect(ops.map((o) => `${String(o.op)} ${String(o.rule)} ${String(o.status)}`).sort()).toEqual(["create open ok", "create sales ok", "delete leftover ok", "update support ok"]);
    expect(serverRules(em.control)).toEqual(expected(V1));
    const support = em.control.rules().find((r) => (r as { name: string }).name === "support") as { sip_dispatch_rule_id: string };
    expect(support.sip_dispatch_rule_id).toBe("SDR_support00001");

    const health = await get(http, "/healthz");
    expect(health.status).toBe(200);
    const ready = await get(http, "/readyz");
    expect(ready.status).toBe(200);
    expect(ready.json()).toEqual({ ready: true });
    expect((await get(http, "/nope")).status).toBe(404);

    const metrics = await get(http, "/metrics");
    expect(metrics.status).toBe(200);
    for (const name of [
      "sip_dispatch_sync_reconciles_total",
      "sip_dispatch_sync_reconcile_duration_seconds",
      "sip_dispatch_sync_api_requests_total",
      "sip_dispatch_sync_rules",
      "sip_dispatch_sync_config_valid",
      "sip_dispatch_sync_last_success_timestamp_seconds",
    ]) {
      expect(metrics.text).toContain(`# TYPE ${name} `);
    }
    expect(metric(metrics.text, "sip_dispatch_sync_reconciles_total", { result: "success" })).toBeGreaterThanOrEqual(1);
    expect(metric(metrics.text, "sip_dispatch_sync_config_valid")).toBe(1);
    expect(metric(metrics.text, "sip_dispatch_sync_rules", { state: "managed" })).toBe(3);
    expect(metric(metrics.text, "sip_dispatch_sync_rules", { state: "drifted" })).toBe(0);
    expect(metric(metrics.text, "sip_dispatch_sync_api_requests_total", { method: "ListSIPDispatchRule", code: "200" })).toBeGreaterThanOrEqual(1);
    expect(metric(metrics.text, "sip_dispatch_sync_api_requests_total", { method: "CreateSIPDispatchRule", code: "200" })).toBe(2);
    expect(metric(metrics.text, "sip_dispatch_sync_last_success_timestamp_seconds")).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(cli.otherLines()).toEqual([]);
  });

  it("an editor's atomic save (write a temp file, rename it over) converges", async () => {
    const em = await emulator();
    const dir = await tempDir();
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, rulesYaml(V1));
    const { cli } = await startWatch(em, file, { interval: "30s" });
    await cli.waitFor(isReconcile({ trigger: "start", result: "success" }), { what: "the first reconcile" });

    const from = cli.count();
    await atomicSave(file, rulesYaml(V2));
    const done = await cli.waitFor(isReconcile({ trigger: "file" }), { from, what: "a reconcile after the save" });
    expect(done.result).toBe("success");
    expect(serverRules(em.control)).toEqual(expected(V2));
  });

  it("a Kubernetes ConfigMap update (..data symlink swap) converges, twice", async () => {
    const em = await emulator();
    const dir = await tempDir();
    const name = "dispatch-rules.yaml";
    // The kubelet's layout: name -> ..data/name, ..data -> ..<timestamp>/ (a real directory).
    await mkdir(join(dir, "..2026_v1"));
    await writeFile(join(dir, "..2026_v1", name), rulesYaml(V1));
    await symlink("..2026_v1", join(dir, "..data"));
    await symlink(join("..data", name), join(dir, name));
    const file = join(dir, name);

    const { cli } = await startWatch(em, file, { interval: "30s" });
    await cli.waitFor(isReconcile({ trigger: "start", result: "success" }), { what: "the first reconcile" });
    expect(serverRules(em.control)).toEqual(expected(V1));

    const swap = async (from: string, to: string, rules: readonly TestRule[]): Promise<void> => {
      await mkdir(join(dir, to));
      await writeFile(join(dir, to, name), rulesYaml(rules));
      await symlink(to, join(dir, "..data_tmp"));
      await rename(join(dir, "..data_tmp"), join(dir, "..data"));
      await rm(join(dir, from), { recursive: true });
    };

    let from = cli.count();
    await swap("..2026_v1", "..2026_v2", V2);
    let done = await cli.waitFor(isReconcile({ trigger: "file" }), { from, what: "a reconcile after the first swap" });
    expect(done.result).toBe("success");
    expect(serverRules(em.control)).toEqual(expected(V2));

    from = cli.count();
    await swap("..2026_v2", "..2026_v3", V3);
    done = await cli.waitFor(isReconcile({ trigger: "file", result: ["success", "error", "refused", "invalid-config"] }), {
      from,
      what: "a reconcile after the second swap",
    });
    expect(done.result).toBe("success");
    expect(serverRules(em.control)).toEqual(expected(V3));
  });

  it("an invalid edit changes nothing, is logged with its position, and the next valid edit converges", async () => {
    const em = await emulator();
    const dir = await tempDir();
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, rulesYaml(V1));
    const { cli, http } = await startWatch(em, file, { interval: "30s" });
    await cli.waitFor(isReconcile({ trigger: "start", result: "success" }), { what: "the first reconcile" });
    em.control.clearRequests();

    // Line 4 of the file: `    individual: { roomPrefx: ...` — the typo's key starts at column 19.
    const invalid = rulesYaml(V2).replace("roomPrefix", "roomPrefx");
    expect(invalid.split("\n")[3]).toMatch(/^ {4}individual: \{ roomPrefx:/);
    let from = cli.count();
    await atomicSave(file, invalid);
    const error = await cli.waitFor((r) => eventOf(r) === "config-error", { from, what: "the config-error event" });
    expect(error).toMatchObject({ file, line: 4, column: 19 });
    expect(String(error.message)).toContain("roomPrefx");
    const after = await cli.waitFor(isReconcile({ trigger: "file" }), { from, what: "the reconcile of the invalid edit" });
    // The last good file stays in force; it matches the server, so nothing is done. The run
    // counts as `invalid`, not `noop` (SPEC §6).
    expect(after.result).toBe("invalid");
    expect(events(cli, "config-stale", from)).toHaveLength(1);
    expect(writes(em.control)).toEqual([]);
    expect(serverRules(em.control)).toEqual(expected(V1));

    expect(cli.stderr()).toBe("");
    expect((await get(http, "/healthz")).status).toBe(200);
    const ready = await get(http, "/readyz");
    expect(ready.json()).toMatchObject({ ready: true, config: { valid: false } });
    expect(metric((await get(http, "/metrics")).text, "sip_dispatch_sync_config_valid")).toBe(0);

    from = cli.count();
    await atomicSave(file, rulesYaml(V2));
    const fixed = await cli.waitFor(isReconcile({ trigger: "file" }), { from, what: "the reconcile of the fixed file" });
    expect(fixed.result).toBe("success");
    expect(serverRules(em.control)).toEqual(expected(V2));
    expect(metric((await get(http, "/metrics")).text, "sip_dispatch_sync_config_valid")).toBe(1);
    expect((await get(http, "/readyz")).json()).toEqual({ ready: true });
  });

  it("drift made on the server is corrected within one interval, also from the last good file while the file is invalid", async () => {
    const em = await emulator();
    const dir = await tempDir();
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, rulesYaml(V1));
    const { cli } = await startWatch(em, file, { interval: "2s" });
    await cli.waitFor(isReconcile({ trigger: "start", result: "success" }), { what: "the first reconcile" });

    const sip = new SipClient(em.url, em.apiKey, em.apiSecret);
    const byName = (n: string) => (em.control.rules() as { name: string; sip_dispatch_rule_id: string }[]).find((r) => r.name === n);
    // By hand: delete one rule through the API, and change another's room and pin.
    await sip.deleteSipDispatchRule(byName("open")?.sip_dispatch_rule_id ?? "");
    em.control.seed([seedItem({ ...(V1[0] as TestRule), room: "hacked-", pin: "000000" }, byName("support")?.sip_dispatch_rule_id)]);
    expect(serverRules(em.control)).not.toEqual(expected(V1));
    let from = cli.count();
    let started = Date.now();
    // The next resync is at most one interval (+10 % jitter) after the last reconcile ended.
    let fixed = await cli.waitFor(isReconcile({ trigger: "interval" }), { from, timeoutMs: 4_000, what: "an interval reconcile" });
    expect(fixed.result).toBe("success");
    expect(Date.now() - started).toBeLessThan(3_500);
    expect(serverRules(em.control)).toEqual(expected(V1));

    // An invalid edit does not stop drift correction: the last good file stays in force.
    from = cli.count();
    await atomicSave(file, "version: 1\nrules:\n  - name: [broken\n");
    await cli.waitFor(isReconcile({ trigger: "file" }), { from, what: "the reconcile of the invalid edit" });
    await sip.deleteSipDispatchRule(byName("sales")?.sip_dispatch_rule_id ?? "");
    from = cli.count();
    started = Date.now();
    fixed = await cli.waitFor(isReconcile({ trigger: "interval" }), { from, timeoutMs: 4_000, what: "an interval reconcile" });
    // Applied from the last good file; the run counts as `invalid` (the file still needs a person).
    expect(fixed.result).toBe("invalid");
    expect(String(fixed.detail)).toMatch(/1 operation\(s\) applied/);
    expect(Date.now() - started).toBeLessThan(3_500);
    expect(serverRules(em.control)).toEqual(expected(V1));
  });

  it("a burst of 20 saves a few ms apart causes at most 2 file reconciles, and the last save wins", async () => {
    const em = await emulator();
    const dir = await tempDir();
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, rulesYaml(V1));
    const { cli } = await startWatch(em, file, { interval: "30s" });
    await cli.waitFor(isReconcile({ trigger: "start", result: "success" }), { what: "the first reconcile" });

    const from = cli.count();
    const version = (i: number): TestRule[] => V1.map((r) => (r.name === "support" ? { ...r, room: `burst-${i}-` } : r));
    for (let i = 1; i <= 20; i++) {
      await atomicSave(file, rulesYaml(version(i)));
      await sleep(3);
    }
    await waitForServer(em.control, expected(version(20)));
    // Quiet for longer than the debounce and a stable read: any further reconcile would show now.
    await sleep(1_000);
    const fileRuns = cli.records().slice(from).filter(isReconcile({ trigger: "file" }));
    expect(fileRuns.length).toBeGreaterThanOrEqual(1);
    expect(fileRuns.length).toBeLessThanOrEqual(2);
    expect(fileRuns.every((r) => r.result === "success" || r.result === "noop")).toBe(true);
    expect(serverRules(em.control)).toEqual(expected(version(20)));
  });

  it("an API outage fails the reconcile and /readyz, writes nothing, and recovers without a restart", async () => {
    const em = await emulator();
    const dir = await tempDir();
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, rulesYaml(V1));
    const { cli, http } = await startWatch(em, file, { interval: "2s" });
    await cli.waitFor(isReconcile({ trigger: "start", result: "success" }), { what: "the first reconcile" });
    expect((await get(http, "/readyz")).status).toBe(200);

    // Outage: every list is answered 503 until it is lifted.
    em.control.clearRequests();
    em.control.failNext("ListSIPDispatchRule", 10_000, { status: 503 });
    let from = cli.count();
    const failed = await cli.waitFor(isReconcile({ result: "error" }), { from, timeoutMs: 6_000, what: "a failed reconcile" });
    expect(String(failed.detail)).not.toBe("");
    const ready = await get(http, "/readyz");
    expect(ready.status).toBe(503);
    expect(ready.json()).toMatchObject({ ready: false });
    expect(String(ready.json().reason)).toMatch(/fail/i);
    const metrics = (await get(http, "/metrics")).text;
    expect(metric(metrics, "sip_dispatch_sync_api_requests_total", { method: "ListSIPDispatchRule", code: "503" })).toBeGreaterThanOrEqual(1);
    expect(metric(metrics, "sip_dispatch_sync_reconciles_total", { result: "error" })).toBeGreaterThanOrEqual(1);

    // An edit during the outage is not applied blind (fail closed: no list, no writes).
    from = cli.count();
    await atomicSave(file, rulesYaml(V2));
    const blind = await cli.waitFor(isReconcile({ trigger: "file" }), { from, timeoutMs: 6_000, what: "the reconcile of the edit" });
    expect(blind.result).toBe("error");
    expect(writes(em.control)).toEqual([]);
    expect(serverRules(em.control)).toEqual(expected(V1));

    // Lift the outage (reset clears the faults; the rules are put back as they were, same IDs).
    const saved = em.control.rules();
    em.control.reset();
    em.control.seed(saved);
    from = cli.count();
    const recovered = await cli.waitFor(isReconcile({ result: ["success", "noop"] }), { from, timeoutMs: 8_000, what: "a recovered reconcile" });
    expect(recovered.result).toBe("success");
    expect(serverRules(em.control)).toEqual(expected(V2));
    expect((await get(http, "/readyz")).status).toBe(200);
    expect(cli.records().some((r) => eventOf(r) === "stopped")).toBe(false);
  });

  it.each(["SIGTERM", "SIGINT"] as const)("%s stops the daemon promptly with exit code 0", async (sig) => {
    const em = await emulator();
    const dir = await tempDir();
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, rulesYaml(V1));
    const { cli, http } = await startWatch(em, file, { interval: "30s" });
    await cli.waitFor(isReconcile({ trigger: "start", result: "success" }), { what: "the first reconcile" });

    const sent = Date.now();
    cli.signal(sig);
    const exit = await cli.waitForExit(5_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - sent).toBeLessThan(2_000);
    expect(events(cli, "stopping")[0]?.signal).toBe(sig);
    expect(events(cli, "stopped")).toHaveLength(1);
    expect(cli.stderr()).toBe("");
    await expect(fetch(`${http}/healthz`)).rejects.toThrow();
  });

  it("SIGTERM during an apply lets the operations in flight finish, then exits 0", async () => {
    const em = await emulator();
    em.control.setLatency(1_500, "CreateSIPDispatchRule");
    const dir = await tempDir();
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, rulesYaml(V1));
    const { cli } = await startWatch(em, file, { interval: "30s" });
    await cli.waitFor((r) => eventOf(r) === "plan", { what: "the plan event" });
    await sleep(200);
    cli.signal("SIGTERM");
    const exit = await cli.waitForExit(8_000);
    expect(exit.code).toBe(0);
    const order = cli.records().map(eventOf).filter((e) => e === "operation" || e === "stopping" || e === "stopped");
    expect(order).toEqual(["stopping", "operation", "operation", "operation", "stopped"]);
    expect(events(cli, "operation").every((o) => o.status === "ok")).toBe(true);
    expect(events(cli, "stopped")[0]?.timedOut).toBe(false);
    expect(serverRules(em.control)).toEqual(expected(V1));
  });

  it("never logs the API secret, a token or a pin (create, update, invalid edits, a refusal)", async () => {
    const em = await emulator();
    const pins = {
      env: "480615273",
      literal: "739251846",
      seededOld: "918273645",
      seededGone: "564738291",
      changed: "628495173",
      unquoted: "357913579",
      conflict: "246813570",
    } as const;
    em.control.seed([
      seedItem({ name: "support", kind: "individual", room: "call-", pin: pins.seededOld, number: "+15550001" }),
      seedItem({ name: "gone", kind: "direct", room: "gone-room", pin: pins.seededGone, number: "+15550009" }),
    ]);
    const dir = await tempDir();
    const secretFile = join(dir, "api-secret");
    await writeFile(secretFile, `${em.apiSecret}\n`);
    const file = join(dir, "dispatch-rules.yaml");
    const env = { SUPPORT_PIN: pins.env };
    const first: TestRule[] = [
      { name: "support", kind: "individual", room: "call-", pin: "${SUPPORT_PIN}", number: "+15550001" },
      { name: "sales", kind: "direct", room: "sales-room", pin: pins.literal, number: "+15550002" },
      { name: "open", kind: "callee", room: "num-", number: "+15550003" },
    ];
    await writeFile(file, rulesYaml(first));
    const { cli } = await startWatch(em, file, { interval: "30s", env, secretFile, extra: ["--log-level", "trace"] });
    await cli.waitFor(isReconcile({ trigger: "start", result: "success" }), { what: "the first reconcile" });
    expect(serverRules(em.control)).toEqual(expected(first, env));

    // An update that changes a pin.
    const second = first.map((r) => (r.name === "sales" ? { ...r, pin: pins.changed } : r));
    let from = cli.count();
    await atomicSave(file, rulesYaml(second));
    await cli.waitFor(isReconcile({ trigger: "file", result: "success" }), { from, what: "the pin update" });
    expect(serverRules(em.control)).toEqual(expected(second, env));

    // Invalid edits: a pin YAML reads as a number, and two rules in conflict (same pin and number).
    from = cli.count();
    await atomicSave(file, rulesYaml(second).replace(`pin: "${pins.changed}"`, `pin: ${pins.unquoted}`));
    await cli.waitFor((r) => eventOf(r) === "config-error", { from, what: "the config-error of the unquoted pin" });
    await cli.waitFor(isReconcile({ trigger: "file" }), { from, what: "the reconcile of the unquoted pin" });
    from = cli.count();
    const conflicting: TestRule[] = [
      ...second,
      { name: "twin-a", kind: "direct", room: "a", pin: pins.conflict, number: "+15550007" },
      { name: "twin-b", kind: "direct", room: "b", pin: pins.conflict, number: "+15550007" },
    ];
    await atomicSave(file, rulesYaml(conflicting));
    await cli.waitFor((r) => eventOf(r) === "config-error", { from, what: "the config-error of the conflict" });
    await cli.waitFor(isReconcile({ trigger: "file" }), { from, what: "the reconcile of the conflict" });

    // A refused plan: two deletes over a limit of one.
    from = cli.count();
    await atomicSave(file, rulesYaml(second.slice(0, 1), "limits: { maxDeletes: 1 }"));
    const refused = await cli.waitFor(isReconcile({ trigger: "file" }), { from, what: "the refused reconcile" });
    expect(refused.result).toBe("refused");
    expect(events(cli, "refused", from)).toHaveLength(1);

    cli.signal("SIGTERM");
    expect((await cli.waitForExit(5_000)).code).toBe(0);

    // The token was really sent (so the pattern below can find one), and the pins really reached the server.
    const auth = em.control.requests()[0]?.headers.authorization ?? "";
    expect(auth).toMatch(/^Bearer eyJ[A-Za-z0-9_-]+\./);
    const lines = `${cli.stdout()}\n${cli.stderr()}`.split("\n");
    expect(lines.length).toBeGreaterThan(15);
    const leaks: string[] = [];
    for (const line of lines) {
      if (line.includes(em.apiSecret)) leaks.push(`API secret: ${line}`);
      if (/eyJ[A-Za-z0-9_-]+\./.test(line)) leaks.push(`token: ${line}`);
      for (const [which, pin] of Object.entries(pins)) if (line.includes(pin)) leaks.push(`pin ${which}: ${line}`);
    }
    expect(leaks).toEqual([]);
  });

  it("a file deleted and then recreated is picked up; nothing is deleted meanwhile", async () => {
    const em = await emulator();
    const dir = await tempDir();
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, rulesYaml(V1));
    const { cli, http } = await startWatch(em, file, { interval: "30s" });
    await cli.waitFor(isReconcile({ trigger: "start", result: "success" }), { what: "the first reconcile" });
    em.control.clearRequests();

    let from = cli.count();
    await rm(file);
    const missing = await cli.waitFor((r) => eventOf(r) === "config-error", { from, what: "the config-error of the missing file" });
    expect(missing).toMatchObject({ file, reason: "missing" });
    const stale = await cli.waitFor(isReconcile({ trigger: "file" }), { from, what: "the reconcile without a file" });
    expect(stale.result).toBe("invalid");
    expect(writes(em.control)).toEqual([]);
    expect(metric((await get(http, "/metrics")).text, "sip_dispatch_sync_config_valid")).toBe(0);

    from = cli.count();
    await writeFile(file, rulesYaml(V2));
    const back = await cli.waitFor(isReconcile({ trigger: "file", result: ["success", "error", "refused"] }), { from, what: "the reconcile of the recreated file" });
    expect(back.result).toBe("success");
    expect(serverRules(em.control)).toEqual(expected(V2));
    expect(metric((await get(http, "/metrics")).text, "sip_dispatch_sync_config_valid")).toBe(1);
  });

  it("a file missing at start is invalid-config, /readyz 503 with the reason, nothing deleted; it is picked up once it appears", async () => {
    const em = await emulator();
    em.control.seed(V1.map((r) => seedItem(r)));
    const dir = await tempDir();
    const file = join(dir, "dispatch-rules.yaml");
    const { cli, http } = await startWatch(em, file, { interval: "30s" });
    const first = await cli.waitFor(isReconcile({ trigger: "start" }), { what: "the first reconcile" });
    expect(first.result).toBe("invalid-config");
    const ready = await get(http, "/readyz");
    expect(ready.status).toBe(503);
    expect(ready.json().ready).toBe(false);
    expect(String(ready.json().reason)).toContain(file);
    expect((await get(http, "/healthz")).status).toBe(200);
    expect(metric((await get(http, "/metrics")).text, "sip_dispatch_sync_config_valid")).toBe(0);
    expect(writes(em.control)).toEqual([]);
    expect(serverRules(em.control)).toEqual(expected(V1));

    const from = cli.count();
    await atomicSave(file, rulesYaml(V2));
    const done = await cli.waitFor(isReconcile({ trigger: "file" }), { from, what: "the reconcile once the file exists" });
    expect(done.result).toBe("success");
    expect(serverRules(em.control)).toEqual(expected(V2));
    expect((await get(http, "/readyz")).status).toBe(200);
  });

  it("--dry-run plans and reports but never writes", async () => {
    const em = await emulator();
    em.control.seed([seedItem({ ...(V1[0] as TestRule), room: "old-" }), seedItem({ name: "leftover", kind: "direct", room: "x", number: "+15559999" })]);
    const before = serverRules(em.control);
    const dir = await tempDir();
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, rulesYaml(V1));
    const { cli, http } = await startWatch(em, file, { interval: "30s", extra: ["--dry-run"] });
    const first = await cli.waitFor(isReconcile({ trigger: "start" }), { what: "the first reconcile" });
    expect(first.result).toBe("dry-run");
    const [plan] = events(cli, "plan");
    expect(plan).toMatchObject({ dryRun: true, summary: { create: 2, update: 1, delete: 1 } });
    expect((await get(http, "/readyz")).status).toBe(200);

    const from = cli.count();
    await atomicSave(file, rulesYaml(V2));
    const second = await cli.waitFor(isReconcile({ trigger: "file" }), { from, what: "the reconcile of the edit" });
    expect(second.result).toBe("dry-run");
    expect(events(cli, "plan", from)).toHaveLength(1);
    expect(events(cli, "operation")).toEqual([]);
    expect(writes(em.control)).toEqual([]);
    // Read-only means List only: no probe of a write method either (SPEC §4).
    expect(em.control.requests().filter((r) => r.rpc !== "ListSIPDispatchRule")).toEqual([]);
    expect(serverRules(em.control)).toEqual(before);
  });
});

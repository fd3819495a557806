// Benchmark (I/O: in-process emulator on 127.0.0.1:0, the `watch` daemon as a child process,
// temp files). Issue 5: with the daemon watching a 1,000-rule file, 50 one-rule edits (write +
// rename); each is timed from the rename to the moment the emulator holds the new value (its
// onChange hook). Then the idle daemon's RSS from /proc. The daemon gets the Dockerfile's runtime
// ENV (NODE_OPTIONS), as in the image. Run after `npm run build`. Asserts nothing.
import { spawn } from "node:child_process";
import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { imageEnv } from "./image-env.mjs";
import { CLI, benchRules, cliEnv, fmt, median, now, percentile, report, rssMb, rulesYaml, sleep, startEmulator, withTempDir } from "./lib.mjs";

const RULES = 1000;
const EDITS = Number(process.env.BENCH_EDITS ?? 50);
const DEBOUNCE_MS = 300;
const P50_TARGET_MS = DEBOUNCE_MS + 50;
const RSS_TARGET_MB = 80;
const IDLE_MS = 2000;
const EDIT_TIMEOUT_MS = 10_000;
/** Pause after a run's `reconcile` event before the next edit, so that edits never coalesce. */
const GAP_MS = 100;

/** Set while an edit is awaited: the emulator's onChange checks only then (a copy of every rule). */
let pending = null;

const em = await startEmulator({
  onChange: (control) => {
    if (pending === null) return;
    const at = now();
    const hit = control.rules().find((r) => r.name === pending.name);
    const body = hit?.rule?.dispatch_rule_direct ?? hit?.rule?.dispatch_rule_individual ?? hit?.rule?.dispatch_rule_callee;
    const room = body?.room_name ?? body?.room_prefix;
    if (room === pending.room) pending.done(at);
  },
});

/** The daemon as a child: JSON log lines parsed, `waitFor(pred)` over records from an index on. */
function startDaemon(file) {
  const child = spawn(
    process.execPath,
    [CLI, "watch", "-c", file, "--listen", "127.0.0.1:0", "--debounce", `${DEBOUNCE_MS}ms`, "--interval", "60s"],
    { env: cliEnv(em.url, { ...imageEnv(), LOG_LEVEL: "info" }), stdio: ["ignore", "pipe", "pipe"] },
  );
  const records = [];
  const waiters = new Set();
  let buf = "";
  let stderr = "";
  let exited = false;
  const check = () => {
    for (const w of waiters) {
      const found = records.slice(w.from).find(w.pred);
      if (found) {
        waiters.delete(w);
        w.resolve(found);
      } else if (exited) {
        waiters.delete(w);
        w.reject(new Error(`watch exited before ${w.what}; stderr: ${stderr.slice(0, 2000)}`));
      }
    }
  };
  child.stdout.setEncoding("utf8").on("data", (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf("\n")) !== -1) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        records.push(JSON.parse(line));
      } catch {
        // Not a log record; ignored.
      }
    }
    check();
  });
  child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
  const closed = new Promise((resolve) => child.once("close", resolve));
  child.once("exit", () => {
    exited = true;
    check();
  });
  return {
    pid: child.pid,
    count: () => records.length,
    waitFor(pred, what, from = 0, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const w = { pred, what, from, resolve, reject };
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        w.resolve = (r) => (clearTimeout(timer), resolve(r));
        w.reject = (e) => (clearTimeout(timer), reject(e));
        waiters.add(w);
        check();
      });
    },
    async stop() {
      if (!exited) child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 5000);
      await closed;
      clearTimeout(t);
    },
  };
}

const isReconcile = (r) => r.event === "reconcile";

try {
  await withTempDir(async (dir) => {
    const file = join(dir, "dispatch-rules.yaml");
    const tags = Array.from({ length: RULES }, () => "");
    const write = () => {
      const tmp = join(dir, ".dispatch-rules.yaml.tmp");
      writeFileSync(tmp, rulesYaml(benchRules(RULES, (i) => tags[i])));
      return tmp;
    };
    renameSync(write(), file);

    const daemon = startDaemon(file);
    try {
      const startRec = await daemon.waitFor((r) => r.event === "start", "the start event");
      const first = await daemon.waitFor(isReconcile, "the first reconcile");
      if (first.result !== "success" || em.control.rules().length !== RULES) {
        throw new Error(`first reconcile: ${first.result} (${first.detail ?? ""}); ${em.control.rules().length} rules on the emulator`);
      }
      console.log(`watch converged on ${RULES} rules in ${first.durationMs} ms (endpoints ${startRec.listen})`);
      await sleep(500);

      const latencies = [];
      for (let j = 0; j < EDITS; j++) {
        const k = (j * 37 + 11) % RULES;
        tags[k] = `e${j}`;
        const tmp = write();
        const name = `rule-${String(k).padStart(5, "0")}`;
        const room = benchRules(k + 1, (i) => tags[i])[k].room;
        const from = daemon.count();
        const seen = new Promise((resolve) => {
          pending = { name, room, done: resolve };
        });
        const t0 = now();
        renameSync(tmp, file);
        const timeout = sleep(EDIT_TIMEOUT_MS).then(() => null);
        const at = await Promise.race([seen, timeout]);
        pending = null;
        if (at === null) throw new Error(`edit ${j} (${name}) not on the emulator after ${EDIT_TIMEOUT_MS} ms`);
        latencies.push(at - t0);
        const rec = await daemon.waitFor(isReconcile, `the reconcile of edit ${j}`, from);
        if (rec.result !== "success") throw new Error(`edit ${j}: reconcile ${rec.result} (${rec.detail ?? ""})`);
        await sleep(GAP_MS);
      }
      console.log(`${EDITS} one-rule edits (write + rename), rename -> emulator holds the new value, debounce ${DEBOUNCE_MS} ms:`);
      console.log(`  min ${fmt(Math.min(...latencies))} ms, median ${fmt(median(latencies))} ms, max ${fmt(Math.max(...latencies))} ms`);
      report("  p50", percentile(latencies, 50), "ms", { op: "<=", value: P50_TARGET_MS, note: "debounce + 50 ms" });
      report("  p95", percentile(latencies, 95), "ms");

      await sleep(IDLE_MS);
      report(`idle daemon RSS (VmRSS, ${IDLE_MS / 1000} s after the last edit)`, await rssMb(daemon.pid), "MB", { op: "<=", value: RSS_TARGET_MB });
    } finally {
      await daemon.stop();
    }
  });
} finally {
  await em.close();
}

// Benchmark (I/O: in-process emulator on 127.0.0.1:0, child processes, temp files). Issue 19: at
// BENCH_RULES realistic rules (bench/realistic.mjs; `npm run bench -- --rules 100000`), every
// figure of the table as a ratio to a reference measured beside it in the same run, each
// run paired with its reference (a burst of load on a shared machine then hits both): `validate`
// next to `node -e 0`; `plan` in sync next to an SDK-only list (start Node, load
// livekit-server-sdk, list) with peak RSS, and under the image's NODE_OPTIONS; `export` next to
// `export --format json`, its output validated and planned; `watch` under the image's
// NODE_OPTIONS: save -> converged and idle RSS. Also `validate` of the same file at 1,000 rules.
// Asserts nothing; prints "met" / "MISSED" next to each target.
import { spawn } from "node:child_process";
import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, cliEnv, fmt, importDist, median, now, percentile, report, rssMb, runCli, runNode, sleep, startEmulator, withTempDir } from "./lib.mjs";
import { imageEnv } from "./image-env.mjs";
import { realisticRules, realisticTrunks, realisticWire, realisticYaml } from "./realistic.mjs";

const N = Number(process.env.BENCH_RULES ?? 1000);
const RUNS = Number(process.env.BENCH_SCALE_RUNS ?? (N >= 50_000 ? 3 : N >= 10_000 ? 5 : 9));
const EDITS = Number(process.env.BENCH_SCALE_EDITS ?? (N >= 50_000 ? 5 : 11));
const DEBOUNCE_MS = 300;
/** BENCH_SCALE_ONLY=watch runs only the watch section (the emulator is still seeded). */
const ONLY = process.env.BENCH_SCALE_ONLY ?? "";
const runs = (section) => ONLY === "" || ONLY.split(",").includes(section);
const IMAGE_ENV = imageEnv();
const MB = 1024 * 1024;

/** Preloaded into a measured child: prints its peak RSS (KB) on exit. */
const PEAK = "process.on('exit', () => require('node:fs').writeSync(2, `\\nPEAK_RSS_KB=${process.resourceUsage().maxRSS}\\n`));";
const peakOf = (r) => Number(/PEAK_RSS_KB=(\d+)/.exec(r.stderr)?.[1] ?? Number.NaN) / 1024;

/** Runs `pairs` times: reference, then subject; returns both lists of results and the median ratio. */
async function paired(label, reference, subject, check = () => undefined) {
  const refs = [];
  const subs = [];
  for (let i = 0; i < RUNS; i++) {
    refs.push(await reference());
    const s = await subject();
    check(s);
    subs.push(s);
  }
  const ratio = median(subs.map((s, i) => s.ms / refs[i].ms));
  console.log(`${label}: median ${fmt(median(subs.map((s) => s.ms)))} ms vs reference ${fmt(median(refs.map((r) => r.ms)))} ms (${RUNS} pairs)`);
  return { refs, subs, ratio };
}

const ok = (what) => (r) => {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}: ${r.stderr.slice(0, 1500)}`);
};

const { loadRulesText } = await importDist("rules-file/index.js");
const em = await startEmulator();
try {
  await withTempDir(async (dir) => {
    const peak = join(dir, "peak.cjs");
    writeFileSync(peak, PEAK);
    const sdkList = join(dir, "sdk-list.mjs");
    writeFileSync(
      sdkList,
      `import { SipClient } from ${JSON.stringify(new URL("../node_modules/livekit-server-sdk/dist/index.js", import.meta.url).href)};\n` +
        `const rules = await new SipClient(process.env.LIVEKIT_URL, process.env.LIVEKIT_API_KEY, process.env.LIVEKIT_API_SECRET).listSipDispatchRule();\n` +
        `if (rules.length !== ${N}) { console.error("listed " + rules.length); process.exit(1); }\n`,
    );
    const file = join(dir, "dispatch-rules.yaml");
    const text = realisticYaml(realisticRules(N));
    writeFileSync(file, text);
    const small = join(dir, "small.yaml");
    writeFileSync(small, realisticYaml(realisticRules(1000)));
    console.log(`${N} realistic rules (anchor + <<: merge keys, block scalars, leading ---): ${fmt(text.length / MB)} MiB; ${RUNS} pairs a figure; Node ${process.version}`);
    const env = cliEnv(em.url);
    const bare = () => runNode(["-e", "0"]);

    // --- validate -------------------------------------------------------------------------------
    if (runs("validate")) {
    const v = await paired(`validate ${N}`, bare, () => runCli(["validate", file], { env }), ok("validate"));
    report(`  validate ${N} / node -e 0`, v.ratio, "x", { op: "<=", value: 12 }, 2);
    const v1 = await paired("validate 1,000 (same shape)", bare, () => runCli(["validate", small], { env }), ok("validate"));
    report("  validate 1,000 / node -e 0", v1.ratio, "x", { op: "<=", value: 2.5 }, 2);
    }

    // --- seed the emulator with the file's rules, as the server holds them ---------------------
    const loaded = loadRulesText(text, file, { env: {} });
    if (!loaded.ok) throw new Error(`the generated file does not load: ${JSON.stringify(loaded.diagnostics.slice(0, 3))}`);
    em.control.seed(realisticRules(N).map((r, i) => realisticWire(r, `SDR_${String(i).padStart(12, "0")}`)));
    em.control.seedTrunks(realisticTrunks());

    // --- plan in sync, next to an SDK-only list ---------------------------------------------------
    if (runs("plan")) {
    const nodeArgs = ["--require", peak];
    const inSync = (r) => {
      ok("plan")(r);
      if (!/No changes/.test(r.stdout)) throw new Error(`plan is not in sync: ${r.stdout.slice(-500)}`);
      // A warning per rule (a trunk the server lacks, say) would measure printing, not planning.
      if (/Warning:/.test(r.stdout)) throw new Error(`plan warns: ${r.stdout.slice(0, 500)}`);
    };
    const p = await paired(`plan ${N} in sync`, () => runNode([sdkList], { env, nodeArgs }), () => runCli(["plan", "-c", file], { env, nodeArgs }), inSync);
    report(`  plan / SDK-only list`, p.ratio, "x", { op: "<=", value: 1.15 }, 2);
    report(`  plan peak RSS (median)`, median(p.subs.map(peakOf)), "MB", { op: "<=", value: 450 }, 0);
    report(`  SDK-only list peak RSS (median, reference)`, median(p.refs.map(peakOf)), "MB", undefined, 0);
    const imagePlan = await runNode([CLI, "plan", "-c", file], { env: { ...env, ...IMAGE_ENV }, nodeArgs });
    console.log(`  plan under the image's NODE_OPTIONS (${IMAGE_ENV.NODE_OPTIONS ?? "none"}): exit ${imagePlan.code}, ${fmt(imagePlan.ms)} ms, peak RSS ${fmt(peakOf(imagePlan), 0)} MB ${imagePlan.code === 0 ? "met" : "MISSED"}`);
    }

    // --- export YAML, next to export --format json ------------------------------------------------
    if (runs("export")) {
    const nodeArgs = ["--require", peak];
    const exportEnv = { ...env, DISPATCH_MAX_FILE_SIZE: "" };
    const e = await paired(
      `export ${N}`,
      () => runCli(["export", "--format", "json", "--include-pins"], { env: exportEnv, nodeArgs }),
      () => runCli(["export", "--include-pins"], { env: exportEnv, nodeArgs }),
      ok("export"),
    );
    report(`  export (YAML) / export --format json`, e.ratio, "x", { op: "<=", value: 1.5 }, 2);
    report(`  export (YAML) peak RSS (median)`, median(e.subs.map(peakOf)), "MB", undefined, 0);
    const exported = join(dir, "exported.yaml");
    writeFileSync(exported, e.subs[0].stdout);
    const ev = await runCli(["validate", exported], { env });
    const ep = await runCli(["plan", "-c", exported, "--detailed-exitcode"], { env });
    console.log(`  its output (${fmt(e.subs[0].stdout.length / MB)} MiB): validate exit ${ev.code}, plan --detailed-exitcode exit ${ep.code} ${ev.code === 0 && ep.code === 0 ? "met" : "MISSED"}`);
    const imageExport = await runNode([CLI, "export", "--include-pins"], { env: { ...env, ...IMAGE_ENV }, nodeArgs });
    console.log(`  export under the image's NODE_OPTIONS: exit ${imageExport.code}, peak RSS ${fmt(peakOf(imageExport), 0)} MB ${imageExport.code === 0 ? "met" : "MISSED"}`);
    }

    // --- watch under the image's NODE_OPTIONS -------------------------------------------------------
    if (runs("watch")) await watchFigures(dir, file);
  });
} finally {
  await em.close();
}

async function watchFigures(dir, file) {
  const child = spawn(process.execPath, [CLI, "watch", "-c", file, "--listen", "127.0.0.1:0", "--debounce", `${DEBOUNCE_MS}ms`, "--interval", "600s"], {
    env: cliEnv(em.url, { ...IMAGE_ENV, LOG_LEVEL: "info" }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let buf = "";
  const reconciles = [];
  let wake = () => undefined;
  child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
  child.stdout.setEncoding("utf8").on("data", (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf("\n")) !== -1) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        const rec = JSON.parse(line);
        if (rec.event === "reconcile") {
          reconciles.push({ at: now(), rec });
          wake();
        }
      } catch {
        // not a log record
      }
    }
  });
  let exited = false;
  child.once("exit", () => {
    exited = true;
    wake();
  });
  const nextReconcile = async (from, timeoutMs) => {
    const until = now() + timeoutMs;
    while (reconciles.length <= from) {
      if (exited) throw new Error(`watch exited: ${stderr.slice(-1500)}`);
      if (now() > until) throw new Error(`no reconcile within ${timeoutMs} ms`);
      await new Promise((resolve) => {
        wake = resolve;
        setTimeout(resolve, 200);
      });
    }
    return reconciles[from];
  };
  try {
    const t0 = now();
    const first = await nextReconcile(0, 600_000);
    console.log(`watch ${N} under the image's NODE_OPTIONS: first reconcile ${first.rec.result} after ${fmt(first.at - t0)} ms`);
    await sleep(3000);
    report("  idle RSS after the first reconcile", await rssMb(child.pid), "MB", { op: "<=", value: 400 }, 0);
    // V8's memory reducer gives pages back some seconds after the last collection: also after 15 s.
    await sleep(12_000);
    report("  idle RSS 15 s after the first reconcile (settled)", await rssMb(child.pid), "MB", undefined, 0);
    const tags = new Map();
    const latencies = [];
    for (let j = 0; j < EDITS; j++) {
      const k = (j * 7919 + 13) % N;
      tags.set(k, `e${j}`);
      const tmp = join(dir, ".edit.tmp");
      writeFileSync(tmp, realisticYaml(realisticRules(N, (i) => tags.get(i) ?? "")));
      const from = reconciles.length;
      const start = now();
      renameSync(tmp, file);
      const rec = await nextReconcile(from, 120_000);
      if (rec.rec.result !== "success") throw new Error(`edit ${j}: reconcile ${rec.rec.result} ${rec.rec.detail ?? ""}`);
      latencies.push(rec.at - start);
      await sleep(200);
    }
    report(`  save -> converged p50 (${EDITS} one-rule edits, debounce ${DEBOUNCE_MS} ms)`, percentile(latencies, 50), "ms", { op: "<=", value: DEBOUNCE_MS + 1000 }, 0);
    console.log(`  min ${fmt(Math.min(...latencies))} ms, max ${fmt(Math.max(...latencies))} ms; survived ${EDITS} edits: ${exited ? "no MISSED" : "yes met"}`);
    await sleep(3000);
    report("  idle RSS after the edits", await rssMb(child.pid), "MB", { op: "<=", value: 400 }, 0);
    await sleep(12_000);
    report("  idle RSS 15 s after the edits (settled)", await rssMb(child.pid), "MB", undefined, 0);
  } finally {
    child.kill("SIGTERM");
    await new Promise((resolve) => (exited ? resolve() : child.once("exit", resolve)));
  }
}

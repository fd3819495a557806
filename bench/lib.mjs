// Benchmark helpers (I/O: child processes, temp directories, an in-process emulator on
// 127.0.0.1:0). Timing, percentiles, target lines, and N conflict-free rules as YAML, as
// SIPDispatchRuleInfo wire JSON (snake_case, for seeding the emulator) and as RuleSpec.
// Shared by bench/*.bench.mjs; prints nothing itself except through `report`.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { inboundTrunks } from "./realistic.mjs";

export const CLI = fileURLToPath(new URL("../dist/src/bin.cjs", import.meta.url));
export const DIST = fileURLToPath(new URL("../dist/src/", import.meta.url));
export const API_KEY = "benchkey";
export const API_SECRET = "bench-secret-0123456789abcdef0123456789";

export const now = () => performance.now();

// ---------------------------------------------------------------------------------------------
// Statistics and output
// ---------------------------------------------------------------------------------------------

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Nearest-rank percentile (p in 0..100) of a non-empty list. */
export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[Math.min(s.length, rank) - 1];
}

export const fmt = (x, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : String(x));

/**
 * Prints one figure with its target and "met"/"MISSED". `target` is `{ op: "<=" | ">=", value,
 * unit?, note? }`; with no target the line says "(no target)". Returns whether it was met.
 */
export function report(label, value, unit, target, digits = 1) {
  if (target === undefined) {
    console.log(`${label}: ${fmt(value, digits)} ${unit} (no target; for reference)`);
    return true;
  }
  const ok = target.op === "<=" ? value <= target.value : value >= target.value;
  const tUnit = target.unit ?? unit;
  const note = target.note ? `; ${target.note}` : "";
  console.log(`${label}: ${fmt(value, digits)} ${unit} (target ${target.op} ${target.value} ${tUnit}${note}) ${ok ? "met" : "MISSED"}`);
  return ok;
}

/** Runs `fn` `runs` times (awaiting each) and returns the list of wall times in ms. */
export async function timeRuns(runs, fn) {
  const out = [];
  for (let i = 0; i < runs; i++) {
    const start = now();
    await fn(i);
    out.push(now() - start);
  }
  return out;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Rules: every rule has its own called number, so no two share a conflict key (pin, trunk,
// inbound number, number); `tag` changes the room so that an edit is a one-field update.
// ---------------------------------------------------------------------------------------------

const KINDS = ["individual", "direct", "callee"];

/** One rule's fields, deterministic in `i`; `tag` (default "") varies the room name/prefix. */
export function benchRule(i, tag = "") {
  const kind = KINDS[i % 3];
  const t = tag === "" ? "" : `${tag}-`;
  return {
    name: `rule-${String(i).padStart(5, "0")}`,
    kind,
    room: kind === "direct" ? `room-${i}${tag === "" ? "" : `-${tag}`}` : `${kind === "callee" ? "line" : "call"}-${i}-${t}`,
    pin: kind === "direct" && i % 2 === 1 ? String(1000 + (i % 9000)) : undefined,
    randomize: kind === "callee" ? true : undefined,
    trunk: `ST_trunk${i % 7}`,
    number: `+1555${String(i).padStart(7, "0")}`,
    metadata: i % 5 === 0 ? `tier-${i % 3 === 0 ? "gold" : "silver"}` : undefined,
    attributes: i % 4 === 0 ? { team: `team-${i % 16}` } : undefined,
  };
}

/**
 * The inbound trunks benchRule names (`ST_trunk0` ... `ST_trunk6`), for the emulator's seedTrunks:
 * a server without them makes `plan` and `apply` warn once a rule (the trunk is not an inbound
 * trunk), which an in-sync project does not see.
 */
export function benchTrunks() {
  return inboundTrunks(7);
}

export function benchRules(n, tagOf = () => "") {
  return Array.from({ length: n }, (_, i) => benchRule(i, tagOf(i)));
}

const q = (s) => JSON.stringify(s);

/** dispatch-rules.yaml text for `rules`; `head` holds extra top-level lines (e.g. limits). */
export function rulesYaml(rules, head = []) {
  const lines = ["version: 1", ...head, "rules:"];
  for (const r of rules) {
    lines.push(`  - name: ${r.name}`);
    if (r.kind === "direct") lines.push(`    direct: { roomName: ${q(r.room)}${r.pin ? `, pin: ${q(r.pin)}` : ""} }`);
    else if (r.kind === "individual") lines.push(`    individual: { roomPrefix: ${q(r.room)} }`);
    else lines.push(`    callee: { roomPrefix: ${q(r.room)}, randomize: true }`);
    lines.push(`    trunkIds: [${r.trunk}]`, `    numbers: [${q(r.number)}]`);
    if (r.metadata !== undefined) lines.push(`    metadata: ${q(r.metadata)}`);
    if (r.attributes !== undefined) lines.push(`    attributes: { team: ${q(r.attributes.team)} }`);
  }
  return `${lines.join("\n")}\n`;
}

/** SIPDispatchRuleInfo JSON in the server's snake_case form (no ID: the emulator makes one). */
export function wireRule(r, id) {
  const rule =
    r.kind === "direct"
      ? { dispatch_rule_direct: { room_name: r.room, ...(r.pin ? { pin: r.pin } : {}) } }
      : r.kind === "individual"
        ? { dispatch_rule_individual: { room_prefix: r.room } }
        : { dispatch_rule_callee: { room_prefix: r.room, randomize: true } };
  return {
    ...(id === undefined ? {} : { sip_dispatch_rule_id: id }),
    name: r.name,
    rule,
    trunk_ids: [r.trunk],
    numbers: [r.number],
    ...(r.metadata === undefined ? {} : { metadata: r.metadata }),
    ...(r.attributes === undefined ? {} : { attributes: { ...r.attributes } }),
  };
}

/** The same rule as a RuleSpec (the file's camelCase form) for SipClient.createRule. */
export function ruleSpec(r) {
  const body =
    r.kind === "direct"
      ? { direct: { roomName: r.room, ...(r.pin ? { pin: r.pin } : {}) } }
      : r.kind === "individual"
        ? { individual: { roomPrefix: r.room } }
        : { callee: { roomPrefix: r.room, randomize: true } };
  return {
    name: r.name,
    ...body,
    trunkIds: [r.trunk],
    numbers: [r.number],
    ...(r.metadata === undefined ? {} : { metadata: r.metadata }),
    ...(r.attributes === undefined ? {} : { attributes: { ...r.attributes } }),
  };
}

/** The arguments of livekit-server-sdk SipClient.createSipDispatchRule(rule, opts) for `r`. */
export function sdkCreateArgs(r) {
  const rule =
    r.kind === "direct"
      ? { type: "direct", roomName: r.room, ...(r.pin ? { pin: r.pin } : {}) }
      : r.kind === "individual"
        ? { type: "individual", roomPrefix: r.room }
        : { type: "callee", roomPrefix: r.room, randomize: true };
  // CreateSipDispatchRuleOptions has no `numbers`: the trunk alone keeps the keys distinct.
  return [rule, { name: r.name, trunkIds: [`ST_sdk${r.name}`], ...(r.metadata === undefined ? {} : { metadata: r.metadata }) }];
}

// ---------------------------------------------------------------------------------------------
// Emulator and CLI
// ---------------------------------------------------------------------------------------------

export async function importDist(path) {
  return import(new URL(path, `file://${DIST}`).href);
}

/** The in-process emulator on 127.0.0.1:0 with the bench's key and secret. */
export async function startEmulator(options = {}) {
  const { listenEmulator } = await importDist("emulator/index.js");
  return listenEmulator({ ...options, apiKey: API_KEY, apiSecret: API_SECRET, host: "127.0.0.1", port: 0 });
}

/** A minimal environment for the CLI: nothing of the caller's LIVEKIT_* leaks in. */
export function cliEnv(emulatorUrl, extra = {}) {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? tmpdir(),
    NO_COLOR: "1",
    LIVEKIT_URL: emulatorUrl,
    LIVEKIT_API_KEY: API_KEY,
    LIVEKIT_API_SECRET: API_SECRET,
    ...extra,
  };
}

/**
 * Spawns `node ...args` asynchronously (the in-process emulator must keep answering, so never
 * spawnSync) and resolves with its wall time, exit code and output.
 */
export function runNode(args, { env, cwd, nodeArgs = [] } = {}) {
  return new Promise((resolve, reject) => {
    const start = now();
    const child = spawn(process.execPath, [...nodeArgs, ...args], { env: env ?? process.env, cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ ms: now() - start, code, signal, stdout, stderr }));
  });
}

export function runCli(args, options = {}) {
  return runNode([CLI, ...args], options);
}

/** A temp directory removed after `fn` (also on failure). */
export async function withTempDir(fn) {
  const dir = mkdtempSync(join(tmpdir(), "sds-bench-"));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The process's resident set size in MB from /proc (Linux), or NaN when unreadable. */
export async function rssMb(pid) {
  const { readFile } = await import("node:fs/promises");
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

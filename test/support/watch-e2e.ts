// Test support (I/O: temp files, child processes, loopback HTTP). What the end-to-end tests of
// `watch` share: rules files and the server's view of them, starting the built CLI's daemon
// against an emulator, awaiting its log events, and reading its HTTP endpoints.
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { expect } from "vitest";
import type { EmulatorControl } from "../../src/emulator/index.js";
import { startEmulator, type StartedEmulator } from "./emulator.js";
import { eventOf, spawnCli, type LogRecord, type SpawnedCli } from "./spawn-cli.js";

export type Kind = "direct" | "individual" | "callee";

export interface TestRule {
  readonly name: string;
  readonly kind: Kind;
  /** roomName for direct, roomPrefix otherwise. */
  readonly room: string;
  readonly pin?: string;
  readonly number: string;
}

/** What the tests compare: the fields they set, read back from the server's snake_case JSON. */
export interface ServerRule {
  readonly id: string;
  readonly name: string;
  readonly kind: Kind | "?";
  readonly room: string;
  readonly pin: string;
  readonly numbers: readonly string[];
}

export function rulesYaml(rules: readonly TestRule[], head = ""): string {
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

/** The server's rules (with their IDs), sorted by name. */
export function serverRules(control: EmulatorControl): ServerRule[] {
  return control
    .rules()
    .map((item) => {
      const info = item as { sip_dispatch_rule_id: string; name: string; numbers: string[]; rule: Record<string, Record<string, unknown> | undefined> };
      const direct = info.rule.dispatch_rule_direct;
      const individual = info.rule.dispatch_rule_individual;
      const callee = info.rule.dispatch_rule_callee;
      const body = direct ?? individual ?? callee ?? {};
      const kind: Kind | "?" = direct ? "direct" : individual ? "individual" : callee ? "callee" : "?";
      return { id: info.sip_dispatch_rule_id, name: info.name, kind, room: String(direct ? body.room_name : body.room_prefix), pin: String(body.pin ?? ""), numbers: [...info.numbers] };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The server's rules without IDs, comparable with expected(). */
export function serverSpecs(control: EmulatorControl): Omit<ServerRule, "id">[] {
  return serverRules(control).map(({ id: _id, ...rest }) => rest);
}

export function expected(rules: readonly TestRule[]): Omit<ServerRule, "id">[] {
  return rules
    .map((r) => ({ name: r.name, kind: r.kind, room: r.room, pin: r.pin ?? "", numbers: [r.number] }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** A rule as the server stores it, for control.seed (snake_case SIPDispatchRuleInfo). */
export function seedItem(r: TestRule, id?: string): Record<string, unknown> {
  const body = r.kind === "direct" ? { room_name: r.room, pin: r.pin ?? "" } : { room_prefix: r.room, pin: r.pin ?? "" };
  return { ...(id === undefined ? {} : { sip_dispatch_rule_id: id }), name: r.name, numbers: [r.number], rule: { [`dispatch_rule_${r.kind}`]: body } };
}

const WRITE_RPCS = new Set(["CreateSIPDispatchRule", "UpdateSIPDispatchRule", "DeleteSIPDispatchRule"]);

/** Requests that change (or try to change) the server; the Update capability probe (`{}`) is not one. */
export function writes(control: EmulatorControl): { rpc: string; status: number; body: string }[] {
  return control
    .requests()
    .filter((r) => WRITE_RPCS.has(r.rpc))
    .filter((r) => !(r.rpc === "UpdateSIPDispatchRule" && r.body.trim() === "{}"))
    .map((r) => ({ rpc: r.rpc, status: r.status, body: r.body }));
}

export const sleep = (ms: number): Promise<void> => new Promise<void>((resolve) => setTimeout(resolve, ms));

const dirs: string[] = [];
export async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "sds-watch-"));
  dirs.push(d);
  return d;
}
export async function removeTempDirs(): Promise<void> {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

let saves = 0;
/** An editor's save: write a temp file in the same directory, then rename it over the target. */
export async function atomicSave(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${saves++}.tmp`);
  await writeFile(tmp, text);
  await rename(tmp, path);
}

export const API_KEY = "e2e-watch-key";
export const API_SECRET = "e2e-watch-secret-Zq8Xv3Lm0Pw7Rt2Yb5Nc9Kd4";

export function emulator(): Promise<StartedEmulator> {
  return startEmulator({ apiKey: API_KEY, apiSecret: API_SECRET });
}

export interface WatchDaemon {
  readonly cli: SpawnedCli;
  /** The bound `http://127.0.0.1:PORT` of /healthz, /readyz, /metrics. */
  readonly http: string;
}

export interface WatchOptions {
  readonly interval?: string;
  readonly debounce?: string;
  readonly extra?: readonly string[];
  readonly env?: Record<string, string>;
}

export async function startWatch(em: StartedEmulator, file: string, options: WatchOptions = {}): Promise<WatchDaemon> {
  const args = ["watch", "-c", file, "--interval", options.interval ?? "30s", "--debounce", options.debounce ?? "100ms", "--listen", "127.0.0.1:0", ...(options.extra ?? [])];
  const cli = spawnCli(args, { env: { LIVEKIT_URL: em.url, LIVEKIT_API_KEY: em.apiKey, LIVEKIT_API_SECRET: em.apiSecret, ...options.env } });
  const start = await cli.waitFor((r) => eventOf(r) === "start", { what: "the start event", timeoutMs: 20_000 });
  expect(start.listen).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  return { cli, http: String(start.listen) };
}

export function isEvent(name: string, match: Readonly<Record<string, unknown>> = {}): (r: LogRecord) => boolean {
  return (r) => eventOf(r) === name && Object.entries(match).every(([k, v]) => r[k] === v);
}

export function isReconcile(match: { trigger?: string; result?: string | readonly string[] } = {}): (r: LogRecord) => boolean {
  return (r) => {
    if (eventOf(r) !== "reconcile") return false;
    if (match.trigger !== undefined && r.trigger !== match.trigger) return false;
    if (match.result === undefined) return true;
    const results: readonly string[] = typeof match.result === "string" ? [match.result] : match.result;
    return results.includes(String(r.result));
  };
}

export function events(cli: SpawnedCli, name: string, from = 0): LogRecord[] {
  return cli.records().slice(from).filter((r) => eventOf(r) === name);
}

export async function request(base: string, path: string, method = "GET"): Promise<{ status: number; text: string; headers: Headers; json: () => Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, { method });
  const text = await res.text();
  return { status: res.status, text, headers: res.headers, json: () => JSON.parse(text) as Record<string, unknown> };
}

/** The value of one sample in Prometheus text, or undefined when it is not there. */
export function metric(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) have[l[1] as string] = l[2] as string;
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

/** Polls `check` until it returns true (or throws the last expectation failure after timeoutMs). */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await sleep(50);
  }
}

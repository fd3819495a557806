// Test support for the plan/apply/export end-to-end tests (I/O: a temp folder, child processes,
// one in-process emulator per test file). Every CLI run is checked for leaked secrets and pins.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import type { RequestRecord } from "../../src/emulator/index.js";
import { startEmulator, type StartedEmulator } from "./emulator.js";
import { runCli, type CliResult } from "./run-cli.js";

/** Unusual enough that a match in any output is a leak, never a coincidence. */
export const API_KEY = "e2e-key-7Qx";
export const API_SECRET = "e2e-Secr3t-u8Zk2Lw9Vq";

/** Eight-digit pins: they cannot turn up by chance inside a sha256 fingerprint or an ID. */
export const PINS = { direct: "74019358", individual: "58261447", callee: "39602781", other: "81524369" } as const;
export const PIN_ENV: Readonly<Record<string, string>> = {
  E2E_DIRECT_PIN: PINS.direct,
  E2E_INDIVIDUAL_PIN: PINS.individual,
  E2E_CALLEE_PIN: PINS.callee,
  E2E_OTHER_PIN: PINS.other,
};

export const FIXTURES = fileURLToPath(new URL("../fixtures/e2e/", import.meta.url));

export interface CliOptions {
  readonly env?: Record<string, string | undefined>;
  /** export --include-pins and export --format json print pins by design. */
  readonly showsPins?: boolean;
}

export interface E2e {
  readonly em: StartedEmulator;
  readonly dir: string;
  /** Writes `text` to a file in the temp folder and returns its path. */
  write(name: string, text: string): Promise<string>;
  /** Runs the built CLI against the emulator; asserts the secret (and pins) stayed out of the output. */
  cli(args: readonly string[], opts?: CliOptions): Promise<CliResult>;
  /** Every request to a write method (Create/Update/Delete, probes included) the emulator received since the last reset; Lists (rules, inbound trunks) are reads. */
  writes(): RequestRecord[];
  /** The stored rules (List's snake_case JSON), sorted by ID. */
  rules(): StoredRule[];
  /** Called with every request the emulator answers, before the answer is sent (undefined removes it). */
  onRequest(hook: ((r: RequestRecord) => void) | undefined): void;
  stop(): Promise<void>;
}

/** A stored SIPDispatchRuleInfo as the emulator emits it (snake_case, defaults present). */
export type StoredRule = Record<string, unknown> & { readonly sip_dispatch_rule_id: string; readonly name: string };

export async function startE2e(prefix: string): Promise<E2e> {
  let hook: ((r: RequestRecord) => void) | undefined;
  const em = await startEmulator({ apiKey: API_KEY, apiSecret: API_SECRET, onRequest: (r) => hook?.(r) });
  const dir = await mkdtemp(join(tmpdir(), `sds-${prefix}-`));
  return {
    em,
    dir,
    async write(name, text) {
      const path = join(dir, name);
      await writeFile(path, text, "utf8");
      return path;
    },
    async cli(args, opts = {}) {
      const env = { LIVEKIT_URL: em.url, LIVEKIT_API_KEY: API_KEY, LIVEKIT_API_SECRET: API_SECRET, ...PIN_ENV, ...opts.env };
      const r = await runCli(args, { env, cwd: dir });
      const out = r.stdout + r.stderr;
      expect(out, `API secret in the output of ${args.join(" ")}`).not.toContain(API_SECRET);
      if (opts.showsPins !== true) {
        for (const pin of Object.values(PINS)) expect(out, `pin in the output of ${args.join(" ")}`).not.toContain(pin);
      }
      expect(r.stderr, "no stack trace").not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
      return r;
    },
    writes: () => em.control.requests().filter((r) => r.rpc !== "" && !r.rpc.startsWith("List")),
    rules: () => em.control.rules() as StoredRule[],
    onRequest(h) {
      hook = h;
    },
    async stop() {
      await em.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The stored rules with this name. */
export function named(rules: readonly StoredRule[], name: string): StoredRule[] {
  return rules.filter((r) => r.name === name);
}

/** The one stored rule with this name; fails the test when there are none or several. */
export function only(rules: readonly StoredRule[], name: string): StoredRule {
  const found = named(rules, name);
  expect(found.map((r) => r.name), `exactly one stored rule named ${name}`).toEqual([name]);
  return found[0] as StoredRule;
}

/** `plan --format json` output, parsed. */
export interface PlanJson {
  readonly formatVersion: number;
  readonly config: string;
  readonly server: string;
  readonly fingerprint: string;
  readonly summary: { create: number; update: number; delete: number; unchanged: number; unmanaged: number };
  readonly safe: boolean;
  readonly refusal: { code: string; message: string; hint: string; forceable: boolean } | null;
  readonly changes: readonly PlanChangeJson[];
  readonly warnings: readonly string[];
}
export interface PlanChangeJson {
  readonly action: "create" | "update" | "delete";
  readonly name: string;
  readonly id?: string;
  readonly method?: "replace" | "recreate";
  readonly reason?: "not-in-file" | "duplicate";
  readonly rule?: Record<string, unknown>;
  readonly fields?: readonly { path: string; before?: unknown; after?: unknown; sensitive?: true }[];
  readonly kept?: readonly string[];
}

export function parsePlan(r: CliResult): PlanJson {
  return JSON.parse(r.stdout) as PlanJson;
}

/** A SIPDispatchRuleInfo to seed (snake_case), with a fixed ID so "lowest ID" is known. */
export function seedRule(id: string, name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { sip_dispatch_rule_id: id, name, rule: { dispatch_rule_individual: { room_prefix: `${name}-` } }, ...extra };
}

// End-to-end (I/O: child processes, pseudo-terminals, temp files, an in-process emulator): what
// `apply` prints while it works (issue #15): each outcome as it finishes, a progress line on a
// terminal, retries and Retry-After waits on stderr as they happen, timeouts that count their
// attempts, and each operation printed once (text, or JSON lines with --log-format json).
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { API_KEY, API_SECRET, startE2e, type E2e } from "../support/e2e-harness.js";
import { runCli } from "../support/run-cli.js";
import { ptyAvailable, runInPty } from "../support/run-pty.js";

let t: E2e;
beforeAll(async () => {
  t = await startE2e("apply-progress");
});
afterAll(async () => {
  await t.stop();
});
beforeEach(() => {
  t.em.control.reset();
});

/** `n` rules that do not conflict (one trunk each). */
function rules(n: number): string {
  const out = ["version: 1", "rules:"];
  for (let i = 0; i < n; i++) out.push(`  - { name: r${i}, individual: { roomPrefix: r${i}- }, trunkIds: [ST_${i}] }`);
  return `${out.join("\n")}\n`;
}

const env = () => ({ LIVEKIT_URL: t.em.url, LIVEKIT_API_KEY: API_KEY, LIVEKIT_API_SECRET: API_SECRET });

describe("apply streams its progress", () => {
  it.runIf(ptyAvailable())("on a terminal: each outcome as it finishes, and a progress line with done/total, failures and elapsed", async () => {
    const path = await t.write("stream.yaml", rules(6));
    t.em.control.setLatency(400, "CreateSIPDispatchRule");
    t.em.control.failNext("CreateSIPDispatchRule", 1, { status: 400, code: "invalid_argument", msg: "rejected for the test" });
    const seen: { text: string; at: number }[] = [];
    const r = await runInPty(["apply", "-c", path, "--auto-approve", "--concurrency", "1", "--no-color"], {
      env: env(),
      onOutput: (all, at) => seen.push({ text: all, at }),
    });
    expect(r.code, r.stdout).toBe(1);
    const firstOutcome = seen.find((s) => /[✓✗] /.test(s.text));
    const end = seen[seen.length - 1];
    expect(firstOutcome, r.stdout).toBeDefined();
    // Six creates at 400 ms each, one at a time: the first outcome is on screen long before the end.
    expect((end?.at ?? 0) - (firstOutcome?.at ?? 0)).toBeGreaterThan(1200);
    expect(r.stdout).toMatch(/Applying: 0\/6 done, 0\.\ds elapsed/);
    expect(r.stdout).toMatch(/Applying: 3\/6 done, 1 failed, \d+\.\ds elapsed/);
    expect(r.stdout).toContain("✗ create r0 failed: CreateSIPDispatchRule: rejected for the test");
    expect(r.stdout).toMatch(/Apply incomplete: 5 succeeded, 1 failed, 0 skipped\. Run apply again to converge\. \(\d+\.\ds\)/);
    // The progress line is erased before each outcome line and at the end.
    expect(r.stdout).toContain("\r\u001b[K  ✓ created r1");
  });

  it("on a pipe: the outcome lines, no progress line and no JSON log lines", async () => {
    const path = await t.write("pipe.yaml", rules(3));
    const r = await t.cli(["apply", "-c", path, "--auto-approve"]);
    expect(r.code, r.stderr).toBe(0);
    // Outcomes are printed as they finish: concurrent creates may finish in any order.
    const outcomes = /((?: {2}✓ created r\d \(SDR_\w+\)\n){3})Apply complete: 3 operation\(s\) succeeded\.\n$/.exec(r.stdout);
    expect(outcomes, r.stdout).not.toBeNull();
    expect(outcomes?.[1]?.split("\n").filter(Boolean).map((l) => /created (r\d)/.exec(l)?.[1]).sort()).toEqual(["r0", "r1", "r2"]);
    expect(r.stdout).not.toContain("Applying:");
    expect(r.stdout).not.toContain("\u001b[");
    // Each operation once: no JSON log line on stderr as well.
    expect(r.stderr).toBe("");
  });

  it("--log-format json: JSON lines instead of the outcome lines, each operation once", async () => {
    const path = await t.write("json.yaml", rules(3));
    const r = await t.cli(["apply", "-c", path, "--auto-approve", "--log-format", "json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain("✓");
    expect(r.stdout).not.toContain("Apply complete");
    const events = r.stderr.trim().split("\n").map((l) => JSON.parse(l) as { event: string; rule?: string; status?: string });
    const ops = events.filter((e) => e.event === "operation");
    expect(ops.map((e) => e.rule).sort()).toEqual(["r0", "r1", "r2"]);
    expect(ops.every((e) => e.status === "ok")).toBe(true);
    expect(events.at(-1)).toMatchObject({ event: "apply", complete: true, succeeded: 3 });
  });
});

describe("retries are reported as they happen", () => {
  it("a 429 and a Retry-After wait are reported on stderr, then the apply succeeds", async () => {
    const path = await t.write("retry.yaml", rules(1));
    // A create refused before it ran (429) is safe to send again; a 5xx is not (outcome unknown).
    t.em.control.failNext("CreateSIPDispatchRule", 1, { status: 429, code: "resource_exhausted", msg: "busy" });
    t.em.control.failNext("ListSIPDispatchRule", 1, { status: 429, code: "resource_exhausted", msg: "slow down", retryAfter: "1" });
    const r = await t.cli(["apply", "-c", path, "--auto-approve"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toContain("retry: ListSIPDispatchRule got resource_exhausted (HTTP 429); attempt 2 of 4 waiting 1.0s as the server's Retry-After asks");
    expect(r.stderr).toMatch(/retry: CreateSIPDispatchRule got resource_exhausted \(HTTP 429\); attempt 2 of 4 in \d\.\ds/);
    expect(r.stdout).toContain("✓ created r0");
  });

  it("a server that never answers: the timeout message counts the attempts, and each retry was reported", async () => {
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const port = (silent.address() as { port: number }).port;
      const path = await t.write("silent.yaml", rules(1));
      const r = await runCli(["plan", "-c", path, "--timeout", "200ms"], { env: { LIVEKIT_URL: `http://127.0.0.1:${port}`, LIVEKIT_API_KEY: API_KEY, LIVEKIT_API_SECRET: API_SECRET } });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("no answer within 200 ms (4 attempts)");
      expect(r.stderr.match(/^retry: ListSIPDispatchRule got timeout; attempt [234] of 4 in/gm)?.length).toBe(3);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

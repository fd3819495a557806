// Tests the daemon loop on a fake clock: single flight, coalescing, interval jitter, backoff,
// terminal outcomes and graceful stop.
import { describe, expect, it } from "vitest";
import {
  runDaemon,
  nextStepAfter,
  RECONCILE_RESULTS,
  type DaemonDeps,
  type ReconcileOutcome,
  type ScheduledRun,
  type Trigger,
} from "../../../src/daemon/index.js";
import { controlledReconcile, fakeScheduler, flush } from "./fake-scheduler.js";

const INTERVAL = 60_000;
const ok: ReconcileOutcome = { result: "success" };
const failed: ReconcileOutcome = { result: "error", detail: "ListSIPDispatchRule: unavailable" };

function setup(overrides: Partial<DaemonDeps> = {}) {
  const clock = fakeScheduler();
  const rec = controlledReconcile();
  const scheduled: ScheduledRun[] = [];
  const outcomes: { outcome: ReconcileOutcome; trigger: Trigger; durationMs: number }[] = [];
  const errors: unknown[] = [];
  let fileChanged: () => void = () => undefined;
  let watcherClosed = false;
  const daemon = runDaemon({
    reconcile: rec.reconcile,
    subscribe: (onFileChange) => {
      fileChanged = onFileChange;
      return { close: async () => void (watcherClosed = true) };
    },
    intervalMs: INTERVAL,
    jitter: 0.1,
    backoff: { baseMs: 1_000, maxMs: 8_000, jitter: 0.2 },
    random: () => 0.5,
    setTimer: clock.setTimer,
    now: clock.now,
    stopTimeoutMs: 10_000,
    onOutcome: (outcome, trigger, durationMs) => outcomes.push({ outcome, trigger, durationMs }),
    onScheduled: (s) => scheduled.push(s),
    onError: (e) => errors.push(e),
    ...overrides,
  });
  return {
    clock,
    rec,
    daemon,
    scheduled,
    outcomes,
    errors,
    fileChange: () => fileChanged(),
    watcherClosed: () => watcherClosed,
  };
}

describe("runDaemon: triggers and single flight", () => {
  it("reconciles once at start, then waits for the interval", async () => {
    const t = setup();
    expect(t.rec.calls.map((c) => c.trigger)).toEqual(["start"]);
    await t.clock.advance(500);
    t.rec.last().finish(ok);
    await flush();
    expect(t.rec.calls).toHaveLength(1);
    expect(t.outcomes).toEqual([{ outcome: ok, trigger: "start", durationMs: 500 }]);
    expect(t.scheduled).toEqual([{ trigger: "interval", delayMs: INTERVAL, failures: 0 }]);
    await t.clock.advance(INTERVAL - 1);
    expect(t.rec.calls).toHaveLength(1);
    await t.clock.advance(1);
    expect(t.rec.calls.map((c) => c.trigger)).toEqual(["start", "interval"]);
  });

  it("coalesces a burst of 20 file changes during a run into exactly one more run", async () => {
    const t = setup();
    for (let i = 0; i < 20; i++) t.fileChange();
    await flush();
    expect(t.rec.calls).toHaveLength(1);
    t.rec.last().finish(ok);
    await flush();
    expect(t.rec.calls.map((c) => c.trigger)).toEqual(["start", "file"]);
    t.rec.last().finish({ result: "noop" });
    await t.daemon.idle();
    expect(t.rec.calls).toHaveLength(2);
    expect(t.rec.maxInFlight()).toBe(1);
    // The interval timer is armed once, after the last run only.
    expect(t.clock.pending()).toHaveLength(1);
  });

  it("runs a file change at once when idle, replacing the armed interval", async () => {
    const t = setup();
    t.rec.last().finish(ok);
    await flush();
    await t.clock.advance(10_000);
    t.fileChange();
    expect(t.rec.calls.map((c) => c.trigger)).toEqual(["start", "file"]);
    expect(t.clock.pending()).toHaveLength(0);
    t.rec.last().finish(ok);
    await flush();
    expect(t.clock.pending().map((p) => p.due)).toEqual([10_000 + INTERVAL]);
  });

  it("never runs two reconciles at once, whatever mix of triggers arrives", async () => {
    const t = setup({ random: () => 0 });
    for (let round = 0; round < 5; round++) {
      t.fileChange();
      await t.clock.advance(INTERVAL * 2);
      t.fileChange();
      t.rec.last().finish(round % 2 === 0 ? ok : failed);
      await flush();
    }
    expect(t.rec.maxInFlight()).toBe(1);
  });
});

describe("runDaemon: re-entrant triggers", () => {
  it("queues a trigger fired from inside reconcile instead of starting a second run", async () => {
    const clock = fakeScheduler();
    let fileChanged: () => void = () => undefined;
    let active = 0;
    let maxActive = 0;
    const triggers: Trigger[] = [];
    const daemon = runDaemon({
      reconcile: async (trigger) => {
        active++;
        maxActive = Math.max(maxActive, active);
        triggers.push(trigger);
        if (triggers.length === 1) fileChanged(); // e.g. a reconcile that touches the watched file
        await flush();
        active--;
        return { result: "noop" };
      },
      subscribe: (cb) => {
        fileChanged = cb;
        return { close: async () => undefined };
      },
      intervalMs: INTERVAL,
      jitter: 0.1,
      backoff: { baseMs: 1_000, maxMs: 8_000 },
      random: () => 0.5,
      setTimer: clock.setTimer,
      now: clock.now,
      stopTimeoutMs: 1_000,
    });
    await daemon.idle();
    expect(triggers).toEqual(["start", "file"]);
    expect(maxActive).toBe(1);
    await daemon.stop();
  });
});

describe("runDaemon: interval jitter", () => {
  it("keeps every resync delay within ±10 % of the interval", async () => {
    const draws = [0, 0.999_999, 0.25, 0.75, 0.5, 0.1];
    let i = 0;
    const t = setup({ random: () => draws[i++ % draws.length] ?? 0.5 });
    for (let n = 0; n < draws.length; n++) {
      t.rec.last().finish({ result: "noop" });
      await flush();
      const s = t.scheduled[t.scheduled.length - 1];
      await t.clock.advance(s?.delayMs ?? 0);
    }
    const delays = t.scheduled.map((s) => s.delayMs);
    expect(delays).toHaveLength(draws.length);
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(INTERVAL * 0.9);
      expect(d).toBeLessThanOrEqual(INTERVAL * 1.1);
    }
    expect(Math.min(...delays)).toBe(54_000);
    expect(Math.max(...delays)).toBeGreaterThan(65_990);
    expect(new Set(delays).size).toBe(draws.length);
  });
});

describe("runDaemon: backoff after failures", () => {
  it("retries with a growing delay that caps, and resets after a success", async () => {
    const t = setup({ random: () => 0 });
    const runAndFinish = async (o: ReconcileOutcome): Promise<ScheduledRun> => {
      t.rec.last().finish(o);
      await flush();
      const s = t.scheduled[t.scheduled.length - 1];
      if (s === undefined) throw new Error("nothing scheduled");
      await t.clock.advance(s.delayMs);
      return s;
    };
    const retries: ScheduledRun[] = [];
    for (let n = 0; n < 6; n++) retries.push(await runAndFinish(failed));
    expect(retries.map((s) => [s.trigger, s.delayMs, s.failures])).toEqual([
      ["retry", 1_000, 1],
      ["retry", 2_000, 2],
      ["retry", 4_000, 3],
      ["retry", 8_000, 4],
      ["retry", 8_000, 5],
      ["retry", 8_000, 6],
    ]);
    expect(t.rec.calls.map((c) => c.trigger)).toEqual(["start", "retry", "retry", "retry", "retry", "retry", "retry"]);
    const afterSuccess = await runAndFinish(ok);
    expect(afterSuccess).toEqual({ trigger: "interval", delayMs: 54_000, failures: 0 });
    const firstAgain = await runAndFinish(failed);
    expect(firstAgain).toEqual({ trigger: "retry", delayMs: 1_000, failures: 1 });
  });

  it("jitters retries downward only, so the cap holds", async () => {
    const t = setup({ random: () => 0.999_999 });
    for (let n = 0; n < 5; n++) {
      t.rec.last().finish(failed);
      await flush();
      await t.clock.advance(t.scheduled[t.scheduled.length - 1]?.delayMs ?? 0);
    }
    const delays = t.scheduled.map((s) => s.delayMs);
    expect(delays).toEqual([800, 1_600, 3_200, 6_400, 6_400]);
  });

  it("treats a reconcile that throws as a failed run and reports the throw", async () => {
    const t = setup();
    const boom = new Error("boom");
    t.rec.last().fail(boom);
    await flush();
    expect(t.outcomes[0]?.outcome).toEqual({ result: "error", detail: "boom" });
    expect(t.errors).toEqual([boom]);
    expect(t.scheduled[0]?.trigger).toBe("retry");
  });

  it("runs a file change at once even while backing off", async () => {
    const t = setup();
    t.rec.last().finish(failed);
    await flush();
    expect(t.scheduled[0]?.trigger).toBe("retry");
    t.fileChange();
    expect(t.rec.calls.map((c) => c.trigger)).toEqual(["start", "file"]);
    expect(t.clock.pending()).toHaveLength(0);
  });

  it.each(["refused", "invalid-config"] as const)("does not fast-retry a %s outcome", async (result) => {
    const t = setup({ random: () => 0 });
    for (let n = 0; n < 3; n++) {
      t.rec.last().finish({ result, detail: "x" });
      await flush();
      await t.clock.advance(10_000);
    }
    expect(t.rec.calls).toHaveLength(1);
    expect(t.scheduled).toEqual([{ trigger: "interval", delayMs: 54_000, failures: 0 }]);
    await t.clock.advance(44_000);
    expect(t.rec.calls.map((c) => c.trigger)).toEqual(["start", "interval"]);
  });

  it("maps every result to exactly one next step", () => {
    const steps = Object.fromEntries(RECONCILE_RESULTS.map((r) => [r, nextStepAfter(r).kind]));
    expect(steps).toEqual({
      success: "resync",
      noop: "resync",
      invalid: "resync",
      "dry-run": "resync",
      refused: "resync",
      "invalid-config": "resync",
      error: "retry",
    });
  });
});

describe("runDaemon: stop", () => {
  it("waits for the run in flight, closes the watcher, then runs nothing more", async () => {
    const t = setup();
    t.fileChange(); // queued behind the start run; stop must drop it
    let stopped = false;
    const stopping = t.daemon.stop().then((r) => {
      stopped = true;
      return r;
    });
    await flush();
    expect(stopped).toBe(false);
    expect(t.watcherClosed()).toBe(true);
    t.fileChange();
    t.rec.last().finish(ok);
    expect(await stopping).toEqual({ timedOut: false });
    await t.clock.advance(INTERVAL * 10);
    expect(t.rec.calls).toHaveLength(1);
    expect(t.clock.pending()).toHaveLength(0);
    await t.daemon.idle();
  });

  it("gives up waiting after stopTimeoutMs", async () => {
    const t = setup();
    const stopping = t.daemon.stop();
    await t.clock.advance(9_999);
    let settled = false;
    void stopping.then(() => (settled = true));
    await flush();
    expect(settled).toBe(false);
    await t.clock.advance(1);
    expect(await stopping).toEqual({ timedOut: true });
  });

  it("cancels the armed timer when idle and is idempotent", async () => {
    const t = setup();
    t.rec.last().finish(ok);
    await flush();
    expect(t.clock.pending()).toHaveLength(1);
    const a = t.daemon.stop();
    expect(t.daemon.stop()).toBe(a);
    expect(await a).toEqual({ timedOut: false });
    expect(t.clock.pending()).toHaveLength(0);
    await t.clock.advance(INTERVAL * 3);
    expect(t.rec.calls).toHaveLength(1);
  });
});

// Test support (no I/O). A manual clock and timer scheduler, and a reconcile whose runs the test
// finishes by hand, so the daemon loop is tested without real time.
import type { ReconcileOutcome, SetTimer, Trigger } from "../../../src/daemon/index.js";

interface FakeTimer {
  readonly due: number;
  readonly ms: number;
  readonly fn: () => void;
  cancelled: boolean;
  fired: boolean;
}

/** Lets every pending promise callback run (no real time passes). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export function fakeScheduler() {
  let now = 0;
  const timers: FakeTimer[] = [];
  const setTimer: SetTimer = (fn, ms) => {
    const t: FakeTimer = { due: now + ms, ms, fn, cancelled: false, fired: false };
    timers.push(t);
    return { cancel: () => void (t.cancelled = true) };
  };
  const pending = (): FakeTimer[] => timers.filter((t) => !t.cancelled && !t.fired);
  return {
    setTimer,
    now: () => now,
    pending,
    /** Moves the clock forward, firing due timers in order and letting promises settle after each. */
    async advance(ms: number): Promise<void> {
      const target = now + ms;
      for (;;) {
        const next = pending()
          .filter((t) => t.due <= target)
          .sort((a, b) => a.due - b.due)[0];
        if (next === undefined) break;
        now = next.due;
        next.fired = true;
        next.fn();
        await flush();
      }
      now = target;
      await flush();
    },
  };
}

export interface ReconcileCall {
  readonly trigger: Trigger;
  finish(outcome: ReconcileOutcome): void;
  fail(err: unknown): void;
}

/** A reconcile that records each call and stays in flight until the test finishes it. */
export function controlledReconcile() {
  const calls: ReconcileCall[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const reconcile = (trigger: Trigger): Promise<ReconcileOutcome> =>
    new Promise<ReconcileOutcome>((resolve, reject) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const done = (): void => void inFlight--;
      calls.push({
        trigger,
        finish: (o) => {
          done();
          resolve(o);
        },
        fail: (e) => {
          done();
          reject(e);
        },
      });
    });
  return {
    reconcile,
    calls,
    maxInFlight: () => maxInFlight,
    last(): ReconcileCall {
      const c = calls[calls.length - 1];
      if (c === undefined) throw new Error("no reconcile call yet");
      return c;
    },
  };
}

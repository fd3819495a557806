// The controller loop (I/O only through injected timers): every trigger calls the same reconcile,
// one at a time; triggers during a run coalesce into one more; resync on an interval ± jitter;
// capped exponential backoff after a failed run; graceful stop (SPEC §6, STYLE §4).
import { assertNever } from "../model/index.js";
import { backoffDelay, jitteredDelay, type BackoffPolicy } from "./backoff.js";

export const TRIGGERS = ["start", "file", "interval", "retry", "reload"] as const;
/** Why a reconcile ran. Reconciling is level-based: the trigger is for logs and metrics only. */
export type Trigger = (typeof TRIGGERS)[number];

export const RECONCILE_RESULTS = ["success", "noop", "invalid", "error", "refused", "invalid-config", "dry-run"] as const;
/**
 * - `success`: changes were applied; `noop`: nothing to change; `dry-run`: planned, not applied.
 * - `invalid`: the file is invalid (or unreadable); the run used the last good file (drift is
 *   still corrected from it). Not a failure of the daemon: the file needs a person.
 * - `error`: retryable (API failure, timeout, partial apply): retried with backoff.
 * - `refused` (a safety limit) and `invalid-config` (no usable desired state): terminal, like
 *   controller-runtime's TerminalError: logged and reported, then wait for the next file change
 *   or interval. Never retried fast, never forced.
 */
export type ReconcileResult = (typeof RECONCILE_RESULTS)[number];

export interface ReconcileOutcome {
  readonly result: ReconcileResult;
  /** One line for logs and /readyz; must not hold secrets. */
  readonly detail?: string;
}

export interface TimerHandle {
  cancel(): void;
}
export type SetTimer = (fn: () => void, ms: number) => TimerHandle;

/** The real clock's timer, for the CLI wiring. */
export const systemTimer: SetTimer = (fn, ms) => {
  const t = setTimeout(fn, ms);
  return { cancel: () => clearTimeout(t) };
};

export interface DaemonDeps {
  /** Reads the file and the server fresh each time; resolves with the outcome, should not throw. */
  readonly reconcile: (trigger: Trigger) => Promise<ReconcileOutcome>;
  /** Starts watching the file; called once, closed by stop(). */
  readonly subscribe: (onFileChange: () => void) => { close(): Promise<void> };
  /** Resync period (`--interval`). */
  readonly intervalMs: number;
  /** Fraction of `intervalMs` added or removed at random, e.g. 0.1 for ±10 %. */
  readonly jitter: number;
  readonly backoff: BackoffPolicy;
  readonly random: () => number;
  readonly setTimer: SetTimer;
  /** Milliseconds; only used to measure run durations. */
  readonly now: () => number;
  /** How long stop() waits for the run in flight (`--timeout`). */
  readonly stopTimeoutMs: number;
  /** After every run, before the next is scheduled. Exceptions are passed to onError. */
  readonly onOutcome?: (outcome: ReconcileOutcome, trigger: Trigger, durationMs: number) => void;
  /** What the daemon is about to do next, for a log line ("next reconcile in N ms"). */
  readonly onScheduled?: (next: ScheduledRun) => void;
  /** Unexpected throws (a reconcile that threw, a failing callback, a watcher that failed to close). */
  readonly onError?: (err: unknown) => void;
}

export interface ScheduledRun {
  readonly trigger: "interval" | "retry";
  readonly delayMs: number;
  /** Consecutive failed runs so far (0 after anything but `error`). */
  readonly failures: number;
}

export interface StopResult {
  /** True when the run in flight was still going after `stopTimeoutMs`. */
  readonly timedOut: boolean;
}

export interface Daemon {
  /** Stops timers and the watcher, waits for the run in flight (at most stopTimeoutMs). Idempotent. */
  stop(): Promise<StopResult>;
  /** Resolves when no run is in flight or queued. */
  idle(): Promise<void>;
  /** Reconciles now (SIGHUP): at once when idle, else right after the run in flight. */
  reload(): void;
}

type NextStep = { readonly kind: "resync" } | { readonly kind: "retry" };

/** The loop's one decision per outcome (controller-runtime's switch over the reconcile error). */
export function nextStepAfter(result: ReconcileResult): NextStep {
  switch (result) {
    case "success":
    case "noop":
    case "invalid":
    case "dry-run":
    case "refused":
    case "invalid-config":
      return { kind: "resync" };
    case "error":
      return { kind: "retry" };
    default:
      return assertNever(result, "reconcile result");
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function runDaemon(deps: DaemonDeps): Daemon {
  let busy = false;
  let inFlight: Promise<void> | null = null;
  let queued: Trigger | null = null;
  let timer: TimerHandle | null = null;
  let failures = 0;
  let stopped = false;
  let stopping: Promise<StopResult> | null = null;
  let idleWaiters: (() => void)[] = [];

  const report = (err: unknown): void => {
    try {
      deps.onError?.(err);
    } catch {
      // The error reporter itself failed; nothing sensible is left to tell.
    }
  };

  const cancelTimer = (): void => {
    timer?.cancel();
    timer = null;
  };

  const arm = (step: NextStep): void => {
    const trigger = step.kind === "retry" ? "retry" : "interval";
    const delayMs =
      step.kind === "retry"
        ? backoffDelay(failures, deps.backoff, deps.random)
        : jitteredDelay(deps.intervalMs, deps.jitter, deps.random);
    timer = deps.setTimer(() => {
      timer = null;
      request(trigger);
    }, delayMs);
    try {
      deps.onScheduled?.({ trigger, delayMs, failures });
    } catch (err) {
      report(err);
    }
  };

  const runOnce = async (trigger: Trigger): Promise<ReconcileOutcome> => {
    const started = deps.now();
    let outcome: ReconcileOutcome;
    try {
      outcome = await deps.reconcile(trigger);
    } catch (err) {
      report(err);
      outcome = { result: "error", detail: describe(err) };
    }
    try {
      deps.onOutcome?.(outcome, trigger, Math.max(0, deps.now() - started));
    } catch (err) {
      report(err);
    }
    return outcome;
  };

  const loop = async (first: Trigger): Promise<void> => {
    let next: Trigger | null = first;
    while (next !== null && !stopped) {
      queued = null;
      const outcome = await runOnce(next);
      let step: NextStep;
      try {
        step = nextStepAfter(outcome.result);
      } catch (err) {
        // An outcome outside the union (a bug in reconcile): treat it as a failure, keep running.
        report(err);
        step = { kind: "retry" };
      }
      failures = step.kind === "retry" ? failures + 1 : 0;
      // Everything from here to the end of the iteration is synchronous, so no trigger can slip
      // between reading `queued` and arming the timer.
      next = queued;
      if (next === null && !stopped) arm(step);
    }
    queued = null;
    busy = false;
    inFlight = null;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  };

  const request = (trigger: Trigger): void => {
    if (stopped) return;
    if (busy) {
      // Coalesce: however many triggers arrive during a run, exactly one more run follows it.
      queued ??= trigger;
      return;
    }
    cancelTimer();
    // `busy` is set before the loop starts: its synchronous part already calls reconcile, which
    // must see the daemon as busy should it (or anything it calls) trigger again.
    busy = true;
    inFlight = loop(trigger);
  };

  let subscription: { close(): Promise<void> } | null = null;
  try {
    subscription = deps.subscribe(() => request("file"));
  } catch (err) {
    // Without a watcher the interval still converges; the caller hears about it.
    report(err);
  }
  request("start");

  const stop = (): Promise<StopResult> => {
    if (stopping !== null) return stopping;
    stopped = true;
    queued = null;
    cancelTimer();
    stopping = (async () => {
      const closeWatcher = (async () => {
        try {
          await subscription?.close();
        } catch (err) {
          report(err);
        }
      })();
      let timedOut = false;
      const running = inFlight;
      if (running !== null) {
        let expire: (timedOut: boolean) => void = () => undefined;
        const expired = new Promise<boolean>((resolve) => (expire = resolve));
        const deadline = deps.setTimer(() => expire(true), deps.stopTimeoutMs);
        timedOut = await Promise.race([running.then(() => false), expired]);
        deadline.cancel();
      }
      await closeWatcher;
      return { timedOut };
    })();
    return stopping;
  };

  const idle = (): Promise<void> =>
    !busy ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve));

  return { stop, idle, reload: () => request("reload") };
}

// Pure (time and randomness come in as functions). Capped exponential backoff with jitter and the
// retry loop every SIP call goes through (SPEC §5: network errors, 5xx, unavailable and
// resource_exhausted/429 are retried; 4xx are not; a create is never blindly replayed).
import { ApiError } from "../model/index.js";

export interface RetryPolicy {
  /** Total attempts including the first; 1 disables retries. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 5_000 };

/**
 * A server asking for a longer pause than this is not waited for inside one command: the error
 * is reported (with its retryAfterMs) and the next run or reconcile tries again.
 */
export const MAX_RETRY_AFTER_MS = 60_000;

/**
 * Delay before retry number `failedAttempts` (1 after the first failure). "Equal jitter": half of
 * the capped exponential step is fixed, half is random, so retries never bunch at zero delay.
 */
export function backoffDelay(policy: RetryPolicy, failedAttempts: number, random: () => number): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failedAttempts - 1));
  const half = step / 2;
  return Math.round(half + clamp01(random()) * half);
}

/** Retry-After as milliseconds from `nowMs`: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

export interface RetryDeps {
  readonly policy: RetryPolicy;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random: () => number;
  /** Aborting it stops the retries: the call rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Before every wait for a retry: how long, and why (the server's Retry-After, when it sent one). */
  readonly onWait?: (wait: RetryWait) => void;
}

export interface RetryWait {
  /** The attempt that failed (1 for the first). */
  readonly attempt: number;
  readonly delayMs: number;
  /** The server's Retry-After, when it sent one. */
  readonly retryAfterMs?: number;
  readonly error: ApiError;
}

/**
 * Runs `attempt(n)` (n = 1, 2, ...) until it resolves, throws something that is not a retryable
 * ApiError, or the policy's attempts are used up. The last error is rethrown unchanged.
 */
export async function withRetry<T>(attempt: (n: number) => Promise<T>, deps: RetryDeps): Promise<T> {
  const maxAttempts = Math.max(1, Math.floor(deps.policy.maxAttempts));
  for (let n = 1; ; n += 1) {
    deps.signal?.throwIfAborted();
    try {
      return await attempt(n);
    } catch (err) {
      deps.signal?.throwIfAborted();
      if (!(err instanceof ApiError) || !err.retryable || n >= maxAttempts) throw err;
      const retryAfter = err.retryAfterMs;
      if (retryAfter !== undefined && retryAfter > MAX_RETRY_AFTER_MS) throw err;
      const delayMs = Math.max(backoffDelay(deps.policy, n, deps.random), retryAfter ?? 0);
      try {
        deps.onWait?.({ attempt: n, delayMs, ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }), error: err });
      } catch {
        // A failing observer must not change what the call does.
      }
      await deps.sleep(delayMs, deps.signal);
    }
  }
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}

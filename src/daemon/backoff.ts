// Pure. Delays of the daemon loop: the jittered resync interval and the capped exponential backoff
// after a failed reconcile (controller-runtime's rate-limited requeue; Argo CD: 5 s ×2, max 3 m).

export interface BackoffPolicy {
  /** Delay before the first retry. */
  readonly baseMs: number;
  /** No delay is ever longer than this. */
  readonly maxMs: number;
  /** Fraction taken off at random (default 0.2), so that many daemons do not retry in step. */
  readonly jitter?: number;
}

export const DEFAULT_BACKOFF_JITTER = 0.2;

/** A random draw forced into [0, 1), so a bad `random` cannot produce a negative or huge delay. */
function unit(random: () => number): number {
  const r = random();
  return Number.isFinite(r) ? Math.min(Math.max(r, 0), 0.999_999) : 0.5;
}

/** `ms` ± `jitter` (a fraction: 0.1 = ±10 %), uniformly. */
export function jitteredDelay(ms: number, jitter: number, random: () => number): number {
  const j = Math.min(Math.max(jitter, 0), 1);
  return Math.max(0, Math.round(ms * (1 + j * (2 * unit(random) - 1))));
}

/**
 * Delay before retry number `attempt` (1 = the first retry): `baseMs · 2^(attempt-1)`, capped at
 * `maxMs`, minus up to `jitter` of it. The jitter only shortens the delay, so the cap holds.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const n = Math.max(1, Math.floor(Number.isFinite(attempt) ? attempt : 1));
  // 2^60 already exceeds any sane cap; clamping the exponent keeps the product finite.
  const raw = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(n - 1, 60));
  const j = Math.min(Math.max(policy.jitter ?? DEFAULT_BACKOFF_JITTER, 0), 1);
  return Math.max(0, Math.round(raw * (1 - j * unit(random))));
}

// Tests the pure delay functions of the daemon loop: interval jitter bounds and capped backoff.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { backoffDelay, jitteredDelay } from "../../../src/daemon/index.js";

describe("jitteredDelay", () => {
  it("stays within ±jitter of the interval for any draw", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1_000, max: 3_600_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (ms, r) => {
        const d = jitteredDelay(ms, 0.1, () => r);
        return d >= Math.floor(ms * 0.9) && d <= Math.ceil(ms * 1.1);
      }),
      { numRuns: 300 },
    );
  });

  it("spans the whole band and centres on the interval", () => {
    expect(jitteredDelay(60_000, 0.1, () => 0)).toBe(54_000);
    expect(jitteredDelay(60_000, 0.1, () => 0.5)).toBe(60_000);
    expect(jitteredDelay(60_000, 0.1, () => 0.999_999)).toBe(66_000);
  });

  it("survives a broken random source", () => {
    expect(jitteredDelay(60_000, 0.1, () => NaN)).toBe(60_000);
    expect(jitteredDelay(60_000, 0.1, () => 7)).toBeLessThanOrEqual(66_000);
    expect(jitteredDelay(60_000, 0.1, () => -3)).toBe(54_000);
  });
});

describe("backoffDelay", () => {
  const policy = { baseMs: 500, maxMs: 30_000 };

  it("doubles per attempt up to the cap", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(n, { ...policy, jitter: 0 }, () => 0.7))).toEqual([
      500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000,
    ]);
  });

  it("never exceeds the cap, never goes below (1 - jitter) of the step, and grows with the attempt", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, r) => {
        const raw = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(n - 1, 60));
        const d = backoffDelay(n, policy, () => r);
        const next = backoffDelay(n + 1, policy, () => r);
        return d <= policy.maxMs && d >= Math.floor(raw * 0.8) && next >= d;
      }),
      { numRuns: 300 },
    );
  });

  it("treats nonsense attempts as the first", () => {
    expect(backoffDelay(0, { ...policy, jitter: 0 }, () => 0)).toBe(500);
    expect(backoffDelay(Number.NaN, { ...policy, jitter: 0 }, () => 0)).toBe(500);
    expect(backoffDelay(1e9, { ...policy, jitter: 0 }, () => 0)).toBe(30_000);
  });
});

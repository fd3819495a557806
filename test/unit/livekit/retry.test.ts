// Tests the pure retry pieces: capped exponential backoff with jitter, Retry-After parsing, and
// the retry loop's decisions (retryable ApiErrors only, attempts bounded).
import { describe, expect, it } from "vitest";
import { ApiError } from "../../../src/model/index.js";
import { DEFAULT_RETRY } from "../../../src/livekit/index.js";
import { backoffDelay, parseRetryAfter, withRetry } from "../../../src/livekit/retry.js";

const policy = { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 1_000 };

function apiError(retryable: boolean, retryAfterMs?: number): ApiError {
  return new ApiError({ method: "ListSIPDispatchRule", twirpCode: "unavailable", status: 503, message: "x", retryable, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
}

describe("backoffDelay", () => {
  it("doubles per attempt, is capped, and jitters within the upper half of the step", () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(policy, n, () => 0))).toEqual([100, 200, 400, 500, 500]);
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(policy, n, () => 1))).toEqual([200, 400, 800, 1000, 1000]);
    expect(backoffDelay(policy, 2, () => 0.25)).toBe(250);
  });

  it("has sane defaults", () => {
    expect(DEFAULT_RETRY).toEqual({ maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 5_000 });
  });
});

describe("parseRetryAfter", () => {
  it("reads delta-seconds and HTTP dates", () => {
    expect(parseRetryAfter("2", 0)).toBe(2000);
    expect(parseRetryAfter("0.5", 0)).toBe(500);
    expect(parseRetryAfter("Thu, 01 Jan 1970 00:00:10 GMT", 4_000)).toBe(6_000);
    expect(parseRetryAfter("Thu, 01 Jan 1970 00:00:10 GMT", 20_000)).toBe(0);
    expect(parseRetryAfter(null, 0)).toBeUndefined();
    expect(parseRetryAfter("soon", 0)).toBeUndefined();
  });
});

describe("withRetry", () => {
  it("retries retryable ApiErrors up to maxAttempts and sleeps between attempts", async () => {
    const sleeps: number[] = [];
    const seen: number[] = [];
    const run = withRetry(
      async (n) => {
        seen.push(n);
        throw apiError(true);
      },
      { policy, sleep: async (ms) => void sleeps.push(ms), random: () => 0 },
    );
    await expect(run).rejects.toBeInstanceOf(ApiError);
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(sleeps).toEqual([100, 200, 400]);
  });

  it("waits at least Retry-After", async () => {
    const sleeps: number[] = [];
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls += 1;
        if (calls === 1) throw apiError(true, 4_000);
        return "ok";
      },
      { policy, sleep: async (ms) => void sleeps.push(ms), random: () => 0 },
    );
    expect(result).toBe("ok");
    expect(sleeps).toEqual([4_000]);
  });

  it("does not retry non-retryable ApiErrors or other errors", async () => {
    const deps = { policy, sleep: async () => undefined, random: () => 0 };
    let calls = 0;
    await expect(withRetry(async () => { calls += 1; throw apiError(false); }, deps)).rejects.toBeInstanceOf(ApiError);
    await expect(withRetry(async () => { calls += 1; throw new TypeError("bug"); }, deps)).rejects.toBeInstanceOf(TypeError);
    expect(calls).toBe(2);
  });
});

// Tests the pure error classification: Twirp bodies, non-Twirp bodies mapped by status, which
// failures are retried, and which writes are ambiguous (SPEC §5).
import { describe, expect, it } from "vitest";
import type { SipMethod } from "../../../src/model/index.js";
import { errorFromFailure, errorFromResponse } from "../../../src/livekit/twirp-error.js";

const ctx = (method: SipMethod) => ({ method, server: "https://lk.example", timeoutMs: 1000, secrets: ["the-secret-value"] });
const json = "application/json";

describe("errorFromResponse", () => {
  it.each([
    // method, status, content type, body, code, retryable, ambiguous
    ["ListSIPDispatchRule", 503, json, '{"code":"unavailable","msg":"x"}', "unavailable", true, false],
    ["ListSIPDispatchRule", 500, json, '{"code":"internal","msg":"x"}', "internal", true, false],
    ["ListSIPDispatchRule", 501, json, '{"code":"unimplemented","msg":"x"}', "unimplemented", false, false],
    ["ListSIPDispatchRule", 502, "text/html", "<html>Bad gateway</html>", "unavailable", true, false],
    ["ListSIPDispatchRule", 429, "text/plain", "slow down", "resource_exhausted", true, false],
    ["ListSIPDispatchRule", 400, json, '{"code":"malformed","msg":"the json request could not be decoded"}', "malformed", false, false],
    ["ListSIPDispatchRule", 404, "text/plain; charset=utf-8", "404 page not found", "bad_route", false, false],
    ["ListSIPDispatchRule", 413, "text/plain", "request body too large", "unknown", false, false],
    ["ListSIPDispatchRule", 418, json, '{"code":"teapot","msg":"x"}', "unknown", false, false],
    ["CreateSIPDispatchRule", 500, json, '{"code":"internal","msg":"x"}', "internal", false, true],
    ["CreateSIPDispatchRule", 503, json, '{"code":"unavailable","msg":"x"}', "unavailable", false, true],
    ["CreateSIPDispatchRule", 429, json, '{"code":"resource_exhausted","msg":"x"}', "resource_exhausted", true, false],
    ["UpdateSIPDispatchRule", 500, json, '{"code":"unknown","msg":"x"}', "unknown", true, true],
    ["DeleteSIPDispatchRule", 404, json, '{"code":"not_found","msg":"requested sip dispatch rule does not exist"}', "not_found", false, false],
  ] as const)("%s HTTP %i %s %s -> %s retryable=%s ambiguous=%s", (method, status, contentType, body, code, retryable, ambiguous) => {
    const err = errorFromResponse(ctx(method), { status, contentType, body, retryAfterMs: undefined });
    expect(err.twirpCode).toBe(code);
    expect(err.status).toBe(status);
    expect(err.retryable).toBe(retryable);
    expect(err.ambiguous).toBe(ambiguous);
  });

  it("a JSON content type without a Twirp shape is classified by status", () => {
    const err = errorFromResponse(ctx("ListSIPDispatchRule"), { status: 401, contentType: json, body: '{"error":"nope"}', retryAfterMs: undefined });
    expect(err.twirpCode).toBe("unauthenticated");
  });

  it("redacts secrets from bodies and points at the Redis setup when the server says so", () => {
    const err = errorFromResponse(ctx("ListSIPDispatchRule"), {
      status: 500,
      contentType: json,
      body: '{"code":"internal","msg":"twirp error unknown: sip not connected (redis required) the-secret-value"}',
      retryAfterMs: 5,
    });
    expect(err.message).not.toContain("the-secret-value");
    expect(err.hint).toMatch(/Redis/);
    expect(err.retryAfterMs).toBe(5);
  });
});

describe("errorFromFailure", () => {
  const refused = new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }) });
  const reset = new TypeError("fetch failed", { cause: Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }) });
  const tls = new TypeError("fetch failed", { cause: Object.assign(new Error("self-signed"), { code: "DEPTH_ZERO_SELF_SIGNED_CERT" }) });

  it.each([
    ["ListSIPDispatchRule", reset, false, "network", true, false],
    ["CreateSIPDispatchRule", refused, false, "network", true, false],
    ["CreateSIPDispatchRule", reset, false, "network", false, true],
    ["DeleteSIPDispatchRule", reset, false, "network", true, true],
    ["CreateSIPDispatchRule", tls, false, "network", false, false],
    ["ListSIPDispatchRule", new Error("aborted"), true, "timeout", true, false],
    ["CreateSIPDispatchRule", new Error("aborted"), true, "timeout", false, true],
  ] as const)("%s %s timedOut=%s -> %s retryable=%s ambiguous=%s", (method, err, timedOut, code, retryable, ambiguous) => {
    const e = errorFromFailure(ctx(method), err, timedOut);
    expect(e.twirpCode).toBe(code);
    expect(e.status).toBe(0);
    expect(e.retryable).toBe(retryable);
    expect(e.ambiguous).toBe(ambiguous);
    expect(e.hint).toBeDefined();
  });

  it("names the server but no credentials", () => {
    const e = errorFromFailure(ctx("ListSIPDispatchRule"), refused, false);
    expect(e.message).toContain("https://lk.example");
    expect(e.message).toContain("ECONNREFUSED");
    expect(e.hint).toContain("--url");
  });
});

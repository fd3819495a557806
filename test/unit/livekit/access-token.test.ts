// Tests the HS256 access token: claims, signature and TTL bound (livekit-sip-api.md §4).
import { describe, expect, it } from "vitest";
import { SignJWT, decodeProtectedHeader, jwtVerify } from "jose";
import { createAccessToken } from "../../../src/livekit/index.js";

const secret = "a-long-enough-api-secret-for-hs256";

describe("createAccessToken", () => {
  it("signs iss, nbf, exp and the sip.admin grant with HS256", async () => {
    const nowMs = 1_750_000_000_123;
    const token = await createAccessToken({ apiKey: "APIkey", apiSecret: secret, nowMs, ttlSeconds: 600 });
    expect(decodeProtectedHeader(token)).toEqual({ alg: "HS256" });
    const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ["HS256"], issuer: "APIkey", currentDate: new Date(nowMs) });
    expect(payload).toEqual({ sip: { admin: true }, iss: "APIkey", nbf: 1_750_000_000, exp: 1_750_000_600 });
  });

  it("never lives longer than 10 minutes", async () => {
    const token = await createAccessToken({ apiKey: "k", apiSecret: secret, nowMs: 0, ttlSeconds: 6 * 3600 });
    const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), { currentDate: new Date(1000) });
    expect((payload.exp ?? 0) - (payload.nbf ?? 0)).toBe(600);
  });

  it("is byte for byte the token jose's SignJWT makes of the same claims", async () => {
    for (const [apiKey, apiSecret] of [["APIkey", secret], ["k\u00e9y", "s\u00e9cr\u00e8t-\u{1F600}-with-utf8"]] as const) {
      const nowMs = 1_750_000_000_999;
      const ours = await createAccessToken({ apiKey, apiSecret, nowMs, ttlSeconds: 600 });
      const theirs = await new SignJWT({ sip: { admin: true } })
        .setProtectedHeader({ alg: "HS256" })
        .setIssuer(apiKey)
        .setNotBefore(1_750_000_000)
        .setExpirationTime(1_750_000_600)
        .sign(new TextEncoder().encode(apiSecret));
      expect(ours).toBe(theirs);
    }
  });

  it("does not verify with another secret", async () => {
    const token = await createAccessToken({ apiKey: "k", apiSecret: secret, nowMs: 0, ttlSeconds: 60 });
    await expect(jwtVerify(token, new TextEncoder().encode("another-secret-of-some-length"), { currentDate: new Date(1000) })).rejects.toThrow();
  });
});

// The token check on its own (livekit-sip-api.md §4.2), with an injected clock.
import { describe, expect, test } from "vitest";
import { checkAuth } from "../../../src/emulator/auth.js";
import { mintToken } from "./http-helpers.js";

const T0 = 1_800_000_000;
const config = { apiKey: "key1", apiSecret: "s3cret", now: () => T0 * 1000 };
const token = (claims: Record<string, unknown>) => mintToken({ iss: "key1", ...claims }, "s3cret");

describe("checkAuth", () => {
  test("'Bearer ' with nothing after it, and no header at all, are anonymous (no grants)", () => {
    expect(checkAuth("Bearer ", undefined, config)).toEqual({ kind: "anonymous" });
    expect(checkAuth(undefined, undefined, config)).toEqual({ kind: "anonymous" });
    expect(checkAuth(undefined, "", config)).toEqual({ kind: "anonymous" });
  });

  test("the header wins over the query token", () => {
    expect(checkAuth("Basic x", token({ exp: T0 + 10, sip: { admin: true } }), config).kind).toBe("reject");
  });

  test("grants: sip.admin true is admin; missing sip or admin false is not", () => {
    expect(checkAuth(`Bearer ${token({ exp: T0 + 10, sip: { admin: true } })}`, undefined, config)).toEqual({ kind: "verified", sipAdmin: true });
    expect(checkAuth(`Bearer ${token({ exp: T0 + 10 })}`, undefined, config)).toEqual({ kind: "verified", sipAdmin: false });
    expect(checkAuth(`Bearer ${token({ exp: T0 + 10, sip: { admin: false, call: true } })}`, undefined, config)).toEqual({ kind: "verified", sipAdmin: false });
  });

  test("leeway boundaries: exp + 60 s is the last valid second, nbf - 60 s the first", () => {
    const at = (claims: Record<string, unknown>) => checkAuth(`Bearer ${token({ sip: { admin: true }, ...claims })}`, undefined, config).kind;
    expect(at({ exp: T0 - 59 })).toBe("verified");
    expect(at({ exp: T0 - 60 })).toBe("reject");
    expect(at({ exp: T0 + 10, nbf: T0 + 60 })).toBe("verified");
    expect(at({ exp: T0 + 10, nbf: T0 + 61 })).toBe("reject");
  });

  test("expired and not yet valid at once: golang-jwt joins both", () => {
    const r = checkAuth(`Bearer ${token({ exp: T0 - 600, nbf: T0 + 600 })}`, undefined, config);
    expect(r).toEqual({ kind: "reject", message: "invalid authorization token: token has invalid claims: token is expired, token is not valid yet" });
  });

  test("a wrong-typed grant is an unparsable token", () => {
    expect(checkAuth(`Bearer ${token({ exp: T0 + 10, sip: { admin: "yes" } })}`, undefined, config)).toEqual({ kind: "reject", message: "invalid authorization token" });
    expect(checkAuth(`Bearer ${mintToken({ iss: "key1", exp: T0 + 10 }, "s3cret", { alg: "XX1" })}`, undefined, config)).toEqual({ kind: "reject", message: "invalid authorization token" });
  });
});

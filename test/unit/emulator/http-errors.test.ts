// Every row of livekit-sip-api.md §7's table that applies to the emulator, over real HTTP.
import { describe, expect, test } from "vitest";
import { startEmulator } from "../../support/emulator.js";
import { adminToken, call, createRule, direct, mintToken, ok } from "./http-helpers.js";

const twirpError = (code: string, msg: string) => ({ code, msg });

describe("auth middleware: plain-text 401s (§4.2)", () => {
  test("a header without 'Bearer ' is rejected before routing, even on unknown paths", async () => {
    const em = await startEmulator();
    for (const path of ["/twirp/livekit.SIP/ListSIPDispatchRule", "/nowhere"]) {
      const r = await call(em, "", {}, { authorization: "Basic abc", path });
      expect(r.status).toBe(401);
      expect(r.contentType).toBe("text/plain; charset=utf-8");
      expect(r.text).toBe("invalid authorization header. Must start with Bearer ");
    }
  });

  test.each([
    ["not a JWT", "abc"],
    ["two segments", "a.b"],
    ["payload not JSON", `${Buffer.from('{"alg":"HS256"}').toString("base64url")}.bm90anNvbg.sig`],
    ["exp is a string", mintToken({ iss: "devkey", exp: "soon", sip: { admin: true } }, "secret")],
  ])("an unparsable token (%s) is 'invalid authorization token'", async (_, token) => {
    const em = await startEmulator();
    const r = await call(em, "ListSIPDispatchRule", {}, { token });
    expect([r.status, r.text]).toEqual([401, "invalid authorization token"]);
  });

  test("a token from another API key is 'invalid API key'", async () => {
    const em = await startEmulator();
    const r = await call(em, "ListSIPDispatchRule", {}, { token: adminToken({ apiKey: "otherkey", apiSecret: em.apiSecret }) });
    expect([r.status, r.text]).toEqual([401, "invalid API key"]);
  });

  test("bad signature, expiry, nbf, missing exp and a non-HS256 alg carry golang-jwt's texts", async () => {
    const em = await startEmulator();
    const now = Math.floor(Date.now() / 1000);
    const base = { iss: em.apiKey, sip: { admin: true } };
    const cases: [string, string][] = [
      [mintToken({ ...base, exp: now + 600 }, "wrong-secret"), "invalid authorization token: token signature is invalid: signature is invalid"],
      [mintToken({ ...base, exp: now - 61 }, em.apiSecret), "invalid authorization token: token has invalid claims: token is expired"],
      [mintToken({ ...base, exp: now + 600, nbf: now + 120 }, em.apiSecret), "invalid authorization token: token has invalid claims: token is not valid yet"],
      [mintToken({ ...base }, em.apiSecret), "invalid authorization token: token has invalid claims: token is missing required claim: exp claim is required"],
      [mintToken({ ...base, exp: now + 600 }, em.apiSecret, { alg: "HS512" }), "invalid authorization token: token signature is invalid: signing method HS512 is invalid"],
    ];
    for (const [token, text] of cases) {
      const r = await call(em, "ListSIPDispatchRule", {}, { token });
      expect({ status: r.status, text: r.text }).toEqual({ status: 401, text });
    }
  });

  test("60 s of leeway on exp and nbf", async () => {
    const em = await startEmulator();
    const now = Math.floor(Date.now() / 1000);
    const base = { iss: em.apiKey, sip: { admin: true } };
    for (const claims of [{ exp: now - 50 }, { exp: now + 600, nbf: now + 50 }]) {
      const r = await call(em, "ListSIPDispatchRule", {}, { token: mintToken({ ...base, ...claims }, em.apiSecret) });
      expect(r.status).toBe(200);
    }
  });

  test("the access_token query parameter is used when there is no header", async () => {
    const em = await startEmulator();
    const r = await call(em, "", {}, { token: null, path: `/twirp/livekit.SIP/ListSIPDispatchRule?access_token=${adminToken(em)}` });
    expect(r.status).toBe(200);
  });
});

describe("grant check: Twirp JSON 401 (§4.2)", () => {
  test("no token -> unauthenticated 'permissions denied'", async () => {
    const em = await startEmulator();
    const r = await call(em, "ListSIPDispatchRule", {}, { token: null });
    expect(r.status).toBe(401);
    expect(r.contentType).toBe("application/json");
    expect(r.json).toEqual(twirpError("unauthenticated", "permissions denied"));
  });

  test("a valid token without sip.admin (only sip.call) -> permissions denied", async () => {
    const em = await startEmulator();
    const r = await call(em, "CreateSIPDispatchRule", { dispatch_rule: { rule: direct("r") } }, { token: adminToken(em, { sip: { call: true } }) });
    expect([r.status, r.json]).toEqual([401, twirpError("unauthenticated", "permissions denied")]);
    expect(em.control.rules()).toEqual([]);
  });

  test("decoding comes before the grant check: a malformed body without a token is malformed", async () => {
    const em = await startEmulator();
    const r = await call(em, "ListSIPDispatchRule", {}, { token: null, raw: "{" });
    expect([r.status, r.json]).toEqual([400, twirpError("malformed", "the json request could not be decoded")]);
  });
});

describe("routing (§1, §6, §7)", () => {
  test("paths off the SIP prefix are Go's plain '404 page not found'", async () => {
    const em = await startEmulator();
    for (const path of ["/twirp/livekit.RoomService/ListRooms", "/settings/regions", "/twirp/livekit.SIPX/ListSIPDispatchRule"]) {
      const r = await call(em, "", {}, { path });
      expect([r.status, r.text, r.contentType]).toEqual([404, "404 page not found\n", "text/plain; charset=utf-8"]);
    }
  });

  test("non-POST is bad_route with the method quoted and the route in meta", async () => {
    const em = await startEmulator();
    const r = await call(em, "ListSIPDispatchRule", undefined, { httpMethod: "GET" });
    expect(r.status).toBe(404);
    expect(r.json).toEqual({
      code: "bad_route",
      msg: 'unsupported method "GET" (only POST is allowed)',
      meta: { twirp_invalid_route: "GET /twirp/livekit.SIP/ListSIPDispatchRule" },
    });
  });

  test("an unknown method is bad_route 'no handler for path'", async () => {
    const em = await startEmulator();
    for (const method of ["listSIPDispatchRule", "GetSIPDispatchRule", "ListSIPDispatchRule/x"]) {
      const r = await call(em, method);
      const path = `/twirp/livekit.SIP/${method}`;
      expect([r.status, r.json]).toEqual([404, { code: "bad_route", msg: `no handler for path "${path}"`, meta: { twirp_invalid_route: `POST ${path}` } }]);
    }
  });

  test("a leading double slash is collapsed (RemoveDoubleSlashes)", async () => {
    const em = await startEmulator();
    const r = await call(em, "", {}, { path: "//twirp/livekit.SIP/ListSIPDispatchRule" });
    expect([r.status, r.json]).toEqual([200, { items: [] }]);
  });

  test("Content-Type: json with parameters is fine; anything else is bad_route quoting the header", async () => {
    const em = await startEmulator();
    expect((await call(em, "ListSIPDispatchRule", {}, { contentType: "Application/JSON ; charset=UTF-8" })).status).toBe(200);
    for (const contentType of ["text/plain", "application/x-www-form-urlencoded"]) {
      const r = await call(em, "ListSIPDispatchRule", {}, { contentType });
      expect([r.status, r.json]).toEqual([
        404,
        { code: "bad_route", msg: `unexpected Content-Type: "${contentType}"`, meta: { twirp_invalid_route: "POST /twirp/livekit.SIP/ListSIPDispatchRule" } },
      ]);
    }
    const none = await call(em, "ListSIPDispatchRule", {}, { contentType: null, raw: "{}" });
    expect(none.status).toBe(404);
    expect((none.json as { msg: string }).msg).toMatch(/^unexpected Content-Type: "/);
  });

  test("bodies over 10 MiB are a plain-text 413", async () => {
    const em = await startEmulator({ maxBodyBytes: 1024 });
    const r = await call(em, "ListSIPDispatchRule", {}, { raw: `{"trunk_ids":["${"x".repeat(2000)}"]}` });
    expect([r.status, r.text]).toEqual([413, "request body too large"]);
  });

  test("successful answers are application/json", async () => {
    const em = await startEmulator();
    const r = await call(em, "ListSIPDispatchRule");
    expect([r.status, r.contentType]).toEqual([200, "application/json"]);
  });
});

describe("malformed bodies (§3.1)", () => {
  test.each([
    ["an empty body", ""],
    ["invalid JSON", "{"],
    ["a JSON array", "[]"],
    ["null", "null"],
    ["both spellings of one field", '{"trunk_ids":["a"],"trunkIds":["b"]}'],
    ["the same key twice", '{"trunk_ids":["a"],"trunk_ids":["b"]}'],
    ["a wrong type", '{"trunk_ids":"a"}'],
    ["null inside a list", '{"trunk_ids":[null]}'],
    ["a limit out of int32 range", '{"page":{"limit":3000000000}}'],
    ["a fractional limit", '{"page":{"limit":1.5}}'],
    ["invalid UTF-8 is checked too", "{\"trunk_ids\":[\"\u00ff\"]}"],
  ])("%s -> 400 malformed", async (name, raw) => {
    const em = await startEmulator();
    const body = name.startsWith("invalid UTF-8") ? undefined : raw;
    let r;
    if (body === undefined) {
      const res = await fetch(`${em.url}/twirp/livekit.SIP/ListSIPDispatchRule`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${adminToken(em)}` },
        body: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]),
      });
      r = { status: res.status, json: await res.json() };
    } else {
      r = await call(em, "ListSIPDispatchRule", {}, { raw: body });
    }
    expect([r.status, r.json]).toEqual([400, twirpError("malformed", "the json request could not be decoded")]);
  });

  test("two members of one oneof -> malformed; a null member does not count", async () => {
    const em = await startEmulator();
    const two = await call(em, "CreateSIPDispatchRule", {
      dispatch_rule: { rule: { dispatch_rule_direct: { room_name: "a" }, dispatchRuleIndividual: { roomPrefix: "b" } } },
    });
    expect([two.status, two.json]).toEqual([400, twirpError("malformed", "the json request could not be decoded")]);
    const withNull = await call(em, "CreateSIPDispatchRule", {
      dispatch_rule: { rule: { dispatch_rule_direct: null, dispatchRuleIndividual: { roomPrefix: "b" } } },
    });
    expect(withNull.status).toBe(200);
    const action = await call(em, "UpdateSIPDispatchRule", { sip_dispatch_rule_id: "SDR_x", replace: { rule: direct("a") }, update: {} });
    expect(action.status).toBe(400);
    expect((action.json as { code: string }).code).toBe("malformed");
  });

  test("unknown fields are dropped, and trailing bytes after the first value are not read", async () => {
    const em = await startEmulator();
    const r = await call(em, "CreateSIPDispatchRule", {}, { raw: '{"dispatch_rule":{"rule":{"dispatch_rule_direct":{"room_name":"r"}},"future_field":1,"name":"n"},"x":[]} trailing' });
    expect(r.status).toBe(200);
    expect(r.json).not.toHaveProperty("future_field");
    expect((r.json as { name: string }).name).toBe("n");
  });
});

describe("validation and not_found (§5, §7)", () => {
  const invalid = (msg: string) => [400, twirpError("invalid_argument", msg)];

  test("Create: rule id must not be set, missing rule (both forms), unsupported rule, media messages", async () => {
    const em = await startEmulator();
    const cases: [unknown, string][] = [
      [{ dispatch_rule: { sip_dispatch_rule_id: "SDR_abc", rule: direct("r") } }, "rule id must not be set"],
      [{ dispatch_rule: { name: "no rule" } }, "missing rule"],
      [{ name: "legacy without rule" }, "missing rule"],
      [{}, "missing rule"],
      [{ dispatch_rule: { rule: {} } }, "twirp error unknown: unsupported SIP Dispatch Rule: <nil>"],
      [{ rule: {} }, "twirp error unknown: unsupported SIP Dispatch Rule: <nil>"],
      [{ dispatch_rule: { rule: direct("r"), media: { codecs: [{ name: "" }] } } }, "missing codec name"],
      [{ dispatch_rule: { rule: direct("r"), media: { codecs: [{ name: "PCM U" }] } } }, "invalid codec name"],
      [{ dispatch_rule: { rule: direct("r"), media: { codecs: [{ name: "PCMU/8000" }] } } }, "codec name must not contain '/'"],
      [{ dispatch_rule: { rule: direct("r"), media: { media_timeout: "-1s" } } }, "media_timeout must not be negative"],
      [{ dispatch_rule: { rule: direct("r"), media: { mediaTimeout: "600.5s" } } }, "media_timeout must not exceed 10m0s"],
    ];
    for (const [body, msg] of cases) {
      const r = await call(em, "CreateSIPDispatchRule", body);
      expect([r.status, r.json], JSON.stringify(body)).toEqual(invalid(msg));
    }
    expect(em.control.rules()).toEqual([]);
    expect((await call(em, "CreateSIPDispatchRule", { dispatch_rule: { rule: direct("r"), media: { media_timeout: "600s" } } })).status).toBe(200);
  });

  test("Update: rule id must be set, missing action, id mismatch, list update messages, missing rule; then not_found", async () => {
    const em = await startEmulator();
    const rule = await createRule(em, { rule: direct("r"), name: "a" });
    const id = rule.sip_dispatch_rule_id as string;
    const cases: [unknown, string][] = [
      [{ replace: { rule: direct("r") } }, "rule id must be set"],
      [{ sip_dispatch_rule_id: id }, "missing or unsupported update action"],
      [{ sip_dispatch_rule_id: id, replace: null }, "missing or unsupported update action"],
      [{ sip_dispatch_rule_id: id, replace: { sip_dispatch_rule_id: "SDR_other", rule: direct("r") } }, "rule id in the info must be empty or match the id in the update"],
      [{ sip_dispatch_rule_id: id, replace: { name: "x" } }, "missing rule"],
      [{ sip_dispatch_rule_id: id, update: { trunk_ids: { set: [] } } }, "unsupported list update operation"],
      [{ sip_dispatch_rule_id: id, update: { trunk_ids: {} } }, "unsupported list update operation"],
      [{ sip_dispatch_rule_id: id, update: { trunk_ids: { clear: true, add: ["a"] } } }, "cannot clear and change the list at the same time"],
      [{ sip_dispatch_rule_id: id, update: { trunk_ids: { set: ["a"], remove: ["b"] } } }, "cannot set and change the list at the same time"],
      [{ sip_dispatch_rule_id: id, update: { trunk_ids: { add: ["a", ""] } } }, "empty element in the list"],
      [{ sip_dispatch_rule_id: id, update: { media: { codecs: [{ name: "a/b" }] } } }, "codec name must not contain '/'"],
    ];
    for (const [body, msg] of cases) {
      const r = await call(em, "UpdateSIPDispatchRule", body);
      expect([r.status, r.json], JSON.stringify(body)).toEqual(invalid(msg));
    }
    // Validation happens before the load, so an unknown ID with a bad request is still invalid_argument.
    const badUnknown = await call(em, "UpdateSIPDispatchRule", { sip_dispatch_rule_id: "SDR_missing", update: { trunk_ids: {} } });
    expect(badUnknown.status).toBe(400);
    for (const body of [{ sip_dispatch_rule_id: "SDR_missing", replace: { rule: direct("r") } }, { sip_dispatch_rule_id: "SDR_missing", update: {} }]) {
      const r = await call(em, "UpdateSIPDispatchRule", body);
      expect([r.status, r.json]).toEqual([404, twirpError("not_found", "requested sip dispatch rule does not exist")]);
    }
  });

  test("Delete: empty ID, unknown ID, success returns the deleted rule", async () => {
    const em = await startEmulator();
    const rule = await createRule(em, { rule: direct("r") });
    expect(await Promise.all([call(em, "DeleteSIPDispatchRule", {}), call(em, "DeleteSIPDispatchRule", { sipDispatchRuleId: "SDR_nope" })]).then((rs) => rs.map((r) => [r.status, r.json]))).toEqual([
      invalid("dispatch rule ID is required"),
      [404, twirpError("not_found", "requested sip dispatch rule does not exist")],
    ]);
    expect(await ok(em, "DeleteSIPDispatchRule", { sip_dispatch_rule_id: rule.sip_dispatch_rule_id })).toEqual(rule);
    expect(em.control.rules()).toEqual([]);
    const again = await call(em, "DeleteSIPDispatchRule", { sip_dispatch_rule_id: rule.sip_dispatch_rule_id });
    expect(again.status).toBe(404);
  });

  test("the old-server switch: Update is 'no handler for path', after auth", async () => {
    const em = await startEmulator({ features: { update: false } });
    const r = await call(em, "UpdateSIPDispatchRule", { sip_dispatch_rule_id: "SDR_x", update: {} });
    expect([r.status, r.json]).toEqual([
      404,
      { code: "bad_route", msg: 'no handler for path "/twirp/livekit.SIP/UpdateSIPDispatchRule"', meta: { twirp_invalid_route: "POST /twirp/livekit.SIP/UpdateSIPDispatchRule" } },
    ]);
    const unauth = await call(em, "UpdateSIPDispatchRule", {}, { authorization: "Token x" });
    expect(unauth.status).toBe(401);
    expect(unauth.json).toBeUndefined();
    em.control.setFeatures({ update: true });
    expect((await call(em, "UpdateSIPDispatchRule", { sip_dispatch_rule_id: "SDR_x", update: {} })).status).toBe(404);
  });

  test("pre-v1.9.0 Create (dispatchRuleField: false) drops dispatch_rule, so the wrapper form is 'missing rule'", async () => {
    const em = await startEmulator({ features: { dispatchRuleField: false } });
    const r = await call(em, "CreateSIPDispatchRule", { dispatch_rule: { rule: direct("r") } });
    expect([r.status, r.json]).toEqual(invalid("missing rule"));
    // The compatibility trick of §6: both forms at once works on old and new servers.
    const both = await call(em, "CreateSIPDispatchRule", { dispatch_rule: { rule: direct("new") }, rule: direct("old") });
    expect((both.json as { rule: unknown }).rule).toEqual({ dispatch_rule_direct: { room_name: "old", pin: "" } });
  });
});

// Tests the SipClient against a scripted loopback server: request shape, paging, token reuse,
// retries and timeouts, create ambiguity, the legacy Create fallback, the Update probe, and every
// kind of bad server input (SPEC §5 fail closed).
import { afterEach, describe, expect, it } from "vitest";
import { decodeJwt, jwtVerify } from "jose";
import { ApiError, type SipClient } from "../../../src/model/index.js";
import { createNodeTransport, createSipClient, isUpdateUnsupported, type ApiCallEvent, type SipClientOptions } from "../../../src/livekit/index.js";
import { startScriptedServer, twirpError, type ScriptedServer } from "../../support/scripted-server.js";

const API_KEY = "APIdevkey";
const API_SECRET = "dev-secret-0123456789abcdefghijklmnop";

let server: ScriptedServer;
afterEach(async () => {
  await server?.stop();
});

/** A rule as the open-source server emits it: snake_case, every default present (livekit-sip-api.md §3.1). */
function serverRule(id: string, name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sip_dispatch_rule_id: id,
    rule: { dispatch_rule_individual: { room_prefix: "call-", pin: "", no_randomness: false } },
    trunk_ids: [],
    hide_phone_number: false,
    inbound_numbers: [],
    numbers: [],
    name,
    metadata: "",
    attributes: {},
    room_preset: "",
    room_config: null,
    media: null,
    krisp_enabled: false,
    media_encryption: "SIP_MEDIA_ENCRYPT_DISABLE",
    created_at: null,
    updated_at: null,
    ...extra,
  };
}

interface Harness {
  readonly client: SipClient;
  readonly sleeps: number[];
  readonly events: ApiCallEvent[];
}

async function harness(extra: Partial<SipClientOptions> = {}): Promise<Harness> {
  server ??= await startScriptedServer();
  const sleeps: number[] = [];
  const events: ApiCallEvent[] = [];
  const client = createSipClient({
    url: server.url,
    apiKey: API_KEY,
    apiSecret: API_SECRET,
    timeoutMs: 2_000,
    sleep: async (ms) => void sleeps.push(ms),
    random: () => 0.5,
    onApiCall: (e) => events.push(e),
    ...extra,
  });
  return { client, sleeps, events };
}

async function fresh(extra: Partial<SipClientOptions> = {}): Promise<Harness> {
  server = await startScriptedServer();
  return harness(extra);
}

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

describe("request shape", () => {
  it("POSTs JSON to /twirp/livekit.SIP/<Method> with a bearer token and X-Twirp-Timeout-Ms", async () => {
    const { client } = await fresh({ timeoutMs: 1_234 });
    server.enqueue({ json: { items: [] } });
    await client.listRules();
    const req = server.requests[0];
    expect(req?.method).toBe("POST");
    expect(req?.path).toBe("/twirp/livekit.SIP/ListSIPDispatchRule");
    expect(req?.headers["content-type"]).toBe("application/json");
    expect(req?.headers["x-twirp-timeout-ms"]).toBe("1234");
    expect(req?.headers.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    expect(req?.json).toEqual({ page: { limit: 500 } });
  });

  it("uses the ws->http mapped base URL and reports it as `server`", async () => {
    server = await startScriptedServer();
    const wsUrl = server.url.replace(/^http/, "ws");
    const { client } = await harness({ url: wsUrl });
    expect(client.server).toBe(server.url);
    server.enqueue({ json: { items: [] } });
    await expect(client.listRules()).resolves.toEqual([]);
  });

  it("sends the Delete and Update bodies the protocol names", async () => {
    const { client } = await fresh();
    server.enqueue({ json: serverRule("SDR_a", "x") }, { json: serverRule("SDR_a", "x") });
    await client.deleteRule("SDR_a");
    const updated = await client.updateRule("SDR_a", { name: "x", individual: { roomPrefix: "call-" } });
    expect(server.requests.map((r) => r.path)).toEqual(["/twirp/livekit.SIP/DeleteSIPDispatchRule", "/twirp/livekit.SIP/UpdateSIPDispatchRule"]);
    expect(server.requests[0]?.json).toEqual({ sipDispatchRuleId: "SDR_a" });
    expect(server.requests[1]?.json).toEqual({ sipDispatchRuleId: "SDR_a", replace: { rule: { dispatchRuleIndividual: { roomPrefix: "call-" } }, name: "x" } });
    expect(updated.id).toBe("SDR_a");
    expect(updated.spec.individual?.roomPrefix).toBe("call-");
  });
});

describe("token", () => {
  it("is HS256 with iss, nbf, exp <= 10 min and sip.admin, and is reused across calls", async () => {
    let clock = 1_700_000_000_000;
    const { client } = await fresh({ now: () => clock });
    server.enqueue({ json: { items: [] } }, { json: { items: [] } });
    await client.listRules();
    clock += 5 * 60_000;
    await client.listRules();
    const tokens = server.requests.map((r) => String(r.headers.authorization).slice("Bearer ".length));
    expect(new Set(tokens).size).toBe(1);
    const token = tokens[0] ?? "";
    const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(API_SECRET), {
      algorithms: ["HS256"],
      issuer: API_KEY,
      currentDate: new Date(1_700_000_000_000 + 1000),
    });
    expect(protectedHeader.alg).toBe("HS256");
    expect(payload.sip).toEqual({ admin: true });
    expect(payload.nbf).toBe(1_700_000_000);
    expect((payload.exp ?? 0) - (payload.nbf ?? 0)).toBeLessThanOrEqual(600);
    expect((payload.exp ?? 0) - (payload.nbf ?? 0)).toBeGreaterThan(60);
  });

  it("is re-signed when less than a minute of it is left", async () => {
    let clock = 1_700_000_000_000;
    const { client } = await fresh({ now: () => clock });
    server.enqueue({ json: { items: [] } }, { json: { items: [] } });
    await client.listRules();
    clock += 9.5 * 60_000;
    await client.listRules();
    const tokens = server.requests.map((r) => String(r.headers.authorization).slice("Bearer ".length));
    expect(new Set(tokens).size).toBe(2);
    expect(decodeJwt(tokens[1] ?? "").nbf).toBe(1_700_000_000 + 570);
  });
});

describe("listRules paging", () => {
  it("reads the open-source server's single answer and stops at the empty page", async () => {
    const { client } = await fresh();
    server.enqueue({ json: { items: [serverRule("SDR_a", "a"), serverRule("SDR_b", "b")] } }, { json: { items: [] } });
    const rules = await client.listRules();
    expect(rules.map((r) => r.id)).toEqual(["SDR_a", "SDR_b"]);
    expect(server.requests.map((r) => r.json)).toEqual([{ page: { limit: 500 } }, { page: { afterId: "SDR_b", limit: 500 } }]);
  });

  it("walks 3 pages with after_id", async () => {
    const { client } = await fresh({ pageLimit: 2 });
    server.enqueue(
      { json: { items: [serverRule("SDR_1", "one"), serverRule("SDR_2", "two")] } },
      { json: { items: [serverRule("SDR_3", "three"), serverRule("SDR_4", "four")] } },
      { json: { items: [serverRule("SDR_5", "five")] } },
      { json: { items: [] } },
    );
    const rules = await client.listRules();
    expect(rules.map((r) => r.spec.name)).toEqual(["one", "two", "three", "four", "five"]);
    expect(server.requests.map((r) => r.json)).toEqual([
      { page: { limit: 2 } },
      { page: { afterId: "SDR_2", limit: 2 } },
      { page: { afterId: "SDR_4", limit: 2 } },
      { page: { afterId: "SDR_5", limit: 2 } },
    ]);
  });

  it("a rule ID repeated on a later page makes the list malformed (the later copy never wins)", async () => {
    const { client } = await fresh({ pageLimit: 2 });
    server.enqueue(
      { json: { items: [serverRule("SDR_1", "one"), serverRule("SDR_2", "two")] } },
      { json: { items: [serverRule("SDR_2", "impostor"), serverRule("SDR_3", "three")] } },
    );
    const err = await rejection(client.listRules());
    expect(err.twirpCode).toBe("bad_response");
    expect(err.message).toMatch(/malformed list: .*SDR_2/);
  });

  it("a rule ID repeated within one answer makes the list malformed", async () => {
    const { client } = await fresh();
    server.enqueue({ json: { items: [serverRule("SDR_1", "real"), serverRule("SDR_1", "copy")] } });
    const err = await rejection(client.listRules());
    expect(err.message).toMatch(/malformed list: rule ID SDR_1 appears twice/);
    expect(err.hint).toMatch(/nothing was changed/);
  });

  it("a page that goes back before after_id, or is out of order, makes the list malformed", async () => {
    const { client } = await fresh({ pageLimit: 2 });
    server.enqueue(
      { json: { items: [serverRule("SDR_3", "three"), serverRule("SDR_4", "four")] } },
      { json: { items: [serverRule("SDR_1", "one"), serverRule("SDR_5", "five")] } },
    );
    expect((await rejection(client.listRules())).message).toMatch(/page 2 holds rule ID SDR_1, not after SDR_4/);
    const second = await fresh({ pageLimit: 3 });
    server.enqueue(
      { json: { items: [serverRule("SDR_1", "one"), serverRule("SDR_2", "two")] } },
      { json: { items: [serverRule("SDR_7", "seven"), serverRule("SDR_5", "five")] } },
    );
    expect((await rejection(second.client.listRules())).message).toMatch(/page 2 is not sorted by rule ID \(SDR_7 before SDR_5\)/);
  });

  it("an unsorted first answer that is not repeated (so not a server without paging) is malformed", async () => {
    const { client } = await fresh();
    server.enqueue({ json: { items: [serverRule("SDR_b", "b"), serverRule("SDR_a", "a")] } }, { json: { items: [] } });
    expect((await rejection(client.listRules())).message).toMatch(/page 1 is not sorted/);
  });

  it("a server that ignores `page` and answers unsorted (Redis HVALS order, before v1.8.4) is read once", async () => {
    const all = { json: { items: [serverRule("SDR_b", "b"), serverRule("SDR_a", "a")] } };
    server = await startScriptedServer({ fallback: all });
    const { client } = await harness();
    expect((await client.listRules()).map((r) => r.id)).toEqual(["SDR_a", "SDR_b"]);
    expect(server.requests).toHaveLength(2);
  });

  it("more pages than --max-list-pages: fails closed naming the bound", async () => {
    let n = 0;
    const { client } = await fresh({ pageLimit: 1, maxListPages: 5 });
    for (let i = 0; i < 6; i++) server.enqueue({ json: { items: [serverRule(`SDR_${String(++n).padStart(4, "0")}`, `r${n}`)] } });
    const err = await rejection(client.listRules());
    expect(err.message).toMatch(/did not end within 5 pages/);
    expect(err.hint).toMatch(/--max-list-pages/);
    expect(server.requests).toHaveLength(5);
  });

  it("an answer past --max-answer-bytes fails closed", async () => {
    const { client } = await fresh({ maxAnswerBytes: 2_000 });
    const items = Array.from({ length: 40 }, (_, i) => serverRule(`SDR_${String(i).padStart(4, "0")}`, `rule-${i}`));
    server.enqueue({ json: { items } });
    const err = await rejection(client.listRules());
    expect(err.message).toMatch(/larger than 2000 bytes/);
    expect(err.retryable).toBe(false);
  });

  it("stops when a server that ignores `page` repeats everything (servers before v1.8.4)", async () => {
    const all = { json: { items: [serverRule("SDR_a", "a"), serverRule("SDR_b", "b")] } };
    server = await startScriptedServer({ fallback: all });
    const { client } = await harness();
    const rules = await client.listRules();
    expect(rules).toHaveLength(2);
    expect(server.requests).toHaveLength(2);
  });

  it("accepts camelCase answers (as `lk ... --json` or a camelCase server would write)", async () => {
    const { client } = await fresh();
    server.enqueue({ json: { items: [{ sipDispatchRuleId: "SDR_c", name: "c", rule: { dispatchRuleDirect: { roomName: "r" } }, trunkIds: ["ST_1"] }] } }, { json: { items: [] } });
    const [rule] = await client.listRules();
    expect(rule).toEqual({ id: "SDR_c", spec: { name: "c", direct: { roomName: "r" }, trunkIds: ["ST_1"] } });
  });
});

describe("retries", () => {
  it("retries a 503 and succeeds, honouring Retry-After through the injected sleep", async () => {
    const { client, sleeps, events } = await fresh();
    server.enqueue(
      { status: 503, body: "upstream unavailable", contentType: "text/plain", headers: { "Retry-After": "3" } },
      twirpError(503, "unavailable", "try later"),
      { json: { items: [serverRule("SDR_a", "a")] } },
      { json: { items: [] } },
    );
    const rules = await client.listRules();
    expect(rules).toHaveLength(1);
    expect(server.requestsFor("ListSIPDispatchRule")).toHaveLength(4);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBe(3_000);
    // Equal jitter with random() = 0.5 on the second step of 200 ms * 2 = 400 ms.
    expect(sleeps[1]).toBe(300);
    expect(events.map((e) => [e.code, e.status, e.attempt])).toEqual([
      ["unavailable", 503, 1],
      ["unavailable", 503, 2],
      ["ok", 200, 3],
      ["ok", 200, 1],
    ]);
  });

  it("retries 429 resource_exhausted, also for Create (throttling happens before the handler)", async () => {
    const { client, sleeps } = await fresh();
    server.enqueue(twirpError(429, "resource_exhausted", "rate limited"), { json: serverRule("SDR_new", "n") });
    const created = await client.createRule({ name: "n", individual: { roomPrefix: "call-" } });
    expect(created.id).toBe("SDR_new");
    expect(server.requests).toHaveLength(2);
    expect(sleeps).toHaveLength(1);
  });

  it("gives up after maxAttempts and reports the last error as retryable", async () => {
    server = await startScriptedServer({ fallback: twirpError(500, "internal", "boom") });
    const { client, sleeps } = await harness({ retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 150 } });
    const err = await rejection(client.listRules());
    expect(err.twirpCode).toBe("internal");
    expect(err.status).toBe(500);
    expect(err.retryable).toBe(true);
    expect(server.requests).toHaveLength(3);
    expect(sleeps).toEqual([75, 113]);
  });

  it("never retries a 4xx", async () => {
    const { client, sleeps } = await fresh();
    server.enqueue(twirpError(400, "invalid_argument", "dispatch rule ID is required"));
    const err = await rejection(client.deleteRule(""));
    expect(err.twirpCode).toBe("invalid_argument");
    expect(err.status).toBe(400);
    expect(err.retryable).toBe(false);
    expect(server.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("does not wait for a Retry-After beyond a minute", async () => {
    const { client, sleeps } = await fresh();
    server.enqueue({ ...twirpError(429, "resource_exhausted", "slow down"), headers: { "Retry-After": "3600" } });
    const err = await rejection(client.listRules());
    expect(err.retryAfterMs).toBe(3_600_000);
    expect(server.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("retries a List that timed out", async () => {
    const { client, events } = await fresh({ timeoutMs: 100 });
    server.enqueue({ json: { items: [] }, delayMs: 1_000 }, { json: { items: [] } });
    await expect(client.listRules()).resolves.toEqual([]);
    expect(events.map((e) => e.code)).toEqual(["timeout", "ok"]);
  });

  it("retries Create when the connection was refused (the request was never sent)", async () => {
    const gone = await startScriptedServer();
    const url = gone.url;
    await gone.stop();
    server = await startScriptedServer();
    const { client, events } = await harness({ url });
    const err = await rejection(client.createRule({ name: "n", direct: { roomName: "r" } }));
    expect(err.twirpCode).toBe("network");
    expect(err.ambiguous).toBe(false);
    expect(err.hint).toContain(url);
    expect(events.map((e) => e.attempt)).toEqual([1, 2, 3, 4]);
  });
});

describe("Create is never blindly replayed", () => {
  const spec = { name: "n", direct: { roomName: "r" } } as const;

  it("after a timeout: one request, ambiguous", async () => {
    const { client } = await fresh({ timeoutMs: 100 });
    server.enqueue({ json: serverRule("SDR_x", "n"), delayMs: 1_000 });
    const err = await rejection(client.createRule(spec));
    expect(err.twirpCode).toBe("timeout");
    expect(err.ambiguous).toBe(true);
    expect(err.retryable).toBe(false);
    expect(server.requests).toHaveLength(1);
  });

  it("after a 5xx: one request, ambiguous", async () => {
    const { client } = await fresh();
    server.enqueue(twirpError(500, "internal", "Internal service panic"));
    const err = await rejection(client.createRule(spec));
    expect(err.ambiguous).toBe(true);
    expect(err.retryable).toBe(false);
    expect(server.requests).toHaveLength(1);
  });

  it("after the connection broke once the request was sent: one request, ambiguous", async () => {
    const { client } = await fresh();
    server.enqueue({ destroy: "before-headers" });
    const err = await rejection(client.createRule(spec));
    expect(err.twirpCode).toBe("network");
    expect(err.ambiguous).toBe(true);
    expect(server.requests).toHaveLength(1);
  });

  it("after a 2xx whose body cannot be read: one request, ambiguous bad_response", async () => {
    const { client } = await fresh();
    server.enqueue({ json: serverRule("SDR_x", "n"), destroy: "mid-body" });
    const err = await rejection(client.createRule(spec));
    expect(err.twirpCode).toBe("bad_response");
    expect(err.ambiguous).toBe(true);
    expect(server.requests).toHaveLength(1);
  });
});

describe("legacy Create fallback (servers before v1.9.0)", () => {
  it("resends the top-level form after `missing rule`, then keeps using it", async () => {
    const { client } = await fresh();
    server.enqueue(twirpError(400, "invalid_argument", "missing rule"), { json: serverRule("SDR_1", "a") }, { json: serverRule("SDR_2", "b") });
    const spec = { name: "a", individual: { roomPrefix: "call-" }, trunkIds: ["ST_1"], attributes: { k: "v" } };
    await expect(client.createRule(spec)).resolves.toMatchObject({ id: "SDR_1" });
    await expect(client.createRule({ ...spec, name: "b" })).resolves.toMatchObject({ id: "SDR_2" });
    expect(server.requests.map((r) => r.json)).toEqual([
      { dispatchRule: { rule: { dispatchRuleIndividual: { roomPrefix: "call-" } }, trunkIds: ["ST_1"], name: "a", attributes: { k: "v" } } },
      { rule: { dispatchRuleIndividual: { roomPrefix: "call-" } }, trunkIds: ["ST_1"], name: "a", attributes: { k: "v" } },
      { rule: { dispatchRuleIndividual: { roomPrefix: "call-" } }, trunkIds: ["ST_1"], name: "b", attributes: { k: "v" } },
    ]);
  });

  it("refuses, naming the fields, when the rule needs what the legacy form cannot carry", async () => {
    const { client } = await fresh();
    server.enqueue(twirpError(400, "invalid_argument", "missing rule"));
    const err = await rejection(
      client.createRule({ name: "a", direct: { roomName: "r" }, numbers: ["+15550100"], krispEnabled: true, media: { encryption: "require" } }),
    );
    expect(err.message).toContain("older than v1.9.0");
    expect(err.message).toContain("numbers, krispEnabled, media");
    expect(err.hint).toMatch(/upgrade livekit-server/);
    expect(server.requests).toHaveLength(1);
  });

  it("does not fall back on other invalid_argument answers", async () => {
    const { client } = await fresh();
    const conflict = 'Dispatch rule for the same trunk, inbound number, number, and PIN combination already exists in dispatch rule "SDR_a" "x"';
    server.enqueue(twirpError(400, "invalid_argument", conflict));
    const err = await rejection(client.createRule({ name: "a", direct: { roomName: "r" } }));
    expect(err.message).toContain(conflict);
    expect(server.requests).toHaveLength(1);
  });
});

describe("Update support", () => {
  it("sends no request: a read-only command never calls a write method (SPEC §4); Update is assumed", async () => {
    const { client } = await fresh();
    expect(await client.supportsUpdate()).toBe(true);
    expect(await client.supportsUpdate()).toBe(true);
    expect(server.requests).toHaveLength(0);
  });

  it("a bare HTTP 404 from a proxy on Update is not taken as 'no Update here'", async () => {
    const { client } = await fresh();
    server.enqueue({ status: 404, body: "404 page not found", contentType: "text/plain; charset=utf-8" });
    const err = await rejection(client.updateRule("SDR_a", { name: "a", direct: { roomName: "r" } }));
    expect(err.twirpCode).toBe("bad_route");
    expect(err.twirpBody).toBe(false);
    expect(isUpdateUnsupported(err)).toBe(false);
    expect(err.hint).toMatch(/proxy/);
    expect(await client.supportsUpdate()).toBe(true);
  });

  it("a bad_route from a real update is reported as unsupported and remembered", async () => {
    const { client } = await fresh();
    server.enqueue(twirpError(404, "bad_route", 'no handler for path "/twirp/livekit.SIP/UpdateSIPDispatchRule"'));
    const err = await rejection(client.updateRule("SDR_a", { name: "a", direct: { roomName: "r" } }));
    expect(isUpdateUnsupported(err)).toBe(true);
    expect(err.retryable).toBe(false);
    expect(await client.supportsUpdate()).toBe(false);
    expect(server.requests).toHaveLength(1);
  });
});

describe("errors", () => {
  it("a plain-text 401 from the auth middleware is unauthenticated, with a credentials hint and no secret", async () => {
    const { client } = await fresh();
    server.enqueue({ status: 401, body: "invalid authorization token: token has invalid claims: token is expired", contentType: "text/plain; charset=utf-8" });
    const err = await rejection(client.listRules());
    expect(err.twirpCode).toBe("unauthenticated");
    expect(err.status).toBe(401);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain("token is expired");
    expect(err.hint).toContain("LIVEKIT_API_KEY / LIVEKIT_API_SECRET");
    const token = String(server.requests[0]?.headers.authorization).slice("Bearer ".length);
    expect(JSON.stringify([err.message, err.hint])).not.toContain(API_SECRET);
    expect(JSON.stringify([err.message, err.hint])).not.toContain(token);
  });

  it("the Twirp 401 for a token without sip.admin is unauthenticated", async () => {
    const { client } = await fresh();
    server.enqueue(twirpError(401, "unauthenticated", "permissions denied"));
    const err = await rejection(client.listRules());
    expect(err.twirpCode).toBe("unauthenticated");
    expect(err.message).toContain("permissions denied");
  });

  it("a body echoing the token is redacted", async () => {
    const { client } = await fresh();
    server.enqueue((req) => ({ status: 403, body: `forbidden: ${String(req.headers.authorization)}`, contentType: "text/plain" }));
    const err = await rejection(client.listRules());
    const token = String(server.requests[0]?.headers.authorization).slice("Bearer ".length);
    expect(err.twirpCode).toBe("permission_denied");
    expect(err.message).not.toContain(token);
    expect(err.message).toContain("(redacted)");
  });

  it("not_found on delete is thrown as not_found, not retried", async () => {
    const { client } = await fresh();
    server.enqueue(twirpError(404, "not_found", "requested sip dispatch rule does not exist"));
    const err = await rejection(client.deleteRule("SDR_gone"));
    expect(err.twirpCode).toBe("not_found");
    expect(err.method).toBe("DeleteSIPDispatchRule");
    expect(server.requests).toHaveLength(1);
  });

  it("a redirect is reported, not followed", async () => {
    const { client } = await fresh();
    server.enqueue({ status: 301, headers: { Location: "https://elsewhere.example/twirp/livekit.SIP/ListSIPDispatchRule" } });
    const err = await rejection(client.listRules());
    expect(err.twirpCode).toBe("bad_response");
    expect(err.message).toContain("https://elsewhere.example");
    expect(server.requests).toHaveLength(1);
  });
});

describe("bad server input fails closed (SPEC §5)", () => {
  const cases: { name: string; answer: Parameters<ScriptedServer["enqueue"]>[0] }[] = [
    { name: "malformed JSON", answer: { body: '{"items": [', contentType: "application/json" } },
    { name: "a 200 with an HTML body", answer: { body: "<html><body>Welcome to nginx!</body></html>", contentType: "text/html" } },
    { name: "a 200 with HTML and no content type", answer: { body: "<html></html>", contentType: null } },
    { name: "a truncated body (connection closed mid-body)", answer: { json: { items: [serverRule("SDR_a", "a")] }, destroy: "mid-body" } },
    { name: "a list missing `items`", answer: { json: {} } },
    { name: "`items` that is not a list", answer: { json: { items: { a: 1 } } } },
    { name: "a JSON array instead of an object", answer: { json: [] } },
    { name: "a rule without a rule", answer: { json: { items: [serverRule("SDR_a", "a", { rule: null })] } } },
    { name: "a rule without an ID", answer: { json: { items: [serverRule("", "a")] } } },
    { name: "a null item", answer: { json: { items: [null] } } },
    { name: "a field of the wrong type", answer: { json: { items: [serverRule("SDR_a", "a", { trunk_ids: "ST_1" })] } } },
  ];
  // The global fetch reads the answer whole (text()); the CLI's node:http transport streams it
  // (list-stream.ts). Both must fail closed the same way.
  for (const via of ["fetch", "node:http (streamed)"] as const) {
    for (const c of cases) {
      it(`${c.name} is ApiError bad_response (${via})`, async () => {
        server = await startScriptedServer({ fallback: c.answer });
        const transport = via === "fetch" ? undefined : createNodeTransport();
        try {
          const { client } = await harness(transport === undefined ? {} : { fetch: transport.fetch, listStreamFrom: 0 });
          const err = await rejection(client.listRules());
          expect(err.twirpCode).toBe("bad_response");
          expect(err.method).toBe("ListSIPDispatchRule");
          expect(err.hint).toMatch(/pointing at a LiveKit server|upgrade sip-dispatch-sync/);
        } finally {
          transport?.close();
        }
      });
    }
  }

  it("a rule with an unknown rule type or enum value (a newer server) is held opaque, not an error", async () => {
    const { client } = await fresh();
    server.enqueue(
      {
        json: {
          items: [
            serverRule("SDR_a", "a", { rule: { dispatch_rule_dynamic: { url: "x" } } }),
            serverRule("SDR_b", "b", { media: { encryption: "SIP_MEDIA_ENCRYPT_QUANTUM", codecs: [], only_listed_codecs: false } }),
          ],
        },
      },
      { json: { items: [] } },
    );
    const rules = await client.listRules();
    expect(rules.map((r) => r.opaque)).toEqual([['rule type: unknown "dispatch_rule_dynamic"'], ['media.encryption: "SIP_MEDIA_ENCRYPT_QUANTUM"']]);
  });

  it("the streamed List (node:http) gives the rules, raw values, kept fields and floor the whole-text List gives", async () => {
    const hostile = 'a"]},{[\\ 😀 \u005d';
    const items = [
      serverRule("SDR_a", hostile, { brand_new_field: { x: [1, "]"] }, metadata: "}]", created_at: { seconds: "1" } }),
      serverRule("SDR_b", "b", { rule: { dispatch_rule_direct: { room_name: "r]", pin: "" } } }),
      serverRule("SDR_c", "c", { krisp_enabled: true }),
    ];
    const answers = [
      `{"items":${JSON.stringify(items)},"next_page_token":""}`,
      `\ufeff {\n "items" :\n ${JSON.stringify(items, null, 2)} \n}\n`,
      // Another key first: not the plain shape, read whole as before.
      `{"next_page_token":"x","items":${JSON.stringify(items)}}`,
      // A later duplicate `items` wins, as in JSON.parse.
      `{"items":[${JSON.stringify(serverRule("SDR_z", "z"))}],"items":${JSON.stringify(items)}}`,
    ];
    for (const body of answers) {
      const seen: unknown[] = [];
      for (const via of ["fetch", "node"] as const) {
        server = await startScriptedServer();
        server.enqueue({ body, contentType: "application/json" }, { json: { items: [] } });
        const transport = via === "fetch" ? undefined : createNodeTransport();
        try {
          const { client } = await harness(transport === undefined ? {} : { fetch: transport.fetch, listStreamFrom: 0 });
          const rules = await client.listRules();
          seen.push({ rules: rules.map((r) => ({ id: r.id, spec: r.spec, raw: r.raw, kept: r.kept })), floor: client.versionFloor?.() });
        } finally {
          transport?.close();
          await server.stop();
        }
      }
      expect(seen[1], body.slice(0, 40)).toEqual(seen[0]);
      expect((seen[0] as { rules: { raw: unknown }[] }).rules.map((r) => r.raw)).toEqual(items);
    }
  });

  it("a list whose second page is bad never yields the first page as the answer", async () => {
    const { client } = await fresh({ pageLimit: 1 });
    server.enqueue({ json: { items: [serverRule("SDR_a", "a")] } }, { body: "<html>oops</html>", contentType: "text/html" });
    const err = await rejection(client.listRules());
    expect(err.twirpCode).toBe("bad_response");
    expect(server.requests).toHaveLength(2);
  });

  it("unknown fields and nulls are ignored", async () => {
    const { client } = await fresh();
    server.enqueue({ json: { items: [serverRule("SDR_a", "a", { brand_new_field: { x: 1 }, media: null, room_config: null })], next_page_token: "x" } }, { json: { items: [] } });
    const [rule] = await client.listRules();
    expect(rule?.spec.name).toBe("a");
    expect(rule?.spec.media).toBeUndefined();
  });
});

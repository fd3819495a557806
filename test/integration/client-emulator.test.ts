// Runs the real client against the built-in emulator on 127.0.0.1:0: the lifecycle, paging,
// server errors, old-server fallbacks, and retries/timeouts under injected faults.
import { describe, expect, it } from "vitest";
import { ApiError, type RuleSpec } from "../../src/model/index.js";
import { createSipClient, isUpdateUnsupported, type SipClientOptions } from "../../src/livekit/index.js";
import { startEmulator, type StartedEmulator } from "../support/emulator.js";

function clientFor(em: StartedEmulator, extra: Partial<SipClientOptions> = {}) {
  return createSipClient({ url: em.url, apiKey: em.apiKey, apiSecret: em.apiSecret, timeoutMs: 2_000, sleep: async () => undefined, ...extra });
}

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

const FULL: RuleSpec = {
  name: "support-line",
  individual: { roomPrefix: "call-", pin: "4321", noRandomness: true },
  trunkIds: ["ST_abc123"],
  inboundNumbers: ["+15550100"],
  numbers: ["+15550199"],
  hidePhoneNumber: true,
  metadata: { tier: "gold" },
  attributes: { team_name: "support" },
  roomConfig: { emptyTimeout: 60, agents: [{ agentName: "inbound-agent", restartPolicy: "JRP_NEVER", attributes: { some_key: "v" } }], tags: { cost_center: "42" } },
  krispEnabled: true,
  media: { onlyListedCodecs: true, codecs: [{ name: "PCMU", rate: 8000 }], encryption: "require", mediaTimeout: "30s" },
};

describe("client against the emulator", () => {
  it("creates, lists, replaces and deletes a fully populated rule", async () => {
    const em = await startEmulator();
    const client = clientFor(em);
    const created = await client.createRule(FULL);
    expect(created.id).toMatch(/^SDR_[A-Za-z0-9]{12}$/);

    const [listed] = await client.listRules();
    expect(listed?.id).toBe(created.id);
    const s = listed?.spec;
    expect(s?.individual).toEqual({ roomPrefix: "call-", pin: "4321", noRandomness: true });
    expect([s?.name, s?.trunkIds, s?.inboundNumbers, s?.numbers, s?.hidePhoneNumber, s?.krispEnabled]).toEqual(["support-line", ["ST_abc123"], ["+15550100"], ["+15550199"], true, true]);
    expect(s?.metadata).toBe('{"tier":"gold"}');
    expect(s?.attributes).toEqual({ team_name: "support" });
    expect(s?.roomConfig?.emptyTimeout).toBe(60);
    expect(s?.roomConfig?.tags).toEqual({ cost_center: "42" });
    expect(s?.roomConfig?.agents?.[0]).toMatchObject({ agentName: "inbound-agent", restartPolicy: "JRP_NEVER", attributes: { some_key: "v" } });
    expect(s?.media).toMatchObject({ onlyListedCodecs: true, codecs: [{ name: "PCMU", rate: 8000 }], encryption: "require", mediaTimeout: "30s" });

    expect(await client.supportsUpdate()).toBe(true);
    const updated = await client.updateRule(created.id, { name: "support-line", direct: { roomName: "main" } });
    expect(updated.id).toBe(created.id);
    const [after] = await client.listRules();
    expect(after?.spec.direct?.roomName).toBe("main");
    expect(after?.spec.individual).toBeUndefined();
    // `replace` is a full overwrite (§5.3): what was omitted is gone.
    expect(after?.spec.trunkIds ?? []).toEqual([]);

    await client.deleteRule(created.id);
    expect(await client.listRules()).toEqual([]);
  });

  it("lists every rule from a server that pages at a small limit", async () => {
    const em = await startEmulator({ features: { pageSize: 2 } });
    const client = clientFor(em, { pageLimit: 2 });
    for (let i = 0; i < 5; i += 1) await client.createRule({ name: `r${i}`, direct: { roomName: `room${i}` }, trunkIds: [`ST_${i}`] });
    em.control.clearRequests();
    const rules = await client.listRules();
    expect(rules.map((r) => r.spec.name).sort()).toEqual(["r0", "r1", "r2", "r3", "r4"]);
    expect(em.control.requests().filter((r) => r.rpc === "ListSIPDispatchRule")).toHaveLength(4);
  });

  it("reports the server's conflict as invalid_argument, not retried", async () => {
    const em = await startEmulator();
    const client = clientFor(em);
    await client.createRule({ name: "a", direct: { roomName: "x" } });
    em.control.clearRequests();
    const err = await rejection(client.createRule({ name: "b", individual: { roomPrefix: "y" } }));
    expect(err.twirpCode).toBe("invalid_argument");
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/already exists in dispatch rule/);
    expect(em.control.requests()).toHaveLength(1);
  });

  it("not_found for an unknown ID on delete and update", async () => {
    const em = await startEmulator();
    const client = clientFor(em);
    expect((await rejection(client.deleteRule("SDR_doesnotexist"))).twirpCode).toBe("not_found");
    expect((await rejection(client.updateRule("SDR_doesnotexist", { name: "a", direct: {} }))).twirpCode).toBe("not_found");
  });

  it("401 with a wrong secret, with a credentials hint", async () => {
    const em = await startEmulator();
    const client = createSipClient({ url: em.url, apiKey: em.apiKey, apiSecret: "not-the-secret", timeoutMs: 2_000, sleep: async () => undefined });
    const err = await rejection(client.listRules());
    expect(err.twirpCode).toBe("unauthenticated");
    expect(err.status).toBe(401);
    expect(err.retryable).toBe(false);
    expect(err.hint).toContain("LIVEKIT_API_SECRET");
    expect(`${err.message} ${err.hint}`).not.toContain("not-the-secret");
  });

  it("a server before v1.9.0: no Update, legacy Create", async () => {
    const em = await startEmulator({ features: { update: false, dispatchRuleField: false } });
    const client = clientFor(em);
    // Nothing is probed: Update is assumed until a Twirp bad_route says otherwise (SPEC §4).
    expect(await client.supportsUpdate()).toBe(true);
    const created = await client.createRule({ name: "old", individual: { roomPrefix: "call-" }, trunkIds: ["ST_1"] });
    const [listed] = await client.listRules();
    expect(listed).toMatchObject({ id: created.id, spec: { name: "old", individual: { roomPrefix: "call-" }, trunkIds: ["ST_1"] } });
    const err = await rejection(client.updateRule(created.id, { name: "old", direct: {} }));
    expect(isUpdateUnsupported(err)).toBe(true);
    expect(await client.supportsUpdate()).toBe(false);
    const refused = await rejection(client.createRule({ name: "new", direct: { roomName: "r" }, numbers: ["+1555"] }));
    expect(refused.message).toContain("older than v1.9.0");
    expect(await client.listRules()).toHaveLength(1);
  });
});

describe("client against injected faults", () => {
  it("retries List through 503s and a dropped connection", async () => {
    const em = await startEmulator();
    const client = clientFor(em);
    await client.createRule({ name: "a", direct: { roomName: "x" } });
    em.control.failNext("ListSIPDispatchRule", 2, { status: 503, code: "unavailable", msg: "busy", retryAfter: "1" });
    em.control.dropNext("ListSIPDispatchRule", 1);
    const rules = await client.listRules();
    expect(rules.map((r) => r.spec.name)).toEqual(["a"]);
  });

  it("a Create that committed and then failed is ambiguous and not replayed; the next list shows it", async () => {
    const em = await startEmulator();
    const client = clientFor(em);
    em.control.failNextAfterCommit("CreateSIPDispatchRule", 1, { status: 500, code: "internal", msg: "boom" });
    const err = await rejection(client.createRule({ name: "a", direct: { roomName: "x" } }));
    expect(err.ambiguous).toBe(true);
    expect(em.control.requests().filter((r) => r.rpc === "CreateSIPDispatchRule")).toHaveLength(1);
    expect((await client.listRules()).map((r) => r.spec.name)).toEqual(["a"]);
  });

  it("a dropped Create is ambiguous and not replayed", async () => {
    const em = await startEmulator();
    const client = clientFor(em);
    em.control.dropNext("CreateSIPDispatchRule", 1);
    const err = await rejection(client.createRule({ name: "a", direct: { roomName: "x" } }));
    expect(err.ambiguous).toBe(true);
    expect(em.control.requests().filter((r) => r.rpc === "CreateSIPDispatchRule")).toHaveLength(1);
  });

  it("an aborted List rejects with the abort, mid-request or between retries, and tries no more", async () => {
    const em = await startEmulator();
    const calls: string[] = [];
    // Mid-request: the answer would take 30 s; the abort ends the request at once.
    const slow = clientFor(em, { timeoutMs: 60_000, onApiCall: (e) => calls.push(`${e.attempt}:${e.code}`) });
    em.control.setLatency(30_000, "ListSIPDispatchRule");
    const abort = new AbortController();
    const listing = slow.listRules({ signal: abort.signal });
    await new Promise((resolve) => setTimeout(resolve, 50));
    abort.abort();
    await expect(listing).rejects.toMatchObject({ name: "AbortError" });
    expect(calls).toEqual(["1:unexpected"]);
    em.control.setLatency(0, "ListSIPDispatchRule");

    // Between retries: a 503, then the real (abortable) backoff of 30 s, aborted during it.
    const retrying = createSipClient({ url: em.url, apiKey: em.apiKey, apiSecret: em.apiSecret, timeoutMs: 2_000, retry: { maxAttempts: 5, baseDelayMs: 30_000, maxDelayMs: 30_000 } });
    em.control.failNext("ListSIPDispatchRule", 1, { status: 503, code: "unavailable", msg: "busy" });
    const before = em.control.requests().length;
    const again = new AbortController();
    const second = retrying.listRules({ signal: again.signal });
    await new Promise((resolve) => setTimeout(resolve, 100));
    again.abort();
    await expect(second).rejects.toMatchObject({ name: "AbortError" });
    expect(em.control.requests().length - before).toBe(1);
    // An abort before the first attempt sends nothing.
    await expect(retrying.listRules({ signal: AbortSignal.abort() })).rejects.toMatchObject({ name: "AbortError" });
    expect(em.control.requests().length - before).toBe(1);
  });

  it("times out a slow server per request and retries idempotent calls", async () => {
    const em = await startEmulator();
    const codes: string[] = [];
    const client = clientFor(em, { timeoutMs: 100, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 }, onApiCall: (e) => codes.push(`${e.attempt}:${e.code}`) });
    em.control.setLatency(1_000, "ListSIPDispatchRule");
    const err = await rejection(client.listRules());
    expect(err.twirpCode).toBe("timeout");
    expect(err.retryable).toBe(true);
    expect(codes).toEqual(["1:timeout", "2:timeout"]);
    em.control.setLatency(0, "ListSIPDispatchRule");
    await expect(client.listRules()).resolves.toEqual([]);
  });
});

// The test control API: seed, rules, faults before and after commit, drops, latency, the
// request log, feature switches, reset; plus the speed the benchmarks rely on.
import { describe, expect, test } from "vitest";
import { createEmulator } from "../../../src/emulator/index.js";
import { startEmulator } from "../../support/emulator.js";
import { adminToken, call, createRule, direct, ok } from "./http-helpers.js";

describe("control", () => {
  test("seed keeps IDs, makes one when missing, accepts camelCase, skips the conflict check; rules() is sorted and a copy", async () => {
    const em = await startEmulator();
    em.control.seed([
      { sipDispatchRuleId: "SDR_zzzzzzzzzzzz", rule: { dispatchRuleDirect: { roomName: "a" } }, name: "z" },
      { rule: direct("b"), name: "generated" },
      { sip_dispatch_rule_id: "SDR_aaaaaaaaaaaa", rule: direct("c"), name: "a" },
    ]);
    const rules = em.control.rules() as { sip_dispatch_rule_id: string; name: string }[];
    expect(rules.map((r) => r.name)).toContain("generated");
    expect(rules.map((r) => r.sip_dispatch_rule_id)).toEqual([...rules.map((r) => r.sip_dispatch_rule_id)].sort());
    const a = rules.find((r) => r.sip_dispatch_rule_id === "SDR_aaaaaaaaaaaa");
    expect(a).toMatchObject({ name: "a", media: null, attributes: {} });
    (a as { name: string }).name = "mutated";
    expect(em.control.rules()).toContainEqual(expect.objectContaining({ sip_dispatch_rule_id: "SDR_aaaaaaaaaaaa", name: "a" }));
    expect(() => em.control.seed([{ trunk_ids: "x" }])).toThrow(/seed item 0/);
  });

  test("failNext answers with the fault (status, code, Retry-After) without performing the call, count times", async () => {
    const em = await startEmulator();
    em.control.failNext("CreateSIPDispatchRule", 2, { status: 503, code: "unavailable", msg: "busy", retryAfter: "3" });
    for (let i = 0; i < 2; i++) {
      const r = await call(em, "CreateSIPDispatchRule", { dispatch_rule: { rule: direct("r") } });
      expect([r.status, r.json, r.headers.get("retry-after"), r.contentType]).toEqual([503, { code: "unavailable", msg: "busy" }, "3", "application/json"]);
    }
    expect(em.control.rules()).toEqual([]);
    expect((await call(em, "CreateSIPDispatchRule", { dispatch_rule: { rule: direct("r") } })).status).toBe(200);
    // Other methods are untouched, and a raw body replaces the Twirp JSON.
    em.control.failNext("ListSIPDispatchRule", 1, { status: 502, body: "<html>bad gateway</html>", contentType: "text/html" });
    const raw = await call(em, "ListSIPDispatchRule");
    expect([raw.status, raw.text, raw.contentType]).toEqual([502, "<html>bad gateway</html>", "text/html"]);
    em.control.failNext("ListSIPDispatchRule", 1, { status: 429 });
    expect((await call(em, "ListSIPDispatchRule")).json).toEqual({ code: "resource_exhausted", msg: "injected fault (429)" });
  });

  test("failNextAfterCommit performs the write, then answers with the fault", async () => {
    const em = await startEmulator();
    em.control.failNextAfterCommit("CreateSIPDispatchRule", 1, { status: 500, code: "internal", msg: "lost" });
    const r = await call(em, "CreateSIPDispatchRule", { dispatch_rule: { rule: direct("r"), name: "ghost" } });
    expect(r.status).toBe(500);
    expect(em.control.rules()).toMatchObject([{ name: "ghost" }]);
  });

  test("dropNext destroys the connection without an answer and without performing the call", async () => {
    const em = await startEmulator();
    em.control.dropNext("DeleteSIPDispatchRule", 1);
    const rule = await createRule(em, { rule: direct("r") });
    await expect(call(em, "DeleteSIPDispatchRule", { sip_dispatch_rule_id: rule.sip_dispatch_rule_id })).rejects.toThrow();
    expect(em.control.rules()).toHaveLength(1);
    expect(em.control.requests().at(-1)).toMatchObject({ rpc: "DeleteSIPDispatchRule", status: 0 });
    expect((await call(em, "DeleteSIPDispatchRule", { sip_dispatch_rule_id: rule.sip_dispatch_rule_id })).status).toBe(200);
  });

  test("setLatency delays one method or all; 0 removes it", async () => {
    // Bounds are far apart (a 1.5 s delay against a 1 s ceiling for undelayed calls) so that a
    // loaded CI machine cannot turn scheduling noise into a failure.
    const em = await startEmulator();
    em.control.setLatency(1500, "ListSIPDispatchRule");
    const t0 = performance.now();
    await call(em, "ListSIPDispatchRule");
    expect(performance.now() - t0).toBeGreaterThanOrEqual(1490);
    const t1 = performance.now();
    await call(em, "DeleteSIPDispatchRule", { sip_dispatch_rule_id: "SDR_x" });
    expect(performance.now() - t1).toBeLessThan(1000);
    em.control.setLatency(0, "ListSIPDispatchRule");
    const t2 = performance.now();
    await call(em, "ListSIPDispatchRule");
    expect(performance.now() - t2).toBeLessThan(1000);
  });

  test("requests() logs method, path, rpc, headers, body and status; clearRequests and reset empty it", async () => {
    const em = await startEmulator();
    await call(em, "ListSIPDispatchRule", { trunk_ids: ["ST_1"] });
    await call(em, "", {}, { path: "/nowhere" });
    const log = em.control.requests();
    expect(log).toHaveLength(2);
    expect(log[0]).toMatchObject({ method: "POST", path: "/twirp/livekit.SIP/ListSIPDispatchRule", rpc: "ListSIPDispatchRule", body: '{"trunk_ids":["ST_1"]}', status: 200 });
    expect(log[0]?.headers["content-type"]).toBe("application/json");
    expect(log[1]).toMatchObject({ path: "/nowhere", rpc: "", status: 404 });
    em.control.clearRequests();
    expect(em.control.requests()).toEqual([]);
  });

  test("reset empties the store and clears faults, latency and features", async () => {
    const em = await startEmulator();
    await createRule(em, { rule: direct("r") });
    em.control.failNext("ListSIPDispatchRule", 5, { status: 500 });
    em.control.setFeatures({ update: false, pageSize: 1 });
    em.control.reset();
    expect(em.control.rules()).toEqual([]);
    expect(em.control.features()).toEqual({ update: true, dispatchRuleField: true, pageSize: undefined, newerServer: false });
    expect((await call(em, "ListSIPDispatchRule")).status).toBe(200);
  });

  test("onChange fires after writes only", async () => {
    let changes = 0;
    const em = await startEmulator({ onChange: () => (changes += 1) });
    await ok(em, "ListSIPDispatchRule");
    expect(changes).toBe(0);
    const rule = await createRule(em, { rule: direct("r") });
    await call(em, "CreateSIPDispatchRule", { dispatch_rule: { rule: direct("r") } }); // conflict: no change
    await ok(em, "DeleteSIPDispatchRule", { sip_dispatch_rule_id: rule.sip_dispatch_rule_id });
    expect(changes).toBe(2);
  });
});

// How fast the emulator answers is measured in bench/client.bench.mjs, not here: a timed unit test
// fails on a loaded machine. These check that large stores are served completely and correctly.
describe("large stores", () => {
  const many = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      sip_dispatch_rule_id: `SDR_${String(i).padStart(12, "0")}`,
      name: `rule-${i}`,
      rule: { dispatch_rule_individual: { room_prefix: `p${i}-` } },
      trunk_ids: [`ST_${i}`],
      numbers: [`+1555${String(i).padStart(7, "0")}`],
      room_config: { agents: [{ agent_name: "agent" }] },
    }));

  test("a 2,000-rule List is answered whole, sorted by ID", async () => {
    const { handler } = createEmulator({ initialRules: many(2000) });
    const token = adminToken({ apiKey: "devkey", apiSecret: "secret" });
    await invoke(handler, "/twirp/livekit.SIP/ListSIPDispatchRule", "{}", token); // warm-up
    let body = "";
    const status = await invoke(handler, "/twirp/livekit.SIP/ListSIPDispatchRule", "{}", token, (b) => (body = b));
    expect(status).toBe(200);
    const ids = (JSON.parse(body) as { items: { sip_dispatch_rule_id: string }[] }).items.map((r) => r.sip_dispatch_rule_id);
    expect(ids).toHaveLength(2000);
    expect(ids).toEqual([...ids].sort());
  });

  test("1,000 creates against 2,000 rules all succeed, and the indexed conflict check still refuses a clash", async () => {
    const { handler, control } = createEmulator({ initialRules: many(2000) });
    const token = adminToken({ apiKey: "devkey", apiSecret: "secret" });
    for (let i = 0; i < 1000; i++) {
      const body = JSON.stringify({ dispatch_rule: { rule: direct("x"), trunk_ids: [`ST_new_${i}`], name: `n${i}` } });
      const status = await invoke(handler, "/twirp/livekit.SIP/CreateSIPDispatchRule", body, token);
      if (status !== 200) throw new Error(`create ${i}: ${status}`);
    }
    expect(control.rules()).toHaveLength(3000);
    const clash = JSON.stringify({ dispatch_rule: { rule: direct("y"), trunk_ids: ["ST_new_999"], name: "clash" } });
    expect(await invoke(handler, "/twirp/livekit.SIP/CreateSIPDispatchRule", clash, token)).not.toBe(200);
    expect(control.rules()).toHaveLength(3000);
  });
});

/** Drives the handler without a socket, for a tight loop. */
async function invoke(
  handler: ReturnType<typeof createEmulator>["handler"],
  path: string,
  body: string,
  token: string,
  onBody?: (body: string) => void,
): Promise<number> {
  const { Readable } = await import("node:stream");
  const req = Object.assign(Readable.from([Buffer.from(body)]), {
    method: "POST",
    url: path,
    headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "content-length": String(Buffer.byteLength(body)) },
    socket: { destroy() {} },
  });
  return new Promise((resolve) => {
    const res = {
      headersSent: false,
      status: 0,
      writeHead(status: number) {
        this.status = status;
        this.headersSent = true;
        return this;
      },
      end(buf?: Buffer) {
        const status = this.status;
        onBody?.(buf?.toString("utf8") ?? "");
        resolve(status);
      },
      destroy() {
        resolve(0);
      },
    };
    handler(req as never, res as never);
  });
}

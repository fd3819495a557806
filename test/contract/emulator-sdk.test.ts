// Fidelity test (a): the official livekit-server-sdk SipClient drives the emulator and must
// accept every answer — successes parsed by its protobuf-es types, errors by its ServerError.
import { ListUpdate, Pagination, SIPDispatchRule, SIPDispatchRuleDirect, SIPDispatchRuleInfo, SIPInboundTrunkInfo, SIPTrunkInfo } from "@livekit/protocol";
import { SipClient, TwirpError } from "livekit-server-sdk";
import { describe, expect, test } from "vitest";
import { startEmulator } from "../support/emulator.js";

describe("livekit-server-sdk SipClient against the emulator", () => {
  test("create each rule type, list, replace, field update, delete", async () => {
    const em = await startEmulator();
    const sip = new SipClient(em.url, em.apiKey, em.apiSecret);

    const direct = await sip.createSipDispatchRule({ type: "direct", roomName: "safe-room", pin: "12345" }, { name: "direct", trunkIds: ["ST_1"], metadata: "m", attributes: { a: "1" } });
    const individual = await sip.createSipDispatchRule({ type: "individual", roomPrefix: "call-" }, { name: "individual", trunkIds: ["ST_2"], hidePhoneNumber: true, roomConfig: { agents: [{ agentName: "inbound-agent" }] } as never });
    const callee = await sip.createSipDispatchRule({ type: "callee", roomPrefix: "number-", randomize: true }, { name: "callee", trunkIds: ["ST_3"] });
    for (const r of [direct, individual, callee]) expect(r).toBeInstanceOf(SIPDispatchRuleInfo);
    expect(direct.sipDispatchRuleId).toMatch(/^SDR_[A-Za-z0-9]{12}$/);
    expect(direct.rule?.rule).toEqual({ case: "dispatchRuleDirect", value: expect.objectContaining({ roomName: "safe-room", pin: "12345" }) });
    expect(individual.rule?.rule.case).toBe("dispatchRuleIndividual");
    expect(individual.hidePhoneNumber).toBe(true);
    expect(individual.roomConfig?.agents[0]?.agentName).toBe("inbound-agent");
    expect(callee.rule?.rule).toEqual({ case: "dispatchRuleCallee", value: expect.objectContaining({ roomPrefix: "number-", randomize: true }) });
    expect(direct.attributes).toEqual({ a: "1" });

    const listed = await sip.listSipDispatchRule();
    expect(listed.map((r) => r.sipDispatchRuleId)).toEqual([direct, individual, callee].map((r) => r.sipDispatchRuleId).sort());
    const paged = await sip.listSipDispatchRule({ page: { afterId: listed[0]?.sipDispatchRuleId ?? "", limit: 1 } as never });
    expect(paged).toHaveLength(2);
    const filtered = await sip.listSipDispatchRule({ trunkIds: ["ST_2"] });
    expect(filtered.map((r) => r.name)).toEqual(["individual"]);

    const replaced = await sip.updateSipDispatchRule(
      direct.sipDispatchRuleId,
      new SIPDispatchRuleInfo({
        name: "direct-renamed",
        trunkIds: ["ST_1"],
        rule: new SIPDispatchRule({ rule: { case: "dispatchRuleDirect", value: new SIPDispatchRuleDirect({ roomName: "other-room" }) } }),
      }),
    );
    expect(replaced.sipDispatchRuleId).toBe(direct.sipDispatchRuleId);
    expect([replaced.name, replaced.metadata, replaced.attributes]).toEqual(["direct-renamed", "", {}]);

    const updated = await sip.updateSipDispatchRuleFields(individual.sipDispatchRuleId, {
      trunkIds: new ListUpdate({ add: ["ST_4"] }),
      name: "individual-2",
      attributes: { team: "support" },
    });
    expect([updated.name, updated.trunkIds, updated.attributes, updated.hidePhoneNumber]).toEqual(["individual-2", ["ST_2", "ST_4"], { team: "support" }, true]);

    const deleted = await sip.deleteSipDispatchRule(callee.sipDispatchRuleId);
    expect(deleted.name).toBe("callee");
    expect((await sip.listSipDispatchRule()).map((r) => r.name).sort()).toEqual(["direct-renamed", "individual-2"]);
  });

  test("a conflict, a not_found and an auth failure come back as SDK ServerErrors with the server's code and message", async () => {
    const em = await startEmulator();
    const sip = new SipClient(em.url, em.apiKey, em.apiSecret);
    const first = await sip.createSipDispatchRule({ type: "direct", roomName: "a" }, { name: "first" });

    const conflict = await sip.createSipDispatchRule({ type: "individual", roomPrefix: "b" }, { name: "second" }).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(TwirpError);
    expect(conflict).toMatchObject({
      status: 400,
      code: "invalid_argument",
      message: `Dispatch rule for the same trunk, inbound number, number, and PIN combination already exists in dispatch rule "${first.sipDispatchRuleId}" "first"`,
    });

    const missing = await sip.deleteSipDispatchRule("SDR_doesnotexist").catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 404, code: "not_found", message: "requested sip dispatch rule does not exist" });
    const missingUpdate = await sip.updateSipDispatchRuleFields("SDR_doesnotexist", { name: "x" }).catch((e: unknown) => e);
    expect(missingUpdate).toMatchObject({ status: 404, code: "not_found" });

    const wrongSecret = new SipClient(em.url, em.apiKey, "not-the-secret");
    const denied = await wrongSecret.listSipDispatchRule().catch((e: unknown) => e);
    // Plain text from the middleware: the SDK keeps the text and has no code (livekit-sip-api.md §3.2).
    expect(denied).toMatchObject({ status: 401, code: undefined, message: "invalid authorization token: token signature is invalid: signature is invalid" });
    const wrongKey = await new SipClient(em.url, "other-key", em.apiSecret).listSipDispatchRule().catch((e: unknown) => e);
    expect(wrongKey).toMatchObject({ status: 401, message: "invalid API key" });
  });

  test("the old-server switch surfaces as bad_route to the SDK", async () => {
    const em = await startEmulator({ features: { update: false } });
    const sip = new SipClient(em.url, em.apiKey, em.apiSecret);
    const rule = await sip.createSipDispatchRule({ type: "direct", roomName: "a" });
    const err = await sip.updateSipDispatchRuleFields(rule.sipDispatchRuleId, { name: "x" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 404, code: "bad_route", message: 'no handler for path "/twirp/livekit.SIP/UpdateSIPDispatchRule"' });
  });

  test("inbound trunks (SPEC §8): create, list with paging and the trunk_ids / numbers filters, delete", async () => {
    const em = await startEmulator();
    const sip = new SipClient(em.url, em.apiKey, em.apiSecret);
    const main = await sip.createSipInboundTrunk("main-carrier", ["+1 (555) 000-1111"], { authUsername: "user", authPassword: "pw", headers: { "X-A": "b" }, krispEnabled: true });
    const any = await sip.createSipInboundTrunk("wildcard", []);
    const other = await sip.createSipInboundTrunk("other", ["+15550002222"]);
    for (const t of [main, any, other]) expect(t).toBeInstanceOf(SIPInboundTrunkInfo);
    expect(main.sipTrunkId).toMatch(/^ST_[A-Za-z0-9]{12}$/);
    // The server lists trunks with their credentials (livekit-sip-api.md §11.1).
    expect([main.name, main.numbers, main.authUsername, main.authPassword, main.headers, main.krispEnabled]).toEqual(["main-carrier", ["+1 (555) 000-1111"], "user", "pw", { "X-A": "b" }, true]);

    const all = await sip.listSipInboundTrunk();
    expect(all.map((t) => t.sipTrunkId)).toEqual([main, any, other].map((t) => t.sipTrunkId).sort());
    const byId = await sip.listSipInboundTrunk({ trunkIds: [other.sipTrunkId, "ST_unknown"] });
    expect(byId.map((t) => t.name)).toEqual(["other"]);
    // The numbers filter normalises, and keeps trunks without numbers.
    const byNumber = await sip.listSipInboundTrunk({ numbers: ["+15550001111"] });
    expect(byNumber.map((t) => t.name).sort()).toEqual(["main-carrier", "wildcard"]);
    const after = await sip.listSipInboundTrunk({ page: new Pagination({ afterId: all[0]?.sipTrunkId ?? "" }) });
    expect(after).toHaveLength(2);
    em.control.setFeatures({ pageSize: 1 });
    expect(await sip.listSipInboundTrunk({ page: new Pagination({ limit: 5 }) })).toHaveLength(1);
    em.control.setFeatures({ pageSize: undefined });

    const deleted = await sip.deleteSipTrunk(other.sipTrunkId);
    expect(deleted).toBeInstanceOf(SIPTrunkInfo);
    expect([deleted.sipTrunkId, deleted.name]).toEqual([other.sipTrunkId, "other"]);
    expect((await sip.listSipInboundTrunk()).map((t) => t.name).sort()).toEqual(["main-carrier", "wildcard"]);
    const missing = await sip.deleteSipTrunk(other.sipTrunkId).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(TwirpError);
    expect(missing).toMatchObject({ status: 404, code: "not_found", message: "requested sip trunk does not exist" });
  });
});

// Tests the daemon's view of the server between full lists (server-cache.ts): what a plan must
// confirm, when a by-ID read says the view is stale, and how the applier's answers update it.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createServerCache, idsToConfirm, recordingClient, sameRule, shareEqual, staleIds, withFreshBases } from "../../../src/daemon/index.js";
import { ApiError, type Change, type Plan, type RemoteRule, type RuleSpec, type SipClient } from "../../../src/model/index.js";

/** A listed rule; `raw` non-enumerable as the client decodes it. */
function rule(id: string, name: string, room = "r-", raw: Record<string, unknown> | undefined = { sip_dispatch_rule_id: id, name, rule: { dispatch_rule_individual: { room_prefix: room } } }): RemoteRule {
  const r: RemoteRule = { id, spec: { name, individual: { roomPrefix: room } } };
  if (raw !== undefined) Object.defineProperty(r, "raw", { value: raw, enumerable: false });
  return r;
}

const spec = (name: string): RuleSpec => ({ name, individual: { roomPrefix: "x-" } });

describe("createServerCache", () => {
  it("knows nothing until a full list; a list is the view, in its order, without each rule's listed JSON", () => {
    const c = createServerCache();
    expect(c.valid).toBe(false);
    expect(c.rules()).toBeUndefined();
    const listed = [rule("SDR_a", "a"), { ...rule("SDR_b", "b"), opaque: ["rule.x: 7"] }];
    c.replace(listed);
    expect(c.valid).toBe(true);
    expect(c.rules()).toEqual([
      { id: "SDR_a", spec: listed[0]?.spec },
      { id: "SDR_b", spec: listed[1]?.spec, opaque: ["rule.x: 7"] },
    ]);
    expect(c.rules()?.map((r) => r.raw)).toEqual([undefined, undefined]);
    expect(c.get("SDR_b")?.spec.name).toBe("b");
  });

  it("keeps its own writes: a stored rule is added or replaced in ID order, a removed one goes; each changes the epoch", () => {
    const c = createServerCache();
    c.replace([rule("SDR_b", "b"), rule("SDR_d", "d")]);
    const e0 = c.epoch;
    c.stored(rule("SDR_c", "c"));
    c.stored(rule("SDR_a", "a"));
    c.stored(rule("SDR_b", "b", "new-"));
    c.removed("SDR_d");
    expect(c.rules()?.map((r) => `${r.id}:${r.spec.individual?.roomPrefix}`)).toEqual(["SDR_a:r-", "SDR_b:new-", "SDR_c:r-"]);
    expect(c.get("SDR_c")?.raw).toBeUndefined();
    expect(c.epoch).toBe(e0 + 4);
    c.removed("SDR_unknown");
    expect(c.epoch).toBe(e0 + 4);
  });

  it("a dropped view stays dropped: writes answered afterwards do not revive it, only a full list does", () => {
    const c = createServerCache();
    c.replace([rule("SDR_a", "a")]);
    c.drop();
    c.stored(rule("SDR_b", "b"));
    expect(c.valid).toBe(false);
    expect(c.rules()).toBeUndefined();
    expect(c.get("SDR_b")).toBeUndefined();
    c.replace([rule("SDR_c", "c")]);
    expect(c.rules()?.map((r) => r.id)).toEqual(["SDR_c"]);
  });
});

describe("idsToConfirm", () => {
  it("names every updated and deleted rule and a duplicate's kept rule, once each, never a create", () => {
    const current = spec("a");
    const changes: Change[] = [
      { action: "create", name: "n", desired: spec("n") },
      { action: "update", name: "a", id: "SDR_2", current, desired: spec("a"), fields: [], method: "replace" },
      { action: "delete", name: "b", id: "SDR_3", current, reason: "not-in-file" },
      { action: "delete", name: "a", id: "SDR_9", current, reason: "duplicate", keptId: "SDR_2" },
      { action: "delete", name: "c", id: "SDR_1", current, reason: "duplicate", keptId: "SDR_4" },
    ];
    expect(idsToConfirm(changes)).toEqual(["SDR_1", "SDR_2", "SDR_3", "SDR_4", "SDR_9"]);
    expect(idsToConfirm([{ action: "create", name: "n", desired: spec("n") }])).toEqual([]);
  });
});

describe("staleIds", () => {
  const cache = () => {
    const c = createServerCache();
    c.replace([rule("SDR_a", "a"), rule("SDR_b", "b"), rule("SDR_c", "c")]);
    return c;
  };

  it("is empty when the server holds exactly the view's rules (key order is no difference)", () => {
    const reordered = rule("SDR_b", "b", "r-", { rule: { dispatch_rule_individual: { room_prefix: "r-" } }, name: "b", sip_dispatch_rule_id: "SDR_b" });
    expect(staleIds(cache(), ["SDR_a", "SDR_b"], [rule("SDR_a", "a"), reordered])).toEqual([]);
  });

  it("names a rule gone, changed in a managed field or an opaque value, or unknown to the view", () => {
    const opaqueNow = { ...rule("SDR_b", "b"), opaque: ["rule.x: 9"] };
    expect(staleIds(cache(), ["SDR_a", "SDR_b", "SDR_c", "SDR_z"], [opaqueNow, rule("SDR_c", "c", "moved-"), rule("SDR_z", "z")])).toEqual(["SDR_a", "SDR_b", "SDR_c", "SDR_z"]);
  });

  it("a field this version does not manage is no difference (the write takes it from the read)", () => {
    const withNewField = rule("SDR_b", "b", "r-", { sip_dispatch_rule_id: "SDR_b", name: "b", rule: { dispatch_rule_individual: { room_prefix: "r-" } }, future_field: 1 });
    expect(staleIds(cache(), ["SDR_b"], [withNewField])).toEqual([]);
    expect(sameRule(rule("SDR_a", "a", "r-", undefined), rule("SDR_a", "a"))).toBe(true);
    expect(sameRule(rule("SDR_a", "a", "r-", undefined), rule("SDR_a", "a", "s-", undefined))).toBe(false);
    expect(sameRule(rule("SDR_a", "a"), rule("SDR_b", "a"))).toBe(false);
  });
});

describe("withFreshBases", () => {
  it("gives each update the confirming read's JSON as its base and its kept fields; other changes and the plan's facts stay", () => {
    const current = spec("a");
    const plan: Plan = {
      changes: [
        { action: "update", name: "a", id: "SDR_a", current, desired: spec("a"), fields: [{ path: "individual.roomPrefix" }], method: "replace" },
        { action: "delete", name: "b", id: "SDR_b", current, reason: "not-in-file" },
        { action: "create", name: "n", desired: spec("n") },
      ],
      summary: { create: 1, update: 1, delete: 1, unchanged: 0, unmanaged: 0, kept: 0, outsideManage: 0, outsideNames: 0 },
      fingerprint: "sha256:x",
      refusal: null,
      warnings: ["w"],
    };
    const raw = { sip_dispatch_rule_id: "SDR_a", name: "a", future_field: 2 };
    const fresh = rule("SDR_a", "a", "r-", raw);
    Object.defineProperty(fresh, "kept", { value: ["future_field"], enumerable: false });
    const out = withFreshBases(plan, [fresh, rule("SDR_b", "b")]);
    const update = out.changes[0];
    expect(update?.action === "update" ? [update.base, update.kept] : undefined).toEqual([raw, ["future_field"]]);
    expect(out.changes.slice(1)).toEqual(plan.changes.slice(1));
    expect([out.summary, out.refusal, out.warnings, out.fingerprint]).toEqual([plan.summary, null, ["w"], "sha256:x"]);
    const onlyCreates: Plan = { ...plan, changes: plan.changes.slice(2) };
    expect(withFreshBases(onlyCreates, [])).toBe(onlyCreates);
  });
});

describe("recordingClient", () => {
  function fakeClient(fail?: { readonly delete?: unknown; readonly update?: unknown }): SipClient & { calls: string[] } {
    const calls: string[] = [];
    let n = 0;
    return {
      calls,
      server: "http://127.0.0.1:1",
      listRules: async () => (calls.push("list"), []),
      listRulesByIds: async (ids) => (calls.push(`byIds ${ids.join(",")}`), []),
      createRule: async (s) => (calls.push(`create ${s.name}`), rule(`SDR_new${++n}`, s.name, "x-")),
      updateRule: async (id, s) => {
        calls.push(`update ${id}`);
        if (fail?.update !== undefined) throw fail.update;
        return rule(id, s.name, "x-");
      },
      deleteRule: async (id) => {
        calls.push(`delete ${id}`);
        if (fail?.delete !== undefined) throw fail.delete;
      },
      supportsUpdate: async () => true,
    };
  }

  it("passes every call through and records each answer in the view", async () => {
    const c = createServerCache();
    c.replace([rule("SDR_a", "a"), rule("SDR_b", "b")]);
    const inner = fakeClient();
    const client = recordingClient(inner, c);
    await client.createRule(spec("n"));
    await client.updateRule("SDR_a", spec("a"));
    await client.deleteRule("SDR_b");
    await client.listRulesByIds(["SDR_a"]);
    expect(inner.calls).toEqual(["create n", "update SDR_a", "delete SDR_b", "byIds SDR_a"]);
    expect(c.rules()?.map((r) => `${r.id}:${r.spec.name}:${r.spec.individual?.roomPrefix}`)).toEqual(["SDR_a:a:x-", "SDR_new1:n:x-"]);
    expect(client.server).toBe(inner.server);
  });

  it("a delete that finds the rule gone removes it from the view; any other failure changes nothing there", async () => {
    const c = createServerCache();
    c.replace([rule("SDR_a", "a"), rule("SDR_b", "b")]);
    const gone = new ApiError({ method: "DeleteSIPDispatchRule", twirpCode: "not_found", status: 404, message: "gone", retryable: false });
    await expect(recordingClient(fakeClient({ delete: gone }), c).deleteRule("SDR_a")).rejects.toBe(gone);
    expect(c.get("SDR_a")).toBeUndefined();
    const down = new ApiError({ method: "UpdateSIPDispatchRule", twirpCode: "unavailable", status: 503, message: "down", retryable: true });
    await expect(recordingClient(fakeClient({ update: down, delete: down }), c).updateRule("SDR_b", spec("b"))).rejects.toBe(down);
    await expect(recordingClient(fakeClient({ delete: down }), c).deleteRule("SDR_b")).rejects.toBe(down);
    expect(c.get("SDR_b")?.spec.individual?.roomPrefix).toBe("r-");
  });
});

describe("replace with the file's rules: shared parts (issue 19, the daemon's memory)", () => {
  it("keeps the listed data, taking the file rule's objects for the parts equal to it", () => {
    const c = createServerCache();
    const desired: RuleSpec = { name: "a", individual: { roomPrefix: "r-" }, hidePhoneNumber: false, attributes: { team: "t" } };
    // As a server lists it: the `false` omitted, the rest equal but other objects.
    const listed: RemoteRule = { id: "SDR_a", spec: { name: "a", individual: { roomPrefix: "r-" }, attributes: { team: "t" } } };
    c.replace([listed, rule("SDR_b", "b")], [{ spec: desired }, { spec: spec("c") }]);
    const kept = c.get("SDR_a")?.spec;
    expect(kept).toEqual(listed.spec);
    expect(Object.keys(kept ?? {})).toEqual(["name", "individual", "attributes"]);
    expect(kept?.individual).toBe(desired.individual);
    expect(kept?.attributes).toBe(desired.attributes);
    expect(kept).not.toHaveProperty("hidePhoneNumber");
    // A rule equal in every part is the file's object itself; one without a file rule is as listed.
    c.replace([{ id: "SDR_a", spec: { name: "a", individual: { roomPrefix: "r-" } } }], [{ spec: { individual: { roomPrefix: "r-" }, name: "a" } }]);
    expect(Object.keys(c.get("SDR_a")?.spec ?? {})).toEqual(["individual", "name"]);
    const b = rule("SDR_b", "b");
    c.replace([b], [{ spec: spec("a") }]);
    expect(c.get("SDR_b")?.spec).toBe(b.spec);
  });

  it("a staleness check still sees what the server holds", () => {
    const c = createServerCache();
    const listed: RemoteRule = { id: "SDR_a", spec: { name: "a", individual: { roomPrefix: "r-" } } };
    c.replace([listed], [{ spec: { name: "a", individual: { roomPrefix: "other-" } } }]);
    expect(c.get("SDR_a")?.spec).toEqual(listed.spec);
    expect(staleIds(c, ["SDR_a"], [listed])).toEqual([]);
    expect(staleIds(c, ["SDR_a"], [{ id: "SDR_a", spec: { name: "a", individual: { roomPrefix: "other-" } } }])).toEqual(["SDR_a"]);
  });
});

describe("shareEqual", () => {
  it("never changes the value, shares equal parts, and keeps a __proto__ key as data", () => {
    const desired = JSON.parse('{"name":"a","attributes":{"__proto__":"x","k":"v"},"numbers":["+1","+2"],"roomConfig":{"agents":[{"agentName":"n"}]}}') as Record<string, unknown>;
    const listed = JSON.parse('{"name":"a","attributes":{"__proto__":"x","k":"w"},"numbers":["+1","+2"],"roomConfig":{"agents":[{"agentName":"n"}]}}') as Record<string, unknown>;
    const out = shareEqual(listed, desired) as Record<string, unknown>;
    expect(out).toEqual(listed);
    expect(JSON.stringify(out)).toBe(JSON.stringify(listed));
    expect(Object.getPrototypeOf(out.attributes)).toBe(Object.prototype);
    expect(out.numbers).toBe(desired.numbers);
    expect(out.roomConfig).toBe(desired.roomConfig);
    expect(out.attributes).not.toBe(desired.attributes);
    expect(listed.attributes).toEqual(JSON.parse('{"__proto__":"x","k":"w"}'));
  });

  it("for any two values: the result is JSON-equal to the listed one, and the desired one when they are equal", () => {
    const json = fc.jsonValue({ maxDepth: 3 });
    fc.assert(
      fc.property(json, json, fc.boolean(), (a, b, same) => {
        const desired = same ? (JSON.parse(JSON.stringify(a)) as unknown) : b;
        const before = JSON.stringify(a);
        const out = shareEqual(a, desired);
        expect(JSON.stringify(out)).toBe(before);
        expect(JSON.stringify(a)).toBe(before);
        if (same && typeof a === "object" && a !== null) expect(out).toBe(desired);
      }),
      { seed: 19, numRuns: 500 },
    );
  });
});

// Unit: the applier's scheduling guarantees (concurrency bound, key exclusion, dependencies,
// partial failure) against a small in-memory SipClient.
import { describe, expect, it } from "vitest";
import { applyPlan } from "../../../src/apply/index.js";
import { ApiError, type Operation, type RemoteRule, type RuleSpec, type Schedule, type ScheduledOperation, type SipClient } from "../../../src/model/index.js";

interface FakeOptions {
  readonly delayMs?: number;
  readonly fail?: (op: string, arg: string) => ApiError | undefined;
  /** Like fail, but the operation takes effect first (its answer is lost). */
  readonly failAfter?: (op: string, arg: string) => ApiError | undefined;
}

function fakeClient(opts: FakeOptions = {}) {
  const calls: string[] = [];
  let active = 0;
  let maxActive = 0;
  let nextId = 1;
  const rules = new Map<string, RuleSpec>();
  const step = async (label: string, arg: string) => {
    calls.push(`${label}:${arg}`);
    active += 1;
    maxActive = Math.max(maxActive, active);
    await new Promise((r) => setTimeout(r, opts.delayMs ?? 5));
    active -= 1;
    const err = opts.fail?.(label, arg);
    if (err) throw err;
  };
  const client: SipClient = {
    server: "http://fake",
    listRules: async () => [...rules].map(([id, spec]) => ({ id, spec })),
    listRulesByIds: async (ids) => {
      calls.push(`confirm:${ids.join(",")}`);
      return [...rules].filter(([id]) => ids.includes(id)).map(([id, spec]) => ({ id, spec }));
    },
    createRule: async (spec, base): Promise<RemoteRule> => {
      await step("create", base === undefined ? spec.name : `${spec.name}+base`);
      const id = `SDR_${String(nextId++).padStart(12, "0")}`;
      rules.set(id, spec);
      const lost = opts.failAfter?.("create", spec.name);
      if (lost) throw lost;
      return { id, spec };
    },
    updateRule: async (id, spec) => {
      await step("update", id);
      rules.set(id, spec);
      return { id, spec };
    },
    deleteRule: async (id) => {
      await step("delete", id);
      rules.delete(id);
    },
    supportsUpdate: async () => true,
  };
  return { client, calls, maxActive: () => maxActive, rules };
}

function sched(ops: readonly { op: Operation; after?: number[]; keys?: string[] }[]): Schedule {
  const operations: ScheduledOperation[] = ops.map((o, index) => ({ index, change: index, operation: o.op, after: o.after ?? [], keys: o.keys ?? [] }));
  return { operations };
}
const ambiguous = () => new ApiError({ method: "CreateSIPDispatchRule", twirpCode: "unavailable", status: 503, message: "unavailable", retryable: false, ambiguous: true });
const spec = (name: string): RuleSpec => ({ name, individual: { roomPrefix: name } });
let clock = 0;
const now = () => (clock += 1);

describe("applyPlan", () => {
  it("never runs more operations at once than the concurrency allows", async () => {
    const f = fakeClient({ delayMs: 10 });
    const ops = Array.from({ length: 12 }, (_, i) => ({ op: { op: "create", name: `r${i}`, spec: spec(`r${i}`) } as const, keys: [`k${i}`] }));
    const report = await applyPlan(sched(ops), { client: f.client, concurrency: 3, now });
    expect(report.ok).toBe(true);
    expect(report.counts.ok).toBe(12);
    expect(f.maxActive()).toBe(3);
  });

  it("never runs two operations that share a conflict key at the same time", async () => {
    const f = fakeClient({ delayMs: 10 });
    const ops = Array.from({ length: 6 }, (_, i) => ({ op: { op: "create", name: `r${i}`, spec: spec(`r${i}`) } as const, keys: ["same"] }));
    await applyPlan(sched(ops), { client: f.client, concurrency: 4, now });
    expect(f.maxActive()).toBe(1);
  });

  it("starts an operation only after its prerequisites succeeded", async () => {
    const f = fakeClient();
    const report = await applyPlan(
      sched([
        { op: { op: "create", name: "b", spec: spec("b") }, after: [1] },
        { op: { op: "delete", name: "a", id: "SDR_a" } },
      ]),
      { client: f.client, concurrency: 4, now },
    );
    expect(report.ok).toBe(true);
    expect(f.calls).toEqual(["delete:SDR_a", "create:b"]);
  });

  it("skips dependents of a failed operation, still runs independent ones, and reports each outcome", async () => {
    const f = fakeClient({
      fail: (op, arg) => (op === "delete" && arg === "SDR_a" ? new ApiError({ method: "DeleteSIPDispatchRule", twirpCode: "internal", status: 500, message: "boom", retryable: true }) : undefined),
    });
    const report = await applyPlan(
      sched([
        { op: { op: "delete", name: "a", id: "SDR_a" } },
        { op: { op: "create", name: "b", spec: spec("b") }, after: [0] },
        { op: { op: "create", name: "c", spec: spec("c") }, after: [1] },
        { op: { op: "create", name: "d", spec: spec("d") } },
      ]),
      { client: f.client, concurrency: 2, now },
    );
    expect(report.ok).toBe(false);
    expect(report.outcomes.map((o) => [o.name, o.status])).toEqual(
      expect.arrayContaining([["a", "failed"], ["b", "skipped"], ["c", "skipped"], ["d", "ok"]]),
    );
    expect(report.counts).toEqual({ ok: 1, failed: 1, skipped: 2 });
    expect(f.calls).not.toContain("create:b");
    expect(report.outcomes.find((o) => o.name === "a")?.error?.code).toBe("internal");
  });

  it("treats not_found on delete as already gone", async () => {
    const f = fakeClient({
      fail: (op) => (op === "delete" ? new ApiError({ method: "DeleteSIPDispatchRule", twirpCode: "not_found", status: 404, message: "requested sip dispatch rule does not exist", retryable: false }) : undefined),
    });
    const report = await applyPlan(sched([{ op: { op: "delete", name: "a", id: "SDR_a" } }]), { client: f.client, concurrency: 1, now });
    expect(report.ok).toBe(true);
    expect(report.outcomes[0]?.detail).toBe("already gone");
  });

  it("falls back to delete + create when Update answers the server's Twirp bad_route, and says phone numbers detach", async () => {
    const f = fakeClient({
      fail: (op) => (op === "update" ? new ApiError({ method: "UpdateSIPDispatchRule", twirpCode: "bad_route", status: 404, message: "no handler", retryable: false, twirpBody: true }) : undefined),
    });
    const report = await applyPlan(sched([{ op: { op: "update", name: "a", id: "SDR_a", spec: spec("a") } }]), { client: f.client, concurrency: 1, now });
    expect(report.ok).toBe(true);
    expect(f.calls).toEqual(["update:SDR_a", "delete:SDR_a", "create:a"]);
    expect(report.outcomes[0]?.detail).toMatch(/recreated/);
    expect(report.outcomes[0]?.detail).toMatch(/phone numbers/);
  });

  it("passes the listed rule to an update and to the create half of a recreate (fields it does not manage are carried)", async () => {
    const base = { sip_dispatch_rule_id: "SDR_a", future_field: "x" };
    const f = fakeClient({
      fail: (op) => (op === "update" ? new ApiError({ method: "UpdateSIPDispatchRule", twirpCode: "bad_route", status: 404, message: "no handler", retryable: false, twirpBody: true }) : undefined),
    });
    let seen: unknown;
    const update = f.client.updateRule;
    f.client.updateRule = async (id, s, b) => {
      seen = b;
      return update(id, s, b);
    };
    const report = await applyPlan(sched([{ op: { op: "update", name: "a", id: "SDR_a", spec: spec("a"), base } }]), { client: f.client, concurrency: 1, now });
    expect(report.ok).toBe(true);
    expect(seen).toBe(base);
    expect(f.calls).toEqual(["update:SDR_a", "delete:SDR_a", "create:a+base"]);
  });

  it("a bare 404 from a proxy on Update fails that update: no delete, no create", async () => {
    const f = fakeClient({
      fail: (op) => (op === "update" ? new ApiError({ method: "UpdateSIPDispatchRule", twirpCode: "bad_route", status: 404, message: "HTTP 404: 404 page not found (not a Twirp error body)", retryable: false, twirpBody: false }) : undefined),
    });
    const report = await applyPlan(sched([{ op: { op: "update", name: "a", id: "SDR_a", spec: spec("a") } }]), { client: f.client, concurrency: 1, now });
    expect(report.ok).toBe(false);
    expect(f.calls).toEqual(["update:SDR_a"]);
    expect(f.rules.size).toBe(0);
  });

  it("an ambiguous create is sent once and reported as outcome unknown, never re-sent in the run", async () => {
    const f = fakeClient({ failAfter: (op) => (op === "create" ? ambiguous() : undefined) });
    const report = await applyPlan(sched([{ op: { op: "create", name: "a", spec: spec("a") } }]), { client: f.client, concurrency: 1, now });
    expect(report.ok).toBe(false);
    expect(f.calls).toEqual(["create:a"]);
    expect(f.rules.size).toBe(1);
    expect(report.outcomes[0]?.status).toBe("failed");
    expect(report.outcomes[0]?.detail).toMatch(/^outcome unknown/);
  });

  it("an ambiguous create that did not happen is not re-sent either", async () => {
    const f = fakeClient({ fail: (op) => (op === "create" ? ambiguous() : undefined) });
    const report = await applyPlan(sched([{ op: { op: "create", name: "a", spec: spec("a") } }]), { client: f.client, concurrency: 1, now });
    expect(report.ok).toBe(false);
    expect(f.calls).toEqual(["create:a"]);
    expect(report.outcomes[0]?.detail).toMatch(/outcome unknown/);
  });

  it("deletes duplicates only after a second read confirms the kept rule, once per kept rule", async () => {
    const f = fakeClient();
    f.rules.set("SDR_keep", spec("a"));
    f.rules.set("SDR_dup1", spec("a"));
    f.rules.set("SDR_dup2", spec("a"));
    const report = await applyPlan(
      sched([
        { op: { op: "delete", name: "a", id: "SDR_dup1", confirm: "SDR_keep" } },
        { op: { op: "delete", name: "a", id: "SDR_dup2", confirm: "SDR_keep" } },
      ]),
      { client: f.client, concurrency: 1, now },
    );
    expect(report.ok).toBe(true);
    expect(f.calls).toEqual(["confirm:SDR_keep", "delete:SDR_dup1", "delete:SDR_dup2"]);
    expect([...f.rules.keys()]).toEqual(["SDR_keep"]);
  });

  it("deletes no duplicate when the kept rule is not confirmed (the list showed a rule already gone)", async () => {
    const f = fakeClient();
    f.rules.set("SDR_real", spec("a"));
    const report = await applyPlan(sched([{ op: { op: "delete", name: "a", id: "SDR_real", confirm: "SDR_ghost" } }]), { client: f.client, concurrency: 1, now });
    expect(report.ok).toBe(false);
    expect(f.calls).toEqual(["confirm:SDR_ghost"]);
    expect([...f.rules.keys()]).toEqual(["SDR_real"]);
    expect(report.outcomes[0]?.error?.message).toMatch(/not on the server by a second read/);
  });

  it("never retries a create that failed for certain (4xx)", async () => {
    const f = fakeClient({ fail: (op) => (op === "create" ? new ApiError({ method: "CreateSIPDispatchRule", twirpCode: "invalid_argument", status: 400, message: "bad", retryable: false }) : undefined) });
    const report = await applyPlan(sched([{ op: { op: "create", name: "a", spec: spec("a") } }]), { client: f.client, concurrency: 1, now });
    expect(report.ok).toBe(false);
    expect(f.calls).toEqual(["create:a"]);
  });

  it("does not hang on a cyclic schedule: everything in the cycle is skipped", async () => {
    const f = fakeClient();
    const report = await applyPlan(
      sched([
        { op: { op: "create", name: "a", spec: spec("a") }, after: [1] },
        { op: { op: "create", name: "b", spec: spec("b") }, after: [0] },
      ]),
      { client: f.client, concurrency: 2, now },
    );
    expect(report.counts.skipped).toBe(2);
    expect(f.calls).toEqual([]);
  });

  it("finishes an empty schedule at once", async () => {
    const f = fakeClient();
    const report = await applyPlan({ operations: [] }, { client: f.client, concurrency: 4, now });
    expect(report).toEqual({ outcomes: [], ok: true, counts: { ok: 0, failed: 0, skipped: 0 } });
  });
});

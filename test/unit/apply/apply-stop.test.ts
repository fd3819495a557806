// Unit: the applier when the process stops (watch on SIGTERM, SPEC §6): no operation starts after
// the signal aborts, the ones in flight finish, and a create whose answer was lost is never sent
// again (in no run of apply, SPEC §5).
import { describe, expect, it } from "vitest";
import { applyPlan } from "../../../src/apply/index.js";
import { ApiError, type Operation, type RemoteRule, type RuleSpec, type Schedule, type SipClient } from "../../../src/model/index.js";

const spec = (name: string): RuleSpec => ({ name, individual: { roomPrefix: name } });
const create = (name: string): Operation => ({ op: "create", name, spec: spec(name) });
function sched(ops: readonly Operation[]): Schedule {
  return { operations: ops.map((operation, index) => ({ index, change: index, operation, after: [], keys: [] })) };
}

function client(onCreate: (name: string, n: number) => Promise<void>) {
  const calls: string[] = [];
  const c: SipClient = {
    server: "http://fake",
    listRules: async () => {
      calls.push("list");
      return [];
    },
    createRule: async (s): Promise<RemoteRule> => {
      calls.push(`create:${s.name}`);
      await onCreate(s.name, calls.filter((x) => x === `create:${s.name}`).length);
      return { id: `SDR_${s.name}`, spec: s };
    },
    listRulesByIds: async () => [],
    updateRule: async (id, s) => ({ id, spec: s }),
    deleteRule: async () => undefined,
    supportsUpdate: async () => true,
  };
  return { client: c, calls };
}

describe("applyPlan with a stop signal", () => {
  it("starts nothing after the abort; the operation in flight finishes", async () => {
    const stop = new AbortController();
    const { client: c, calls } = client(async () => {
      stop.abort();
      await new Promise((r) => setTimeout(r, 5));
    });
    const report = await applyPlan(sched([create("a"), create("b"), create("c")]), { client: c, concurrency: 1, now: () => 0, signal: stop.signal });
    expect(calls).toEqual(["create:a"]);
    expect(report.outcomes.map((o) => `${o.name} ${o.status}`)).toEqual(["a ok", "b skipped", "c skipped"]);
    expect(report.outcomes[1]?.detail).toMatch(/stopping/);
    expect(report.ok).toBe(false);
  });

  it("an ambiguous create while stopping is reported as outcome unknown, never listed and sent again", async () => {
    const stop = new AbortController();
    const lost = new ApiError({ method: "CreateSIPDispatchRule", twirpCode: "unavailable", status: 0, message: "socket hang up", retryable: false, ambiguous: true });
    const { client: c, calls } = client(async () => {
      stop.abort();
      throw lost;
    });
    const report = await applyPlan(sched([create("a")]), { client: c, concurrency: 1, now: () => 0, signal: stop.signal });
    expect(calls).toEqual(["create:a"]);
    expect(report.outcomes[0]).toMatchObject({ status: "failed", detail: expect.stringMatching(/outcome unknown/) });
  });

  it("without a stop, the same ambiguous create is not sent again either (SPEC §5: the next run's list decides)", async () => {
    const lost = new ApiError({ method: "CreateSIPDispatchRule", twirpCode: "unavailable", status: 0, message: "socket hang up", retryable: false, ambiguous: true });
    const { client: c, calls } = client(async (_name, n) => {
      if (n === 1) throw lost;
    });
    const report = await applyPlan(sched([create("a")]), { client: c, concurrency: 1, now: () => 0 });
    expect(calls).toEqual(["create:a"]);
    expect(report.outcomes[0]).toMatchObject({ status: "failed", detail: expect.stringMatching(/outcome unknown/) });
    expect(report.ok).toBe(false);
  });
});

// Property tests (pure, simulated server): applying a plan in any order its schedule allows never
// meets the server's conflict check, and re-planning after it yields nothing (convergence).
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { matchesManage, orderChanges, planChanges } from "../../src/core/index.js";
import type { DesiredState, RemoteRule } from "../../src/model/index.js";
import { desiredStateArb, remoteStateArb } from "../support/builders.js";
import { SimulatedServer, findConflict, randomValidOrder, runSchedule, seededRandom } from "../support/simulate-server.js";

/** A server state, plus duplicate copies (other IDs) of some rules named in the file. */
const scenarioArb = fc
  .tuple(desiredStateArb, remoteStateArb, fc.boolean(), fc.array(fc.nat(), { maxLength: 3 }))
  .map(([desired, remote, updateSupported, dupPicks]): [DesiredState, RemoteRule[], boolean] => {
    // Duplicates the plan may repair: managed names that are in the file.
    const fileNames = new Set(desired.rules.map((r) => r.spec.name).filter((n) => matchesManage(n, desired.manage)));
    const candidates = remote.filter((r) => fileNames.has(r.spec.name));
    const dups = candidates.length === 0 ? [] : dupPicks.map((p, i) => {
      const src = candidates[p % candidates.length] as RemoteRule;
      return { id: `SDR_dup${i}${src.id.slice(7)}`, spec: src.spec };
    });
    return [desired, [...remote, ...dups], updateSupported];
  });

describe("planner against a simulated server", () => {
  test("every valid interleaving of the schedule applies without a conflict and converges", () => {
    let exercised = 0;
    fc.assert(
      fc.property(scenarioArb, fc.array(fc.integer(), { minLength: 3, maxLength: 3 }), ([desired, remote, updateSupported], seeds) => {
        const plan = planChanges(desired, remote, { updateSupported });
        // Conflicts with rules the plan may not touch are refused, never scheduled.
        if (plan.refusal?.code === "unmanaged-conflict") return;
        exercised += 1;
        const schedule = orderChanges(plan.changes);
        schedule.operations.forEach((op, i) => {
          expect(op.index).toBe(i);
          expect(op.after.every((a) => a < i)).toBe(true);
        });
        for (const seed of seeds) {
          const server = new SimulatedServer(remote);
          const result = runSchedule(server, schedule, randomValidOrder(schedule, seededRandom(seed)));
          expect(result).toEqual({ ok: true });
          const after = server.list();
          expect(findConflict(after)).toBeUndefined();
          const again = planChanges(desired, after, { updateSupported });
          expect(again.changes).toEqual([]);
          expect(again.summary.unmanaged).toBe(plan.summary.unmanaged);
        }
      }),
      { numRuns: 400 },
    );
    expect(exercised).toBeGreaterThan(150);
  });

  test("operations the schedule leaves unordered (free to run at once) share a key only when both are deletes", () => {
    fc.assert(
      fc.property(scenarioArb, ([desired, remote, updateSupported]) => {
        const plan = planChanges(desired, remote, { updateSupported });
        if (plan.refusal?.code === "unmanaged-conflict") return;
        const schedule = orderChanges(plan.changes);
        const reach = schedule.operations.map((o) => new Set(o.after));
        for (const o of schedule.operations) for (const a of o.after) for (const r of reach[a] ?? []) reach[o.index]?.add(r);
        for (const x of schedule.operations) {
          for (const y of schedule.operations) {
            if (x.index >= y.index || reach[y.index]?.has(x.index)) continue;
            if (x.keys.some((k) => y.keys.includes(k))) expect([x.operation.op, y.operation.op]).toEqual(["delete", "delete"]);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

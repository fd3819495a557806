// Unit tests for the operation schedule (pure), checked against the simulated server.
import { describe, expect, test } from "vitest";
import { exportSpecs, orderChanges, pinPlaceholderVar, planChanges } from "../../../src/core/index.js";
import type { DesiredState, RemoteRule, Schedule } from "../../../src/model/index.js";
import { aDesiredRule, aDesiredState, aRemoteRule, withServerDefaults } from "../../support/builders.js";
import { SimulatedServer, randomValidOrder, runSchedule, seededRandom } from "../../support/simulate-server.js";

function ops(s: Schedule): string[] {
  return s.operations.map((o) => `${o.operation.op} ${o.operation.name} after[${o.after.join(",")}]`);
}

/** Plans, orders and applies in 50 random valid orders; each must succeed and converge. */
function applyEveryWay(desired: DesiredState, remote: RemoteRule[], updateSupported = true): Schedule {
  const plan = planChanges(desired, remote, { updateSupported });
  const schedule = orderChanges(plan.changes);
  for (let seed = 0; seed < 50; seed++) {
    const server = new SimulatedServer(remote);
    expect(runSchedule(server, schedule, randomValidOrder(schedule, seededRandom(seed)))).toEqual({ ok: true });
    expect(planChanges(desired, server.list(), { updateSupported }).changes).toEqual([]);
  }
  return schedule;
}

describe("orderChanges", () => {
  test("a trunk moving from one rule to another: the giver updates first", () => {
    const remote = [aRemoteRule({ id: "SDR_a", name: "a", trunkIds: ["ST_1", "ST_2"] }), aRemoteRule({ id: "SDR_b", name: "b", trunkIds: ["ST_3"] })];
    const desired = aDesiredState({ rules: [aDesiredRule({ name: "a", trunkIds: ["ST_2"] }), aDesiredRule({ name: "b", trunkIds: ["ST_1", "ST_3"] })] });
    expect(ops(applyEveryWay(desired, remote))).toEqual(["update a after[]", "update b after[0]"]);
  });

  test("a swap of pins applies cleanly through one recreate", () => {
    const remote = [aRemoteRule({ id: "SDR_a", name: "a", individual: { pin: "1111" } }), aRemoteRule({ id: "SDR_b", name: "b", individual: { pin: "2222" } })];
    const desired = aDesiredState({ rules: [aDesiredRule({ name: "a", individual: { pin: "2222" } }), aDesiredRule({ name: "b", individual: { pin: "1111" } })] });
    expect(ops(applyEveryWay(desired, remote))).toEqual(["delete a after[]", "update b after[0]", "create a after[0,1]"]);
  });

  test("a three-rule rotation of trunks breaks with one recreate", () => {
    const t = (name: string, trunk: string) => ({ name, trunkIds: [trunk] });
    const remote = [aRemoteRule({ id: "SDR_a", ...t("a", "ST_1") }), aRemoteRule({ id: "SDR_b", ...t("b", "ST_2") }), aRemoteRule({ id: "SDR_c", ...t("c", "ST_3") })];
    const desired = aDesiredState({ rules: [aDesiredRule(t("a", "ST_2")), aDesiredRule(t("b", "ST_3")), aDesiredRule(t("c", "ST_1"))] });
    const schedule = applyEveryWay(desired, remote);
    expect(schedule.operations.filter((o) => o.operation.op === "delete").map((o) => o.operation.name)).toEqual(["a"]);
  });

  test("a rename frees the key before the new name takes it; without Update, recreates in the right order", () => {
    const remote = [aRemoteRule({ id: "SDR_old", name: "old-name", trunkIds: ["ST_1"] }), aRemoteRule({ id: "SDR_m", name: "m", trunkIds: ["ST_5"] })];
    const desired = aDesiredState({ rules: [aDesiredRule({ name: "new-name", trunkIds: ["ST_1"] }), aDesiredRule({ name: "m", trunkIds: ["ST_6"] })] });
    expect(ops(applyEveryWay(desired, remote))).toEqual(["delete old-name after[]", "update m after[]", "create new-name after[0]"]);
    expect(ops(applyEveryWay(desired, remote, false))).toEqual(["delete m after[]", "delete old-name after[]", "create m after[0]", "create new-name after[1]"]);
  });

  test("duplicates on the server are deleted before any create or update", () => {
    const dup = { name: "d", trunkIds: ["ST_d"] };
    const remote = [aRemoteRule({ id: "SDR_1", ...dup }), aRemoteRule({ id: "SDR_2", ...dup }), aRemoteRule({ id: "SDR_u", name: "u", trunkIds: ["ST_u"] })];
    const desired = aDesiredState({ rules: [aDesiredRule(dup), aDesiredRule({ name: "u", trunkIds: ["ST_u2"] }), aDesiredRule({ name: "n", trunkIds: ["ST_n"] })] });
    expect(ops(applyEveryWay(desired, remote))).toEqual(["delete d after[]", "update u after[0]", "create n after[0]"]);
  });

  test("operations whose keys do not meet have no ordering; keys are listed for mutual exclusion", () => {
    const schedule = orderChanges(
      planChanges(aDesiredState({ rules: [aDesiredRule({ name: "x", trunkIds: ["ST_x"] }), aDesiredRule({ name: "y", trunkIds: ["ST_y"] })] }), [], { updateSupported: true }).changes,
    );
    expect(schedule.operations.map((o) => o.after)).toEqual([[], []]);
    expect(schedule.operations.every((o) => o.keys.length === 1)).toBe(true);
  });

  test("is deterministic", () => {
    const remote = [aRemoteRule({ id: "SDR_a", name: "a", individual: { pin: "1" } }), aRemoteRule({ id: "SDR_b", name: "b", individual: { pin: "2" } })];
    const desired = aDesiredState({ rules: [aDesiredRule({ name: "b", individual: { pin: "1" } }), aDesiredRule({ name: "a", individual: { pin: "2" } })] });
    const changes = planChanges(desired, remote, { updateSupported: true }).changes;
    expect(orderChanges(changes)).toEqual(orderChanges([...changes]));
  });
});

describe("exportSpecs", () => {
  const remote = [
    aRemoteRule({ id: "SDR_2", name: "Support line", individual: { roomPrefix: "call-", pin: "4821" }, metadata: '{"tier":"gold"}' }),
    aRemoteRule({ id: "SDR_4", name: "spaced", direct: {}, trunkIds: ["ST_s"], metadata: '{"tier": "gold"}' }),
    aRemoteRule({ id: "SDR_1", name: "b-rule", direct: { roomName: "r" }, trunkIds: ["ST_b"], metadata: "plain" }),
    aRemoteRule({ id: "SDR_3", name: "", trunkIds: ["ST_c"] }),
    aRemoteRule({ id: "SDR_0", name: "b-rule", trunkIds: ["ST_dup"] }),
  ].map((r) => ({ ...r, spec: withServerDefaults(r.spec) }));

  test("named rules only, one per name (lowest ID), sorted, normalised, JSON metadata as a mapping only when it round-trips, pins as placeholders", () => {
    const specs = exportSpecs(remote, { includePins: false });
    expect(specs).toEqual([
      { name: "Support line", individual: { roomPrefix: "call-", pin: "${PIN_SUPPORT_LINE}" }, trunkIds: ["ST_abc123"], metadata: { tier: "gold" } },
      { name: "b-rule", individual: { roomPrefix: "call-" }, trunkIds: ["ST_dup"] },
      // Other spacing would not come back byte for byte: a string; an empty room is written.
      { name: "spaced", direct: { roomName: "" }, trunkIds: ["ST_s"], metadata: '{"tier": "gold"}' },
    ]);
    expect(exportSpecs(remote, { includePins: true })[0]?.individual?.pin).toBe("4821");
    expect(exportSpecs(remote, { includePins: true, names: "b-*" }).map((s) => s.name)).toEqual(["b-rule"]);
  });

  test("pinPlaceholderVar upper-cases and replaces other characters", () => {
    expect(pinPlaceholderVar("support-line.eu 2")).toBe("PIN_SUPPORT_LINE_EU_2");
  });
});

// Unit: planListed (renamed from planWithProbe: it sends nothing, SPEC §4) asks what the client
// knows about Update only when the plan holds an update, and plans delete + create only when the
// client knows Update is missing.
import { describe, expect, it } from "vitest";
import { planListed } from "../../../src/apply/index.js";
import type { DesiredState, RemoteRule } from "../../../src/model/index.js";

const desired: DesiredState = { version: 1, manage: ["*"], prune: true, allowEmpty: false, limits: { maxDeletes: 5, maxDeletePercent: 30 }, rules: [{ spec: { name: "a", direct: { roomName: "new" }, trunkIds: ["ST_1"] } }] } as unknown as DesiredState;
const remote: RemoteRule[] = [{ id: "SDR_1", spec: { name: "a", direct: { roomName: "old" }, trunkIds: ["ST_1"] } }];

describe("planListed", () => {
  it("an update is a replace while Update is known or assumed, delete + create once the client knows it is missing", async () => {
    let asked = 0;
    const withUpdate = await planListed(desired, remote, async () => (asked++, true));
    expect(withUpdate.changes.map((c) => (c.action === "update" ? c.method : c.action))).toEqual(["replace"]);
    expect(asked).toBe(1);
    const without = await planListed(desired, remote, async () => false);
    expect(without.changes.map((c) => (c.action === "update" ? c.method : c.action))).toEqual(["recreate"]);
  });

  it("does not ask about Update when the plan holds no update", async () => {
    let asked = 0;
    const same: RemoteRule[] = [{ id: "SDR_1", spec: { name: "a", direct: { roomName: "new" }, trunkIds: ["ST_1"] } }];
    const plan = await planListed(desired, same, async () => (asked++, false));
    expect(plan.summary.unchanged).toBe(1);
    expect(asked).toBe(0);
  });
});

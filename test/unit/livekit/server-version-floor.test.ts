// livekit-sip-api.md §11.2: key presence in a List answer gives a version floor, positive-only.
import { describe, expect, it } from "vitest";
import { formatVersion, versionFloor } from "../../../src/livekit/server-version.js";

const base = { sip_dispatch_rule_id: "SDR_a", rule: { dispatch_rule_direct: { room_name: "r", pin: "" } }, trunk_ids: [], name: "a" };

describe("versionFloor: what the client records", () => {
  it("proves nothing from an empty answer or from keys every version has", () => {
    expect(versionFloor({ rules: [] })).toEqual({ atLeast: undefined, floor: undefined, evidence: [], update: undefined, emitsDefaults: false, missingFields: [], items: 0 });
    expect(versionFloor({ rules: [base] }).atLeast).toBeUndefined();
    expect(versionFloor({ rules: [base] }).update).toBeUndefined();
  });

  it.each([
    [{ numbers: [] }, "v1.9.11"],
    [{ numbers: [], created_at: null }, "v1.10.0"],
    [{ numbers: [], created_at: null, media: null }, "v1.12.0"],
    [{ createdAt: null }, "v1.10.0"],
  ])("keys %j prove at least %s, and so Update", (extra, version) => {
    const floor = versionFloor({ rules: [{ ...base, ...extra }] });
    expect(floor.atLeast && formatVersion(floor.atLeast)).toBe(version);
    expect(floor.update).toBe(true);
    expect(floor.floor).toBe(version);
  });

  it("reads no_randomness in an individual rule and inbound-trunk keys", () => {
    const individual = { ...base, rule: { dispatch_rule_individual: { room_prefix: "", pin: "", no_randomness: false } } };
    expect(versionFloor({ rules: [base, individual] }).evidence).toEqual(["dispatch_rule_individual.no_randomness"]);
    const trunks = versionFloor({ trunks: [{ sip_trunk_id: "ST_a", auth_realm: "", created_at: null }] });
    expect(trunks.atLeast && formatVersion(trunks.atLeast)).toBe("v1.12.0");
  });

  it("evidence is oldest release first, in either spelling, and the trunk keys count too", () => {
    const all = { ...base, numbers: [], createdAt: null, media: null, rule: { dispatchRuleIndividual: { noRandomness: false } } };
    expect(versionFloor({ rules: [all], trunks: [{ sip_trunk_id: "ST_a", media: null }] })).toMatchObject({
      evidence: ["numbers", "created_at", "dispatch_rule_individual.no_randomness", "media", "trunk media"],
      floor: "v1.13.2",
    });
  });
});

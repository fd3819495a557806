// Unit: the version floor read from a List answer's keys (livekit-sip-api.md §11.2).
import { describe, expect, test } from "vitest";
import { ruleUsesField, versionFloor } from "../../../src/livekit/server-version.js";

/** The one reading of a List answer (issue #12: the client and doctor share it). */
const inferServerVersion = (items: readonly unknown[]) => versionFloor({ rules: items });

const base = { sip_dispatch_rule_id: "SDR_1", name: "a", trunk_ids: [], hide_phone_number: false, rule: { dispatch_rule_individual: { room_prefix: "", pin: "" } } };

describe("versionFloor: what doctor reads", () => {
  test("the newest key present gives the floor; older keys are implied", () => {
    expect(inferServerVersion([{ ...base, numbers: [], created_at: null, media: null }])).toMatchObject({ floor: "v1.12.0", emitsDefaults: true, missingFields: [] });
    expect(inferServerVersion([{ ...base, numbers: [], created_at: null }])).toMatchObject({ floor: "v1.10.0", missingFields: ["media"] });
    expect(inferServerVersion([{ ...base, numbers: [] }])).toMatchObject({ floor: "v1.9.11", missingFields: ["individual.noRandomness", "media"] });
    expect(inferServerVersion([base])).toMatchObject({ floor: undefined, missingFields: ["numbers", "individual.noRandomness", "media"] });
  });

  test("an answer without defaults or without rules proves nothing missing", () => {
    expect(inferServerVersion([{ sip_dispatch_rule_id: "SDR_1", name: "a" }])).toMatchObject({ emitsDefaults: false, missingFields: [] });
    expect(inferServerVersion([])).toMatchObject({ floor: undefined, items: 0, missingFields: [] });
  });

  test("no_randomness can only be missing when an individual rule was listed", () => {
    const direct = { ...base, rule: { dispatch_rule_direct: { room_name: "r", pin: "" } }, numbers: [] };
    expect(inferServerVersion([direct]).missingFields).toEqual(["media"]);
  });

  test("ruleUsesField ignores default values", () => {
    expect(ruleUsesField({ numbers: [] }, "numbers")).toBe(false);
    expect(ruleUsesField({ numbers: ["+1"] }, "numbers")).toBe(true);
    expect(ruleUsesField({ individual: { noRandomness: false } }, "individual.noRandomness")).toBe(false);
    expect(ruleUsesField({ individual: { noRandomness: true } }, "individual.noRandomness")).toBe(true);
    expect(ruleUsesField({ media: {} }, "media")).toBe(false);
  });
});

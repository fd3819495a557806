// Property test (pure): the export of any server state, used as the file, plans nothing against it.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { exportSpecs, planChanges } from "../../src/core/index.js";
import type { RemoteRule } from "../../src/model/index.js";
import { aDesiredState, desiredRules, remoteStateArb } from "../support/builders.js";

/** Export keeps one rule per name, so states with duplicate names are left to the duplicate tests. */
const uniqueNames = (rules: RemoteRule[]) => rules.filter((r, i) => r.spec.name === "" || rules.findIndex((o) => o.spec.name === r.spec.name) === i);

describe("export round trip", () => {
  test("exportSpecs (pins included) as the file plans no changes against the same server", () => {
    fc.assert(
      fc.property(remoteStateArb.map(uniqueNames), (remote) => {
        const specs = exportSpecs(remote, { includePins: true });
        expect(specs.map((s) => s.name)).toEqual([...specs.map((s) => s.name)].sort());
        const plan = planChanges(aDesiredState({ rules: desiredRules(specs), allowEmpty: true }), remote, { updateSupported: true });
        expect(plan.changes).toEqual([]);
        expect(plan.summary.unchanged).toBe(specs.length);
        expect(plan.refusal).toBeNull();
      }),
      { numRuns: 300 },
    );
  });
});

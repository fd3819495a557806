// withMoreWarnings (src/model/plan.ts): a plan with more warnings keeps the fingerprint lazy (a
// hash of every rule, computed only for outputs that show it) and otherwise the same plan.
import { describe, expect, it } from "vitest";
import { withMoreWarnings, type Plan } from "../../../src/model/index.js";

function lazyPlan(): { plan: Plan; reads: () => number } {
  let reads = 0;
  const plan: Plan = {
    changes: [],
    summary: { create: 0, update: 0, delete: 0, unchanged: 3, unmanaged: 0, kept: 0, outsideManage: 0, outsideNames: 0 },
    get fingerprint() {
      reads += 1;
      return "sha256:abc";
    },
    refusal: null,
    warnings: ["first"],
  };
  return { plan, reads: () => reads };
}

describe("withMoreWarnings", () => {
  it("adds warnings without computing the fingerprint; reading it later gives the plan's", () => {
    const { plan, reads } = lazyPlan();
    const more = withMoreWarnings(plan, ["second"]);
    expect(reads()).toBe(0);
    expect(more.warnings).toEqual(["first", "second"]);
    expect([more.changes, more.summary, more.refusal]).toEqual([plan.changes, plan.summary, plan.refusal]);
    expect(more.fingerprint).toBe("sha256:abc");
    expect(reads()).toBe(1);
  });

  it("is the plan itself when there is nothing to add", () => {
    const { plan, reads } = lazyPlan();
    expect(withMoreWarnings(plan, [])).toBe(plan);
    expect(reads()).toBe(0);
  });
});

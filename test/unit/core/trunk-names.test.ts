// resolveTrunkNames (SPEC §8), pure: exact names to IDs joined with trunkIds, errors for zero or
// several matches and for a failed list (at each rule naming a trunk), the conflict check on IDs,
// and the warning for trunkIds that are not inbound trunks.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { needsTrunkList, resolveTrunkNames } from "../../../src/core/index.js";
import type { DesiredRule, DesiredState, InboundTrunk } from "../../../src/model/index.js";

function state(rules: readonly DesiredRule[]): DesiredState {
  return { file: "r.yaml", version: 1, prune: true, allowEmpty: false, manage: ["*"], limits: { maxDeletes: 5, maxDeletePercent: 30 }, rules };
}
const rule = (name: string, trunks: string[] | undefined, trunkIds?: string[], numbers = [`+1555${name.length}`]): DesiredRule => ({
  spec: { name, callee: {}, ...(trunkIds ? { trunkIds } : {}), numbers },
  loc: { file: "r.yaml", line: 3, column: 5 },
  ...(trunks ? { trunks } : {}),
});
const TRUNKS: InboundTrunk[] = [
  { id: "ST_a", name: "main" },
  { id: "ST_b", name: "backup" },
  { id: "ST_c", name: "twin" },
  { id: "ST_d", name: "twin" },
  { id: "ST_e", name: "" },
];

describe("resolveTrunkNames", () => {
  it("joins the resolved IDs with trunkIds, once each, and lists the names used", () => {
    const r = resolveTrunkNames(state([rule("x", ["main", "backup"], ["ST_b", "ST_e"])]), TRUNKS);
    expect(r.diagnostics).toEqual([]);
    expect(r.state.rules[0]?.spec.trunkIds).toEqual(["ST_b", "ST_e", "ST_a"]);
    expect(r.state.rules[0]?.loc).toEqual({ file: "r.yaml", line: 3, column: 5 });
    expect(r.resolved).toEqual([
      { name: "backup", id: "ST_b" },
      { name: "main", id: "ST_a" },
    ]);
  });

  it("is an error at the rule's line for no match (case counts), several matches, or a failed list", () => {
    const r = resolveTrunkNames(state([rule("x", ["Main"]), rule("y", ["twin"]), rule("z", undefined, ["ST_a"])]), TRUNKS);
    expect(r.diagnostics.map((d) => [d.code, d.line, d.hint?.slice(0, 20)])).toEqual([
      ["unknown-trunk", 3, "did you mean `main`?"],
      ["ambiguous-trunk", 3, "trunk names are not "],
    ]);
    expect(r.diagnostics[1]?.message).toContain("(ST_c, ST_d)");
    const failed = resolveTrunkNames(state([rule("x", ["main"]), rule("z", undefined, ["ST_a"])]), { error: "HTTP 503" });
    expect(failed.diagnostics.map((d) => d.code)).toEqual(["trunk-list-failed"]);
    expect(failed.diagnostics[0]?.message).toContain("HTTP 503");
    const idsOnly = resolveTrunkNames(state([rule("z", undefined, ["ST_a"])]), { error: "HTTP 503" });
    expect([idsOnly.diagnostics, idsOnly.warnings.length]).toEqual([[], 1]);
  });

  it("checks conflicts on IDs: a name and the same trunk's ID conflict; two different trunks do not", () => {
    const same = resolveTrunkNames(state([rule("x", ["main"], undefined, ["+1555"]), rule("y", undefined, ["ST_a"], ["+1555"])]), TRUNKS);
    expect(same.diagnostics.map((d) => d.code)).toEqual(["rule-conflict"]);
    const apart = resolveTrunkNames(state([rule("x", ["main"], undefined, ["+1555"]), rule("y", undefined, ["ST_b"], ["+1555"])]), TRUNKS);
    expect(apart.diagnostics).toEqual([]);
  });

  it("warns about trunkIds that are not inbound trunks, never about resolved names", () => {
    const r = resolveTrunkNames(state([rule("x", ["main"], ["ST_gone", "ST_b"])]), TRUNKS);
    expect(r.warnings).toEqual([expect.stringContaining("trunkIds ST_gone is not an inbound trunk on the server")]);
  });

  it("property: a name resolves iff exactly one trunk holds it, and then to that trunk's ID", () => {
    const names = fc.constantFrom("a", "b", "c", "");
    fc.assert(
      fc.property(fc.array(fc.record({ id: fc.stringMatching(/^ST_[a-z]{3}$/), name: names }), { maxLength: 8 }), fc.constantFrom("a", "b", "c"), (raw, wanted) => {
        const trunks = [...new Map(raw.map((t) => [t.id, t])).values()];
        const holders = trunks.filter((t) => t.name === wanted);
        const r = resolveTrunkNames(state([rule("x", [wanted])]), trunks);
        if (holders.length === 1) {
          expect(r.diagnostics).toEqual([]);
          expect(r.state.rules[0]?.spec.trunkIds).toEqual([holders[0]?.id]);
        } else {
          expect(r.diagnostics.map((d) => d.code)).toEqual([holders.length === 0 ? "unknown-trunk" : "ambiguous-trunk"]);
        }
      }),
      { seed: 16, numRuns: 300 },
    );
  });

  it("needs the list only when a rule names a trunk by name or ID", () => {
    expect(needsTrunkList(state([rule("x", undefined)]))).toBe(false);
    expect(needsTrunkList(state([rule("x", ["main"])]))).toBe(true);
    expect(needsTrunkList(state([rule("x", undefined, ["ST_a"])]))).toBe(true);
  });
});

// Unit tests for matching, safety and planning (pure).
import { describe, expect, test } from "vitest";
import { fingerprintRules, matchesManage, planChanges } from "../../../src/core/index.js";
import type { Plan, RemoteRule } from "../../../src/model/index.js";
import { aDesiredRule, aDesiredState, aRemoteRule, withServerDefaults } from "../../support/builders.js";

const UPDATE = { updateSupported: true } as const;

function brief(plan: Plan): string[] {
  return plan.changes.map((c) => `${c.action} ${c.name}${"id" in c ? ` ${c.id}` : ""}${c.action === "update" ? ` ${c.method}` : ""}`);
}

/** n managed remote rules on distinct trunks, named r00..r(n-1). */
function remoteRules(n: number): RemoteRule[] {
  return Array.from({ length: n }, (_, i) => aRemoteRule({ id: `SDR_${String(i).padStart(12, "0")}`, name: `r${String(i).padStart(2, "0")}`, trunkIds: [`ST_${i}`] }));
}

describe("matchesManage", () => {
  test("* and ? globs; other characters literal; the empty name is never managed", () => {
    expect(matchesManage("support-line", ["*"])).toBe(true);
    expect(matchesManage("", ["*"])).toBe(false);
    expect(matchesManage("sales-eu", ["support-*", "sales-??"])).toBe(true);
    expect(matchesManage("sales-eur", ["sales-??"])).toBe(false);
    expect(matchesManage("a.b", ["a?b"])).toBe(true);
    expect(matchesManage("axb", ["a.b"])).toBe(false);
    expect(matchesManage("x", [])).toBe(false);
  });
});

describe("planChanges", () => {
  test("create, update, delete, unchanged and unmanaged, sorted by name", () => {
    const remote = [
      aRemoteRule({ id: "SDR_1", name: "same", trunkIds: ["ST_same"] }),
      aRemoteRule({ id: "SDR_2", name: "changed", trunkIds: ["ST_old"] }),
      aRemoteRule({ id: "SDR_3", name: "gone", trunkIds: ["ST_gone"] }),
      aRemoteRule({ id: "SDR_4", name: "", trunkIds: ["ST_blank"] }),
      aRemoteRule({ id: "SDR_5", name: "other-team", trunkIds: ["ST_other"] }),
    ];
    const desired = aDesiredState({
      manage: ["same", "changed", "gone", "new"],
      rules: [aDesiredRule({ name: "new", trunkIds: ["ST_new"] }), aDesiredRule({ name: "same", trunkIds: ["ST_same"] }), aDesiredRule({ name: "changed", trunkIds: ["ST_new2"] })],
    });
    const plan = planChanges(desired, remote.map((r) => ({ ...r, spec: withServerDefaults(r.spec) })), UPDATE);
    expect(brief(plan)).toEqual(["update changed SDR_2 replace", "delete gone SDR_3", "create new"]);
    expect(plan.summary).toEqual({ create: 1, update: 1, delete: 1, unchanged: 1, unmanaged: 2, kept: 0, outsideManage: 0, outsideNames: 0 });
    expect(plan.summary.update + plan.summary.delete + plan.summary.unchanged + plan.summary.unmanaged).toBe(remote.length);
    expect(plan.refusal).toBeNull();
    const update = plan.changes[0];
    expect(update?.action === "update" && update.fields).toEqual([{ path: "trunkIds", before: ["ST_old"], after: ["ST_new2"] }]);
    expect(plan.changes[2]).toMatchObject({ action: "create", loc: { file: "dispatch-rules.yaml" } });
  });

  test("duplicates: the one equal to the file is kept, the others deleted after it", () => {
    const remote = [aRemoteRule({ id: "SDR_a", name: "dup", trunkIds: ["ST_x"] }), aRemoteRule({ id: "SDR_b", name: "dup" }), aRemoteRule({ id: "SDR_c", name: "dup", trunkIds: ["ST_y"] })];
    const plan = planChanges(aDesiredState({ rules: [aDesiredRule({ name: "dup" })] }), remote, UPDATE);
    expect(brief(plan)).toEqual(["delete dup SDR_a", "delete dup SDR_c"]);
    expect(plan.changes.every((c) => c.action === "delete" && c.reason === "duplicate")).toBe(true);
    expect(plan.summary).toMatchObject({ unchanged: 1, delete: 2 });
    expect(plan.warnings.join("\n")).toMatch(/2 duplicate rules/);
  });

  test("duplicates: with none equal, the lowest ID is updated and the others deleted", () => {
    const remote = [aRemoteRule({ id: "SDR_b", name: "dup", trunkIds: ["ST_y"] }), aRemoteRule({ id: "SDR_a", name: "dup", trunkIds: ["ST_x"] })];
    const plan = planChanges(aDesiredState({ rules: [aDesiredRule({ name: "dup", trunkIds: ["ST_z"] })] }), remote, UPDATE);
    expect(brief(plan)).toEqual(["update dup SDR_a replace", "delete dup SDR_b"]);
  });

  test("prune false keeps managed rules missing from the file", () => {
    const plan = planChanges(aDesiredState({ prune: false, rules: [aDesiredRule({ name: "a" })] }), [aRemoteRule({ name: "b", trunkIds: ["ST_b"] })], UPDATE);
    expect(brief(plan)).toEqual(["create a"]);
    // Counted as kept, never as unchanged: the server does not equal the file (issue #15).
    expect(plan.summary).toMatchObject({ delete: 0, unchanged: 0, kept: 1 });
  });

  test("a file rule outside manage is not planned and is warned about", () => {
    const plan = planChanges(aDesiredState({ manage: ["team-*"], rules: [aDesiredRule({ name: "other" })] }), [], UPDATE);
    expect(plan.changes).toEqual([]);
    expect(plan.warnings[0]).toMatch(/outside manage/);
    expect(plan.summary.outsideManage).toBe(1);
  });

  test("a conflict with an unmanaged rule is refused, not forceable, and wins over safety limits", () => {
    const remote = [aRemoteRule({ id: "SDR_blank", name: "", individual: { pin: "4821" }, trunkIds: ["ST_1"] }), ...remoteRules(8)];
    const desired = aDesiredState({ rules: [aDesiredRule({ name: "mine", individual: { pin: "4821" }, trunkIds: ["ST_1", "ST_2"] })] });
    const plan = planChanges(desired, remote, UPDATE);
    expect(plan.refusal).toMatchObject({ code: "unmanaged-conflict", forceable: false });
    expect(plan.refusal?.message).toMatch(/"mine".*SDR_blank <blank name>.*trunk ST_1/);
    expect(JSON.stringify(plan.refusal)).not.toMatch(/4821/);
  });

  test("a conflict with a rule kept by prune: false is refused too", () => {
    const desired = aDesiredState({ prune: false, rules: [aDesiredRule({ name: "mine", trunkIds: ["ST_1"] })] });
    const plan = planChanges(desired, [aRemoteRule({ id: "SDR_k", name: "kept", trunkIds: ["ST_1"] })], UPDATE);
    expect(plan.refusal?.code).toBe("unmanaged-conflict");
    expect(plan.refusal?.message).toMatch(/prune is false/);
  });

  test("maxDeletes: 5 deletes pass, 6 are refused with the numbers and the way out", () => {
    const ok = planChanges(aDesiredState({ rules: [aDesiredRule({ name: "keep", trunkIds: ["ST_keep"] })] }), remoteRules(5), UPDATE);
    expect(ok.refusal).toBeNull();
    const plan = planChanges(aDesiredState({ rules: [aDesiredRule({ name: "keep", trunkIds: ["ST_keep"] })] }), remoteRules(6), UPDATE);
    expect(plan.refusal).toMatchObject({ code: "max-deletes", forceable: true });
    expect(plan.refusal?.message).toMatch(/6 rules.*limits\.maxDeletes \(5\)/);
    expect(plan.refusal?.hint).toMatch(/limits\.maxDeletes.*--force/);
  });

  test("maxDeletePercent applies from 10 managed rules", () => {
    const keep = (n: number) => remoteRules(n).slice(4).map((r) => aDesiredRule(r.spec));
    const twelve = planChanges(aDesiredState({ rules: keep(12) }), remoteRules(12), UPDATE);
    expect(twelve.summary.delete).toBe(4);
    expect(twelve.refusal).toMatchObject({ code: "max-delete-percent", forceable: true });
    expect(twelve.refusal?.message).toMatch(/4 of 12 managed rules \(33\.3%\).*\(30%\)/);
    const nine = planChanges(aDesiredState({ rules: keep(9) }), remoteRules(9), UPDATE);
    expect(nine.refusal).toBeNull();
  });

  test("an empty file with managed rules on the server is refused unless allowEmpty", () => {
    const plan = planChanges(aDesiredState({ rules: [] }), remoteRules(2), UPDATE);
    expect(plan.refusal).toMatchObject({ code: "empty-rules", forceable: true });
    expect(plan.refusal?.hint).toMatch(/allowEmpty/);
    expect(planChanges(aDesiredState({ rules: [], allowEmpty: true }), remoteRules(2), UPDATE).refusal).toBeNull();
    expect(planChanges(aDesiredState({ rules: [] }), [aRemoteRule({ name: "" })], UPDATE).refusal).toBeNull();
  });

  test("without UpdateSIPDispatchRule every update is a recreate, with a warning", () => {
    const plan = planChanges(aDesiredState({ rules: [aDesiredRule({ name: "a", trunkIds: ["ST_2"] })] }), [aRemoteRule({ id: "SDR_a", name: "a" })], { updateSupported: false });
    expect(brief(plan)).toEqual(["update a SDR_a recreate"]);
    expect(plan.warnings.join("\n")).toMatch(/no UpdateSIPDispatchRule/);
  });

  test("two rules swapping pins: one update becomes a recreate, with a warning", () => {
    const remote = [aRemoteRule({ id: "SDR_a", name: "a", individual: { pin: "1111" } }), aRemoteRule({ id: "SDR_b", name: "b", individual: { pin: "2222" } })];
    const desired = aDesiredState({ rules: [aDesiredRule({ name: "a", individual: { pin: "2222" } }), aDesiredRule({ name: "b", individual: { pin: "1111" } })] });
    const plan = planChanges(desired, remote, UPDATE);
    expect(brief(plan)).toEqual(["update a SDR_a recreate", "update b SDR_b replace"]);
    expect(plan.warnings.join("\n")).toMatch(/"a" is updated as delete \+ create/);
    expect(plan.warnings.join("\n")).not.toMatch(/1111|2222/);
  });

  test("a conflict already on the server between untouched rules is a warning", () => {
    const remote = [aRemoteRule({ id: "SDR_x", name: "", trunkIds: ["ST_1"] }), aRemoteRule({ id: "SDR_y", name: "kept", trunkIds: ["ST_1"] })];
    const plan = planChanges(aDesiredState({ rules: [aDesiredRule({ name: "kept", trunkIds: ["ST_1"] })] }), remote, UPDATE);
    expect(plan.refusal).toBeNull();
    expect(plan.warnings.join("\n")).toMatch(/SDR_x <blank name> and SDR_y "kept" already conflict/);
  });

  test("the fingerprint covers every remote rule and ignores list order", () => {
    const remote = remoteRules(3);
    const plan = planChanges(aDesiredState({ rules: [] , allowEmpty: true }), remote, UPDATE);
    expect(plan.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(plan.fingerprint).toBe(fingerprintRules([...remote].reverse()));
    expect(fingerprintRules(remote.map((r) => ({ ...r, spec: withServerDefaults(r.spec) })))).toBe(plan.fingerprint);
    expect(fingerprintRules(remote.slice(1))).not.toBe(plan.fingerprint);
  });
});

describe("planChanges with --names (issue #15)", () => {
  test("plans only matching names: no delete, update or create outside them", () => {
    const remote = [
      aRemoteRule({ id: "SDR_1", name: "team-a", trunkIds: ["ST_1"] }),
      aRemoteRule({ id: "SDR_2", name: "team-b", trunkIds: ["ST_2"] }),
      aRemoteRule({ id: "SDR_3", name: "other", trunkIds: ["ST_3"] }),
    ];
    const desired = aDesiredState({ rules: [aDesiredRule({ name: "team-a", trunkIds: ["ST_9"] }), aDesiredRule({ name: "new", trunkIds: ["ST_4"] })] });
    const all = planChanges(desired, remote, UPDATE);
    expect(brief(all)).toEqual(["create new", "delete other SDR_3", "update team-a SDR_1 replace", "delete team-b SDR_2"]);
    const scoped = planChanges(desired, remote, { ...UPDATE, names: ["team-*"] });
    expect(brief(scoped)).toEqual(["update team-a SDR_1 replace", "delete team-b SDR_2"]);
    expect(scoped.summary).toMatchObject({ create: 0, update: 1, delete: 1, outsideNames: 2, unmanaged: 0 });
    const one = planChanges(desired, remote, { ...UPDATE, names: ["team-a"] });
    expect(brief(one)).toEqual(["update team-a SDR_1 replace"]);
  });

  test("a write that meets a rule outside --names is refused, naming why", () => {
    const remote = [aRemoteRule({ id: "SDR_1", name: "b", trunkIds: ["ST_1"] })];
    const desired = aDesiredState({ rules: [aDesiredRule({ name: "a", trunkIds: ["ST_1"] })] });
    const plan = planChanges(desired, remote, { ...UPDATE, names: ["a"] });
    expect(plan.refusal?.message).toContain("left out by --names");
  });
});

describe("planChanges: a rule held opaque is never pruned (SPEC §4, §5)", () => {
  test("prune: true deletes the readable rule missing from the file and keeps the opaque one, saying why", () => {
    const opaque: RemoteRule = { ...aRemoteRule({ id: "SDR_OPQ", name: "held", trunkIds: ["ST_h"] }), opaque: ['rule type: unknown "dispatch_rule_dynamic"'] };
    const remote = [opaque, aRemoteRule({ id: "SDR_GONE", name: "gone", trunkIds: ["ST_g"] })];
    const plan = planChanges(aDesiredState({ rules: [aDesiredRule({ name: "keep", trunkIds: ["ST_k"] })] }), remote, UPDATE);
    expect(brief(plan)).toEqual(["delete gone SDR_GONE", "create keep"]);
    expect(plan.summary).toMatchObject({ delete: 1, kept: 1, keptOpaque: 1 });
    expect(plan.warnings.join("\n")).toMatch(/rule "held" \(SDR_OPQ\) is not in the file but is not deleted: it holds rule type: unknown "dispatch_rule_dynamic", and prune never deletes/);
    // A held rule counts among the kept ones for the delete limits too: no refusal from it.
    expect(plan.refusal).toBeNull();
  });

  test("prune: false keeps it as any other rule, without the opaque count or warning", () => {
    const opaque: RemoteRule = { ...aRemoteRule({ id: "SDR_OPQ", name: "held", trunkIds: ["ST_h"] }), opaque: ["media.encryption: \"X\""] };
    const plan = planChanges(aDesiredState({ prune: false, rules: [aDesiredRule({ name: "keep", trunkIds: ["ST_k"] })] }), [opaque], UPDATE);
    expect(plan.summary.kept).toBe(1);
    expect(plan.summary.keptOpaque).toBeUndefined();
    expect(plan.warnings.join("\n")).not.toMatch(/prune never deletes/);
  });
});

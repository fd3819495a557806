// Reference copy of src/core/plan-changes.ts as it was before the planner speed-up (commit 415d88c), kept
// unchanged so that the property tests can check the fast planner against it (since then only
// the summary counts "kept" and "outsideManage" apart, issue #15). Not product code.
// Pure. planChanges(desired, remote, options) -> Plan: matches rules by name, diffs them field by
// field, picks update methods, and decides safety as values (SPEC §4, §5). No I/O.
import { jsonLine, pinOf, type Change, type DeleteChange, type DesiredRule, type DesiredState, type Plan, type RemoteRule, type UpdateChange } from "../../../src/model/index.js";
import { compareStrings } from "./canonical-json.js";
import { checkSafety } from "./check-safety.js";
import { checkUnmanagedConflicts, preExistingConflictWarnings, type UntouchedRule, type WrittenRule } from "./check-conflicts.js";
import { diffFields } from "./diff-fields.js";
import { fingerprintRules } from "./fingerprint.js";
import { normalizeRule } from "./normalize.js";
import { keyCycleRecreates } from "./order-changes.js";
import { byId, matchesManage, pickSurvivor } from "./ownership.js";

export interface PlanOptions {
  /** Whether the server has UpdateSIPDispatchRule (livekit-server >= v1.9.0); else updates are delete + create. */
  readonly updateSupported: boolean;
}

function actionRank(c: Change): number {
  return c.action === "delete" ? 1 : 0;
}

/** By name; for one name the create/update first, then deletes by ID. */
function compareChanges(a: Change, b: Change): number {
  return compareStrings(a.name, b.name) || actionRank(a) - actionRank(b) || compareStrings("id" in a ? a.id : "", "id" in b ? b.id : "");
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

export function planChanges(desired: DesiredState, remote: readonly RemoteRule[], options: PlanOptions): Plan {
  const warnings: string[] = [];
  const untouched: UntouchedRule[] = [];
  const managed = new Map<string, RemoteRule[]>();
  for (const rule of [...remote].sort(byId)) {
    if (!matchesManage(rule.spec.name, desired.manage)) untouched.push({ rule, why: "unmanaged" });
    else managed.set(rule.spec.name, [...(managed.get(rule.spec.name) ?? []), rule]);
  }
  const unmanaged = untouched.length;
  const managedRemote = remote.length - unmanaged;

  const wanted = new Map<string, DesiredRule>();
  let outsideManage = 0;
  let kept = 0;
  for (const rule of desired.rules) {
    const name = rule.spec.name;
    if (wanted.has(name)) {
      warnings.push(`rule ${JSON.stringify(name)} appears more than once in the file; only the first is planned`);
    } else if (!matchesManage(name, desired.manage)) {
      outsideManage += 1;
      warnings.push(`rule ${JSON.stringify(name)} in the file is outside manage ${JSON.stringify(desired.manage)} and is not planned; add a matching glob to \`manage\``);
    } else {
      wanted.set(name, rule);
    }
  }

  let changes: Change[] = [];
  let unchanged = 0;
  for (const [name, rule] of wanted) {
    const spec = normalizeRule(rule.spec);
    const loc = rule.loc === undefined ? {} : { loc: rule.loc };
    const group = managed.get(name) ?? [];
    const survivor = pickSurvivor(group, spec);
    if (survivor === undefined) {
      changes.push({ action: "create", name, desired: spec, ...loc });
      continue;
    }
    const fields = diffFields(survivor.spec, spec);
    if (fields.length === 0) {
      unchanged += 1;
      untouched.push({ rule: survivor, why: "unchanged" });
    } else {
      changes.push({ action: "update", name, id: survivor.id, current: normalizeRule(survivor.spec), desired: spec, fields, method: "replace", ...loc });
    }
    for (const dup of group) {
      if (dup !== survivor) changes.push({ action: "delete", name, id: dup.id, current: normalizeRule(dup.spec), reason: "duplicate", keptId: survivor.id });
    }
  }
  for (const [name, group] of managed) {
    if (wanted.has(name)) continue;
    for (const rule of group) {
      if (desired.prune) changes.push({ action: "delete", name, id: rule.id, current: normalizeRule(rule.spec), reason: "not-in-file" });
      else {
        kept += 1;
        untouched.push({ rule, why: "kept" });
      }
    }
  }
  changes.sort(compareChanges);
  changes = chooseUpdateMethods(changes, options, warnings);

  const duplicates = changes.filter((c): c is DeleteChange => c.action === "delete" && c.reason === "duplicate");
  if (duplicates.length > 0) {
    const names = [...new Set(duplicates.map((d) => d.name))];
    warnings.push(`${plural(duplicates.length, "duplicate rule")} on the server (${names.map((n) => JSON.stringify(n)).join(", ")}): one per name is kept, the others are deleted`);
  }

  const written: WrittenRule[] = changes.flatMap((c) => (c.action === "delete" ? [] : [{ name: c.name, spec: c.desired }]));
  warnings.push(...preExistingConflictWarnings(untouched));
  // Issue #13: a plan that removes a pin says so (apply --auto-approve and watch refuse it).
  const unpinned = desired.limits.allowPinRemoval === true ? [] : changes.filter((c): c is UpdateChange => c.action === "update" && pinOf(c.current) !== "" && pinOf(c.desired) === "").map((c) => c.name);
  if (unpinned.length > 0) {
    const shown = unpinned.slice(0, 5).map((n) => jsonLine(n)).join(", ") + (unpinned.length > 5 ? ` and ${unpinned.length - 5} more` : "");
    warnings.push(`the plan removes the pin of ${plural(unpinned.length, "rule")} (${shown}): callers would reach the room without a PIN; apply --auto-approve and watch refuse this unless limits.allowPinRemoval is true or --force is given`);
  }
  const deletes = changes.filter((c) => c.action === "delete").length;
  const refusal = checkUnmanagedConflicts(written, untouched) ?? checkSafety({ desired, deletes, managedRemote });

  const count = (action: Change["action"]) => changes.filter((c) => c.action === action).length;
  return {
    changes,
    summary: { create: count("create"), update: count("update"), delete: deletes, unchanged, unmanaged, kept, outsideManage, outsideNames: 0 },
    fingerprint: fingerprintRules(remote),
    refusal,
    warnings,
  };
}

/**
 * Marks updates that must run as delete + create: all of them when the server has no Update
 * (SPEC §4), else those that break a cycle of conflict keys, decided with the same function
 * orderChanges uses so that the plan shows what apply will do.
 */
function chooseUpdateMethods(changes: readonly Change[], options: PlanOptions, warnings: string[]): Change[] {
  const updates = changes.filter((c): c is UpdateChange => c.action === "update");
  if (updates.length === 0) return [...changes];
  if (!options.updateSupported) {
    warnings.push(
      `the server has no UpdateSIPDispatchRule (livekit-server before v1.9.0): ${plural(updates.length, "update")} will be applied as delete + create; those rules get new IDs and are briefly absent, and LiveKit Cloud phone numbers bound to the old IDs are detached`,
    );
    return changes.map((c) => (c.action === "update" ? { ...c, method: "recreate" } : c));
  }
  const recreate = keyCycleRecreates(changes);
  const out = changes.map((c, i): Change => (c.action === "update" && recreate.has(i) ? { ...c, method: "recreate" } : c));
  for (const i of [...recreate].sort((a, b) => a - b)) {
    const c = out[i] as UpdateChange;
    warnings.push(
      `rule ${JSON.stringify(c.name)} is updated as delete + create (it gets a new ID and is briefly absent): its conflict keys (pin, trunk, numbers) move in a cycle with other updated rules, so no in-place order avoids a conflict`,
    );
  }
  return out;
}

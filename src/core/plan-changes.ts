// Pure. planChanges(desired, remote, options) -> Plan: matches rules by name, diffs them field by
// field, picks update methods, and decides safety as values (SPEC §4, §5). No I/O.
import type { Change, DeleteChange, DesiredRule, DesiredState, Plan, RemoteRule, RuleSpec, UpdateChange } from "../model/index.js";
import { canonicalFormUsable, compareStrings, isUnusual } from "./canonical-json.js";
import { checkSafety } from "./check-safety.js";
import { checkUnmanagedConflicts, preExistingConflictWarnings, type UntouchedRule, type WrittenRule } from "./check-conflicts.js";
import { diffNormalized, equalNormalized } from "./diff-fields.js";
import { fingerprintNormalized, fingerprintSortedForms } from "./fingerprint.js";
import { normalizeRule, normalizeRuleSorted } from "./normalize.js";
import { keyCycleRecreates } from "./order-changes.js";
import { byId, matchesManage, pickSurvivorNormalized, type NormalizedRemote } from "./ownership.js";

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

/** One name: its remote rules (by ID) and the file's rule once it is planned. */
interface Slot {
  /** The first remote rule, when there is one. */
  first: NormalizedRemote | undefined;
  /** All remote rules, once there are two or more. */
  all: NormalizedRemote[] | undefined;
  planned: DesiredRule | undefined;
}

function groupOf(slot: Slot): readonly NormalizedRemote[] {
  return slot.all ?? (slot.first === undefined ? [] : [slot.first]);
}

/**
 * The remote rules sorted by ID, each with normalizeRuleSorted(spec) (`sortedForms`), or with
 * normalizeRule(spec) when some value is not plain data. Both compare alike (equalNormalized,
 * pickSurvivorNormalized); the sorted forms also make the fingerprint without sorting again.
 */
function normaliseRemote(remote: readonly RemoteRule[]): { entries: NormalizedRemote[]; sortedForms: boolean } {
  const byIdOrder = [...remote].sort(byId);
  if (canonicalFormUsable()) {
    try {
      return { entries: byIdOrder.map((rule) => ({ rule, spec: normalizeRuleSorted(rule.spec) })), sortedForms: true };
    } catch (e) {
      if (!isUnusual(e)) throw e;
    }
  }
  return { entries: byIdOrder.map((rule) => ({ rule, spec: normalizeRule(rule.spec) })), sortedForms: false };
}

export function planChanges(desired: DesiredState, remote: readonly RemoteRule[], options: PlanOptions): Plan {
  const warnings: string[] = [];
  const untouched: UntouchedRule[] = [];
  // Every remote rule is normalised once, here; the survivor, the diff and the fingerprint reuse it.
  const { entries, sortedForms } = normaliseRemote(remote);
  /** normalizeRule of a remote rule, in the key order plans show. */
  const shown = (e: NormalizedRemote): RuleSpec => (sortedForms ? normalizeRule(e.rule.spec) : e.spec);
  const slots = new Map<string, Slot>();
  for (const entry of entries) {
    const rule = entry.rule;
    const name = rule.spec.name;
    if (!matchesManage(name, desired.manage)) untouched.push({ rule, why: "unmanaged" });
    else {
      const slot = slots.get(name);
      if (slot === undefined) slots.set(name, { first: entry, all: undefined, planned: undefined });
      else if (slot.all === undefined) slot.all = [slot.first as NormalizedRemote, entry];
      else slot.all.push(entry);
    }
  }
  const unmanaged = untouched.length;
  const managedRemote = remote.length - unmanaged;

  // The file's rules to plan, in file order: the first of each name inside `manage`.
  const wanted: Slot[] = [];
  for (const rule of desired.rules) {
    const name = rule.spec.name;
    let slot = slots.get(name);
    if (slot?.planned !== undefined) {
      warnings.push(`rule ${JSON.stringify(name)} appears more than once in the file; only the first is planned`);
    } else if (!matchesManage(name, desired.manage)) {
      warnings.push(`rule ${JSON.stringify(name)} in the file is outside manage ${JSON.stringify(desired.manage)} and is not planned; add a matching glob to \`manage\``);
    } else {
      if (slot === undefined) {
        slot = { first: undefined, all: undefined, planned: rule };
        slots.set(name, slot);
      } else slot.planned = rule;
      wanted.push(slot);
    }
  }

  let changes: Change[] = [];
  let unchanged = 0;
  for (const slot of wanted) {
    const rule = slot.planned as DesiredRule;
    const name = rule.spec.name;
    const spec = normalizeRule(rule.spec);
    // One remote rule survives whether or not it equals the file; of several, pickSurvivor decides.
    const survivor = slot.all === undefined ? slot.first : pickSurvivorNormalized(slot.all, spec);
    if (survivor === undefined) {
      changes.push(rule.loc === undefined ? { action: "create", name, desired: spec } : { action: "create", name, desired: spec, loc: rule.loc });
      continue;
    }
    // Most rules are unchanged: an equality check without building field changes comes first
    // (equalNormalized is true exactly when diffNormalized is empty).
    if (equalNormalized(survivor.spec, spec)) {
      unchanged += 1;
      untouched.push({ rule: survivor.rule, why: "unchanged" });
    } else {
      const current = shown(survivor);
      const fields = diffNormalized(current, spec, survivor.rule.spec, spec);
      const change: UpdateChange = { action: "update", name, id: survivor.rule.id, current, desired: spec, fields, method: "replace" };
      changes.push(rule.loc === undefined ? change : { ...change, loc: rule.loc });
    }
    for (const dup of slot.all ?? []) {
      if (dup !== survivor) changes.push({ action: "delete", name, id: dup.rule.id, current: shown(dup), reason: "duplicate" });
    }
  }
  for (const [name, slot] of slots) {
    if (slot.planned !== undefined) continue;
    for (const entry of groupOf(slot)) {
      if (desired.prune) changes.push({ action: "delete", name, id: entry.rule.id, current: shown(entry), reason: "not-in-file" });
      else {
        unchanged += 1;
        untouched.push({ rule: entry.rule, why: "kept" });
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
  const deletes = changes.filter((c) => c.action === "delete").length;
  const refusal = checkUnmanagedConflicts(written, untouched) ?? checkSafety({ desired, deletes, managedRemote });

  const count = (action: Change["action"]) => changes.filter((c) => c.action === action).length;
  // The fingerprint hashes every remote rule; only a saved or JSON plan and the stale-plan check
  // read it, so it is computed on first read (an enumerable getter: spreads, JSON and equality
  // see a plain string) and kept.
  let fingerprint: string | undefined;
  return {
    changes,
    summary: { create: count("create"), update: count("update"), delete: deletes, unchanged, unmanaged },
    get fingerprint(): string {
      return (fingerprint ??= sortedForms ? fingerprintSortedForms(entries, remote) : fingerprintNormalized(entries));
    },
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
      `the server has no UpdateSIPDispatchRule (livekit-server before v1.9.0): ${plural(updates.length, "update")} will be applied as delete + create; those rules get new IDs and are briefly absent`,
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

// Pure. planChanges(desired, remote, options) -> Plan: matches rules by name, diffs them field by
// field, picks update methods, and decides safety as values (SPEC §4, §5). No I/O.
import type { Change, DeleteChange, DesiredRule, DesiredState, Plan, Refusal, RemoteRule, RuleSpec, UpdateChange } from "../model/index.js";
import { compareStrings } from "./canonical-json.js";
import { checkSafety, pinRemovalRefusal } from "./check-safety.js";
import { checkBlockingConflicts, preExistingConflicts, type UntouchedRule, type WrittenRule } from "./check-conflicts.js";
import { diffNormalized, equalNormalized } from "./diff-fields.js";
import { fingerprintNormalized, type FingerprintKey } from "./fingerprint.js";
import { normalizeRule } from "./normalize.js";
import { keyCycleRecreates } from "./order-changes.js";
import { StringIndex } from "./string-index.js";
import { byId, manageMatcher, matchesManage, pickSurvivorNormalized, type NormalizedRemote } from "./ownership.js";

export interface PlanOptions {
  /** Whether the server has UpdateSIPDispatchRule (livekit-server >= v1.9.0); else updates are delete + create. */
  readonly updateSupported: boolean;
  /** `--names GLOB...`: only rules with a matching name are planned; the rest are left alone. */
  readonly names?: readonly string[];
  /** Warnings about the file (its lints) shown first among the plan's warnings. */
  readonly notes?: readonly string[];
  /** Keys the fingerprint (and binds the file's secrets to it); without it the fingerprint holds no secret at all. */
  readonly fingerprintKey?: FingerprintKey;
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

/** A rule's name; names are strings (the loader's schema and the wire decoder make sure). */
function nameOf(spec: RuleSpec): string {
  const name: unknown = spec.name;
  if (typeof name !== "string") throw new TypeError(`a rule name must be a string, not ${typeof name}`);
  return name;
}

function groupOf(slot: Slot): readonly NormalizedRemote[] {
  return slot.all ?? (slot.first === undefined ? [] : [slot.first]);
}

export function planChanges(desired: DesiredState, remote: readonly RemoteRule[], options: PlanOptions): Plan {
  const warnings: string[] = options.notes === undefined ? [] : [...options.notes];
  const managed = manageMatcher(desired.manage);
  const names = options.names;
  const inScope = names === undefined ? undefined : (name: string) => matchesManage(name, names);
  let outsideNames = 0;
  let outsideManage = 0;
  // The server rules the plan leaves alone: all of them (for conflicts already on the server),
  // and those not the file's own (unmanaged, kept), which block a conflicting write.
  const untouched: RemoteRule[] = [];
  const blockers: UntouchedRule[] = [];
  // Every remote rule is normalised once, here, in ID order; the survivor, the diff, the plan's
  // `current` and the fingerprint reuse it.
  const entries: NormalizedRemote[] = [...remote].sort(byId).map((rule) => ({ rule, spec: normalizeRule(rule.spec) }));
  // One slot per name, in order of appearance (remote names by ID, then names only the file has).
  const slots: Slot[] = [];
  const slotIndex = new StringIndex(entries.length + desired.rules.length);
  for (const entry of entries) {
    const rule = entry.rule;
    const name = nameOf(rule.spec);
    if (!managed(name)) {
      untouched.push(rule);
      blockers.push({ rule, why: "unmanaged" });
    } else if (inScope !== undefined && !inScope(name)) {
      // Left out by --names: never changed, but still a rule the plan's writes must not meet.
      outsideNames += 1;
      untouched.push(rule);
      blockers.push({ rule, why: "outside-names" });
    } else {
      const at = slotIndex.add(name, slots.length);
      const slot = at < 0 ? undefined : slots[at];
      if (slot === undefined) slots.push({ first: entry, all: undefined, planned: undefined });
      else if (slot.all === undefined) slot.all = [slot.first as NormalizedRemote, entry];
      else slot.all.push(entry);
    }
  }
  const unmanaged = blockers.length - outsideNames;
  const managedRemote = remote.length - unmanaged - outsideNames;

  // The file's rules to plan, in file order: the first of each name inside `manage`.
  const wanted: Slot[] = [];
  for (const rule of desired.rules) {
    const name = nameOf(rule.spec);
    if (inScope !== undefined && !inScope(name) && managed(name)) {
      outsideNames += 1;
      continue;
    }
    const at = slotIndex.get(name);
    let slot = at < 0 ? undefined : slots[at];
    if (slot?.planned !== undefined) {
      warnings.push(`rule ${JSON.stringify(name)} appears more than once in the file; only the first is planned`);
    } else if (!managed(name)) {
      outsideManage += 1;
      warnings.push(`rule ${JSON.stringify(name)} in the file is outside manage ${JSON.stringify(desired.manage)} and is not planned; add a matching glob to \`manage\``);
    } else {
      if (slot === undefined) {
        slot = { first: undefined, all: undefined, planned: rule };
        slotIndex.add(name, slots.length);
        slots.push(slot);
      } else slot.planned = rule;
      wanted.push(slot);
    }
  }

  let changes: Change[] = [];
  let unchanged = 0;
  /** Updates of rules that hold values this version cannot read: refused (SPEC §4). */
  const opaqueUpdates: { name: string; id: string; opaque: readonly string[]; fields: readonly string[] }[] = [];
  let kept = 0;
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
      untouched.push(survivor.rule);
    } else {
      const current = survivor.spec;
      const fields = diffNormalized(current, spec, survivor.rule.spec, spec);
      const listed = survivor.rule;
      if (listed.opaque !== undefined) opaqueUpdates.push({ name, id: listed.id, opaque: listed.opaque, fields: fields.map((f) => f.path) });
      const change: UpdateChange = {
        action: "update",
        name,
        id: listed.id,
        current,
        desired: spec,
        fields,
        method: "replace",
        ...(rule.loc === undefined ? {} : { loc: rule.loc }),
        ...keptOf(listed, spec),
        ...(listed.raw === undefined ? {} : { base: listed.raw }),
      };
      changes.push(change);
    }
    for (const dup of slot.all ?? []) {
      if (dup !== survivor) changes.push({ action: "delete", name, id: dup.rule.id, current: dup.spec, reason: "duplicate", keptId: survivor.rule.id });
    }
  }
  let keptOpaque = 0;
  for (const slot of slots) {
    if (slot.planned !== undefined) continue;
    for (const entry of groupOf(slot)) {
      const name = entry.rule.spec.name;
      const opaque = entry.rule.opaque;
      if (desired.prune && opaque === undefined) changes.push({ action: "delete", name, id: entry.rule.id, current: entry.spec, reason: "not-in-file" });
      else {
        // Fail closed (SPEC §4, §5): a rule this version cannot read (unknown rule type or enum
        // value) is never deleted by prune. `export` leaves an unknown rule type out of the file,
        // so pruning it would be data loss; only the operator deletes it, on the server.
        if (desired.prune && opaque !== undefined) {
          keptOpaque += 1;
          warnings.push(
            `rule ${JSON.stringify(name)} (${entry.rule.id}) is not in the file but is not deleted: it holds ${opaque.join(", ")}, and prune never deletes a rule this version cannot read; upgrade sip-dispatch-sync to manage it, or delete it on the server yourself (e.g. lk sip dispatch delete ${entry.rule.id})`,
          );
        }
        kept += 1;
        untouched.push(entry.rule);
        blockers.push({ rule: entry.rule, why: "kept" });
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

  for (const w of preExistingConflicts(untouched)) warnings.push(w);
  const pinRefusal = pinRemovalRefusal(changes, desired.limits);
  if (pinRefusal !== null) warnings.push(`${pinRefusal.message}; apply --auto-approve and watch refuse this unless limits.allowPinRemoval is true or --force is given`);
  const deletes = changes.filter((c) => c.action === "delete").length;
  // With no blockers nothing can conflict (the written specs are normalised: plain string keys).
  const refusal =
    opaqueRefusal(opaqueUpdates) ??
    (blockers.length === 0 ? null : checkBlockingConflicts(writtenRules(changes), blockers)) ??
    checkSafety({ desired, deletes, managedRemote });

  const count = (action: Change["action"]) => changes.filter((c) => c.action === action).length;
  // The fingerprint hashes every remote rule; only a saved or JSON plan and the stale-plan check
  // read it, so it is computed on first read (an enumerable getter: spreads, JSON and equality
  // see a plain string) and kept.
  let fingerprint: string | undefined;
  return {
    changes,
    summary: { create: count("create"), update: count("update"), delete: deletes, unchanged, unmanaged, kept, ...(keptOpaque === 0 ? {} : { keptOpaque }), outsideManage, outsideNames },
    get fingerprint(): string {
      return (fingerprint ??= fingerprintNormalized(entries, options.fingerprintKey, desired.rules));
    },
    refusal,
    warnings,
  };
}

/**
 * SPEC §4: a managed rule that holds an enum value or rule type this version does not know is
 * kept opaque; a plan that would change it is refused (not forceable: the tool cannot write what
 * it cannot read), naming the rule, the field and the upgrade.
 */
function opaqueRefusal(updates: readonly { name: string; id: string; opaque: readonly string[]; fields: readonly string[] }[]): Refusal | null {
  const first = updates[0];
  if (first === undefined) return null;
  const list = updates.map((u) => `rule ${JSON.stringify(u.name)} (${u.id}) holds ${u.opaque.join(", ")}`).join("; ");
  return {
    code: "unknown-server-value",
    message: `${list}: a value this version of sip-dispatch-sync does not know, and the plan would change ${updates.length === 1 ? "that rule" : "those rules"} (${updates.map((u) => u.fields.join(", ")).join("; ")}); writing it could lose or misstate the value`,
    hint: "upgrade sip-dispatch-sync to a version that knows these values; until then leave these rules as the server holds them (or outside `manage`)",
    forceable: false,
  };
}

/** The fields an update to `desired` carries but does not manage (SPEC §4), as the plan lists them. */
function keptOf(listed: RemoteRule, desired: RuleSpec): { kept?: readonly string[] } {
  if (listed.kept === undefined) return {};
  const kept = listed.keptFor === undefined ? listed.kept : listed.keptFor(desired);
  return kept === undefined || kept.length === 0 ? {} : { kept };
}

/** The rules a plan creates or updates, with their desired specs. */
function writtenRules(changes: readonly Change[]): WrittenRule[] {
  return changes.flatMap((c) => (c.action === "delete" ? [] : [{ name: c.name, spec: c.desired }]));
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

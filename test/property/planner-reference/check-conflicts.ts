// Reference copy of src/core/check-conflicts.ts as it was before the planner speed-up (commit 415d88c), kept
// unchanged so that the property tests can check the fast planner against it. Not product code.
// Pure. Conflicts the plan cannot order away (livekit-sip-api.md §5.2): a rule the plan writes
// that shares a conflict key with a server rule the plan leaves alone (refused), and conflicts
// already on the server between untouched rules (warned: they make every create fail).
import { conflictKeysOf, conflictKeyId, describeConflictKey, type Refusal, type RemoteRule, type RuleSpec } from "../../../src/model/index.js";

/** A server rule the plan leaves alone, and why. */
export interface UntouchedRule {
  readonly rule: RemoteRule;
  readonly why: "unmanaged" | "kept" | "unchanged";
}

/** A rule the plan creates or updates, with its desired spec. */
export interface WrittenRule {
  readonly name: string;
  readonly spec: RuleSpec;
}

function label(r: RemoteRule): string {
  return `${r.id} ${r.spec.name === "" ? "<blank name>" : JSON.stringify(r.spec.name)}`;
}

function whyText(why: UntouchedRule["why"]): string {
  switch (why) {
    case "unmanaged":
      return "not managed by this file";
    case "kept":
      return "not in the file, kept because prune is false";
    case "unchanged":
      return "unchanged";
  }
}

/** A refusal when a written rule meets an unmanaged (or kept) rule; the unchanged are the file's own. */
export function checkUnmanagedConflicts(written: readonly WrittenRule[], untouched: readonly UntouchedRule[]): Refusal | null {
  const blockers = untouched.filter((u) => u.why !== "unchanged");
  const byKey = new Map<string, UntouchedRule>();
  for (const b of blockers) for (const k of conflictKeysOf(b.rule.spec)) if (!byKey.has(conflictKeyId(k))) byKey.set(conflictKeyId(k), b);
  const found: string[] = [];
  for (const w of written) {
    for (const k of conflictKeysOf(w.spec)) {
      const b = byKey.get(conflictKeyId(k));
      if (b === undefined) continue;
      found.push(`rule ${JSON.stringify(w.name)} conflicts with server rule ${label(b.rule)} (${whyText(b.why)}) on ${describeConflictKey(k)}`);
      break;
    }
  }
  if (found.length === 0) return null;
  const shown = found.slice(0, 5).join("; ") + (found.length > 5 ? `; and ${found.length - 5} more` : "");
  return {
    code: "unmanaged-conflict",
    message: `the server would reject ${found.length === 1 ? "a rule" : `${found.length} rules`} of the file: ${shown}`,
    hint: "change the file's rule (trunks, numbers or pin), or bring the server rule under `manage` (give it a name that matches) so the plan can change it; --force does not override this",
    forceable: false,
  };
}

/** Warnings for conflicts that already exist between rules the plan leaves alone. */
export function preExistingConflictWarnings(untouched: readonly UntouchedRule[]): string[] {
  const seen = new Map<string, UntouchedRule>();
  const reported = new Set<string>();
  const out: string[] = [];
  for (const u of untouched) {
    for (const k of conflictKeysOf(u.rule.spec)) {
      const id = conflictKeyId(k);
      const other = seen.get(id);
      if (other === undefined) {
        seen.set(id, u);
        continue;
      }
      const pair = `${other.rule.id}\u0000${u.rule.id}`;
      if (reported.has(pair)) continue;
      reported.add(pair);
      out.push(
        `server rules ${label(other.rule)} and ${label(u.rule)} already conflict on ${describeConflictKey(k)}; the server rejects every create until one of them changes`,
      );
    }
  }
  return out;
}

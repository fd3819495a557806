// Reference copy of src/core/check-safety.ts as it was before the planner speed-up (commit 415d88c), kept
// unchanged so that the property tests can check the fast planner against it. Not product code.
// Pure. SPEC §5 safety limits: a plan that deletes too much, or empties the server from an empty
// file, is refused as a value (forceable once with --force), never thrown.
import type { DesiredState, Refusal } from "../../../src/model/index.js";

export interface SafetyInput {
  readonly desired: DesiredState;
  /** Delete changes in the plan (not-in-file and duplicates). */
  readonly deletes: number;
  /** Remote rules this file manages (named, inside `manage`). */
  readonly managedRemote: number;
}

/** octoDNS's percentage rule, and ours: below this many managed rules only maxDeletes applies. */
export const MIN_RULES_FOR_PERCENT = 10;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** The first limit the plan breaks, or null. Order: empty file, then maxDeletes, then maxDeletePercent. */
export function checkSafety({ desired, deletes, managedRemote }: SafetyInput): Refusal | null {
  if (desired.rules.length === 0 && !desired.allowEmpty && managedRemote > 0) {
    return {
      code: "empty-rules",
      message: `the file has no rules and allowEmpty is false, while the server has ${plural(managedRemote, "managed rule")}; the plan would delete ${plural(deletes, "rule")}`,
      hint: "if the file is meant to be empty, set `allowEmpty: true` in it (or pass --force once); otherwise fix the file",
      forceable: true,
    };
  }
  const { maxDeletes, maxDeletePercent } = desired.limits;
  if (deletes > maxDeletes) {
    return {
      code: "max-deletes",
      message: `the plan deletes ${plural(deletes, "rule")}, more than limits.maxDeletes (${maxDeletes})`,
      hint: "check the file; if the deletes are intended, raise `limits.maxDeletes` in the file or pass --force once",
      forceable: true,
    };
  }
  if (managedRemote >= MIN_RULES_FOR_PERCENT && deletes * 100 > maxDeletePercent * managedRemote) {
    const pct = ((deletes * 100) / managedRemote).toFixed(1);
    return {
      code: "max-delete-percent",
      message: `the plan deletes ${deletes} of ${plural(managedRemote, "managed rule")} (${pct}%), more than limits.maxDeletePercent (${maxDeletePercent}%)`,
      hint: "check the file; if the deletes are intended, raise `limits.maxDeletePercent` in the file or pass --force once",
      forceable: true,
    };
  }
  return null;
}

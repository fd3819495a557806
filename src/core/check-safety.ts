// Pure. SPEC §5 safety limits: a plan that deletes too much, or empties the server from an empty
// file, is refused as a value (forceable once with --force), never thrown.
import { jsonLine, pinOf, type Change, type DesiredState, type Refusal, type SafetyLimits } from "../model/index.js";

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

/** Names of the rules whose pin an update removes or empties (the rule stays, open to every caller). */
export function pinRemovals(changes: readonly Change[]): string[] {
  const out: string[] = [];
  for (const c of changes) if (c.action === "update" && pinOf(c.current) !== "" && pinOf(c.desired) === "") out.push(c.name);
  return out;
}

/**
 * SPEC §5: removing or emptying a pin is a sensitive change. `apply --auto-approve` and `watch`
 * refuse it (exit 3 / `refused`) unless `limits.allowPinRemoval: true`; `--force` overrides once.
 * A person at `apply`'s prompt sees the plan's warning and decides.
 */
export function pinRemovalRefusal(changes: readonly Change[], limits: SafetyLimits): Refusal | null {
  if (limits.allowPinRemoval === true) return null;
  const names = pinRemovals(changes);
  if (names.length === 0) return null;
  const shown = names.slice(0, 5).map((n) => jsonLine(n)).join(", ") + (names.length > 5 ? ` and ${names.length - 5} more` : "");
  return {
    code: "pin-removal",
    message: `the plan removes the pin of ${plural(names.length, "rule")} (${shown}): callers would reach the room without a PIN`,
    hint: "if that is intended, set `limits.allowPinRemoval: true` in the file or pass --force once; otherwise check that the pin's variable is set (an undefined CI secret arrives empty)",
    forceable: true,
  };
}

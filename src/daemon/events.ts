// Pure. The daemon's log events that are built from a plan: `drift` (what an interval resync found
// changed on the server by hand) and the refusal hint as `watch` must give it (it never forces).
import type { Change, ChangeAction, Plan } from "../model/index.js";

export interface DriftedRule {
  readonly rule: string;
  readonly action: ChangeAction;
  /** Field paths of an update (values are never logged: they may be pins). */
  readonly fields?: readonly string[];
}

/** The rules a plan would change, by name, action and field paths. */
export function driftedRules(changes: readonly Change[]): DriftedRule[] {
  return changes.map((c) => (c.action === "update" ? { rule: c.name, action: c.action, fields: c.fields.map((f) => f.path) } : { rule: c.name, action: c.action }));
}

/** Drift counts by action, for the metric. */
export function driftCounts(plan: Plan): Readonly<Record<ChangeAction, number>> {
  return { create: plan.summary.create, update: plan.summary.update, delete: plan.summary.delete };
}

/**
 * A refusal's hint without `--force`, which `watch` does not have: every clause naming it is
 * dropped and what to do instead is said (raise the limit in the file, or apply by hand).
 */
export function daemonRefusalHint(hint: string): string {
  const cleaned = hint
    .replace(/\s*\([^)]*--force[^)]*\)/g, "")
    .replace(/\s*[,;]?\s*(?:or\s+)?(?:pass\s+|use\s+)?--force\b[^;,.]*/g, "")
    .trim();
  const instead = "watch never forces: raise the limit in the file, or apply the change by hand with `sip-dispatch-sync apply`";
  return cleaned === "" ? instead : `${cleaned}; ${instead}`;
}

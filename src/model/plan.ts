// Pure types. The plan: what would change on the server, as values (STYLE §8.7, §8.9).
import type { JsonValue, RuleSpec, SourceLocation } from "./rule.js";

/** One changed field of an update, with a dotted path like `roomConfig.agents[0].agentName`. */
export interface FieldChange {
  readonly path: string;
  /** Absent means "unset". */
  readonly before?: JsonValue;
  readonly after?: JsonValue;
  /** A pin: renderers show "(sensitive)" and say that it changed. */
  readonly sensitive?: boolean;
}

/**
 * How an update reaches the server: `replace` (UpdateSIPDispatchRule with the full rule, ID kept)
 * or `recreate` (delete then create: the server has no Update, or a key cycle forced it).
 */
export type UpdateMethod = "replace" | "recreate";

export interface CreateChange {
  readonly action: "create";
  readonly name: string;
  readonly desired: RuleSpec;
  readonly loc?: SourceLocation;
}
export interface UpdateChange {
  readonly action: "update";
  readonly name: string;
  readonly id: string;
  readonly current: RuleSpec;
  readonly desired: RuleSpec;
  readonly fields: readonly FieldChange[];
  readonly method: UpdateMethod;
  readonly loc?: SourceLocation;
  /** Fields of the server's rule this version does not manage; the update carries them (SPEC §4). */
  readonly kept?: readonly string[];
  /** The rule as listed (RemoteRule.raw): the base of the `replace` body. */
  readonly base?: Readonly<Record<string, unknown>>;
}
export type DeleteReason = "not-in-file" | "duplicate";
export interface DeleteChange {
  readonly action: "delete";
  readonly name: string;
  readonly id: string;
  readonly current: RuleSpec;
  readonly reason: DeleteReason;
  /**
   * For a duplicate: the ID of the rule of this name that is kept. It must be confirmed to exist
   * by a second read before this delete (SPEC §4: a list may show a rule that is already gone).
   */
  readonly keptId?: string;
}
export type Change = CreateChange | UpdateChange | DeleteChange;
export type ChangeAction = Change["action"];

export interface PlanSummary {
  readonly create: number;
  readonly update: number;
  readonly delete: number;
  /** Managed server rules equal to the file's. */
  readonly unchanged: number;
  /** Server rules with no name or a name outside `manage`. */
  readonly unmanaged: number;
  /**
   * Managed server rules missing from the file and kept: because `prune` is false, or because the
   * rule is held opaque (an unknown rule type or enum value: prune never deletes what this version
   * cannot read, SPEC §4, §5). The server differs.
   */
  readonly kept: number;
  /** Of `kept`, the rules held opaque (kept whatever `prune` says); absent = 0. */
  readonly keptOpaque?: number;
  /** Rules of the file whose name is outside `manage`: never planned, so the server differs. */
  readonly outsideManage: number;
  /** Rules (file or server) left out by `--names`. */
  readonly outsideNames: number;
}

export type RefusalCode = "max-deletes" | "max-delete-percent" | "empty-rules" | "unmanaged-conflict" | "pin-removal" | "unknown-server-value";

/** Why a plan must not be applied. `forceable` refusals can be overridden once with --force. */
export interface Refusal {
  readonly code: RefusalCode;
  readonly message: string;
  readonly hint: string;
  readonly forceable: boolean;
}

export interface Plan {
  /** Creates, updates, deletes; sorted by name then action for stable output. */
  readonly changes: readonly Change[];
  readonly summary: PlanSummary;
  /** sha256 of the canonical remote rules the plan was made from: `sha256:<hex>`. */
  readonly fingerprint: string;
  readonly refusal: Refusal | null;
  readonly warnings: readonly string[];
}

/**
 * The plan with more warnings. Not a spread: that would compute the fingerprint (a getter, a hash
 * of every rule: a fifth of a second at 100,000 rules) for outputs that never show it.
 */
export function withMoreWarnings(plan: Plan, more: readonly string[]): Plan {
  if (more.length === 0) return plan;
  return {
    changes: plan.changes,
    summary: plan.summary,
    get fingerprint(): string {
      return plan.fingerprint;
    },
    refusal: plan.refusal,
    warnings: [...plan.warnings, ...more],
  };
}

/** A primitive server call derived from a change. */
export type Operation =
  | { readonly op: "create"; readonly name: string; readonly spec: RuleSpec; readonly base?: Readonly<Record<string, unknown>> }
  | { readonly op: "update"; readonly name: string; readonly id: string; readonly spec: RuleSpec; readonly base?: Readonly<Record<string, unknown>> }
  | { readonly op: "delete"; readonly name: string; readonly id: string; readonly confirm?: string };

/**
 * An operation with its place in the schedule: it may start once every operation in `after`
 * has finished, and never while another operation sharing one of its `keys` runs.
 */
export interface ScheduledOperation {
  /** Index in Schedule.operations. */
  readonly index: number;
  /** Index of the Change in Plan.changes this operation belongs to. */
  readonly change: number;
  readonly operation: Operation;
  readonly after: readonly number[];
  /** Conflict keys (pin, trunk, inbound number, number) this operation frees or takes. */
  readonly keys: readonly string[];
}
export interface Schedule {
  readonly operations: readonly ScheduledOperation[];
}

// One reconcile of the daemon (SPEC §6): read the file until stable, load it (keeping the last
// good desired state when the new one is invalid), list the server, plan, log the plan, apply
// unless dry-run or refused. I/O only through the injected client, file reader and logger.
// Returns an outcome and never throws: runDaemon decides what happens next from it.
import { createHash } from "node:crypto";
import { applyPlan } from "../apply/index.js";
import { planWithProbe } from "../apply/index.js";
import { orderChanges } from "../core/index.js";
import { AppError, type DesiredState, type Diagnostic, type Plan, type SipClient } from "../model/index.js";
import { loadRulesText, type Env } from "../rules-file/index.js";
import type { DaemonMetrics } from "./metrics.js";
import { readStableFile } from "./read-stable.js";
import type { ReconcileOutcome, Trigger } from "./run-daemon.js";

/** The subset of a pino logger used here. Fields never hold secrets: pins are not logged at all. */
export interface ReconcileLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ReconcilerDeps {
  readonly file: string;
  readonly env: Env;
  readonly client: SipClient;
  readonly log: ReconcileLogger;
  readonly metrics: DaemonMetrics;
  readonly dryRun: boolean;
  readonly concurrency: number;
  /** Monotonic milliseconds, for operation durations. */
  readonly now: () => number;
  /** Called after every read of the file: null when it was valid, else one line saying why not. */
  readonly onConfig?: (problem: string | null) => void;
  /** Stable-read tuning; defaults 50 ms × up to 10 reads. */
  readonly settleMs?: number;
  readonly maxReads?: number;
  readonly readFile?: (path: string) => Promise<Uint8Array>;
}

export type Reconcile = (trigger: Trigger) => Promise<ReconcileOutcome>;

/** Plan log entries: names, IDs and field paths only; values (which may be pins) never. */
function planEvent(plan: Plan, trigger: Trigger, dryRun: boolean): object {
  return {
    event: "plan",
    trigger,
    dryRun,
    summary: plan.summary,
    fingerprint: plan.fingerprint,
    refusal: plan.refusal ? { code: plan.refusal.code, message: plan.refusal.message } : null,
    changes: plan.changes.map((c) => {
      switch (c.action) {
        case "create":
          return { action: c.action, rule: c.name };
        case "update":
          return { action: c.action, rule: c.name, id: c.id, method: c.method, fields: c.fields.map((f) => f.path) };
        case "delete":
          return { action: c.action, rule: c.name, id: c.id, reason: c.reason };
      }
    }),
  };
}

function diagnosticEntry(d: Diagnostic): object {
  return { file: d.file, line: d.line, column: d.column, path: d.path, code: d.code, message: d.message, ...(d.hint ? { hint: d.hint } : {}) };
}

function describeError(err: unknown): string {
  if (err instanceof AppError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

export function createReconciler(deps: ReconcilerDeps): Reconcile {
  let lastGood: DesiredState | undefined;
  /** Digest of the last file content whose problems were logged in full, to log them once. */
  let lastReported: string | undefined;

  const configProblem = (problem: string | null): void => {
    deps.metrics.setConfigValid(problem === null);
    deps.onConfig?.(problem);
  };

  /** The desired state to reconcile to, or the reason there is none. */
  const loadDesired = async (): Promise<{ state: DesiredState } | { problem: string }> => {
    const read = await readStableFile(deps.file, {
      settleMs: deps.settleMs ?? 50,
      maxReads: deps.maxReads ?? 10,
      ...(deps.readFile ? { readFile: deps.readFile } : {}),
    });
    let problem: string;
    let digest: string;
    if (read.ok) {
      const result = loadRulesText(read.bytes, deps.file, { env: deps.env });
      if (result.ok) {
        for (const w of result.warnings) deps.log.warn({ event: "config-warning", ...diagnosticEntry(w) }, w.message);
        lastGood = result.state;
        lastReported = undefined;
        configProblem(null);
        return { state: result.state };
      }
      digest = createHash("sha256").update(read.bytes).digest("hex");
      const first = result.diagnostics[0];
      problem = `${result.diagnostics.length} error(s) in ${deps.file}${first ? `; first at line ${first.line}, column ${first.column}: ${first.message}` : ""}`;
      if (digest !== lastReported) {
        for (const d of result.diagnostics) deps.log.error({ event: "config-error", ...diagnosticEntry(d) }, `${d.file}:${d.line}:${d.column}: ${d.message}`);
      }
    } else {
      digest = `${read.reason}`;
      problem = read.reason === "missing" ? `${deps.file} does not exist` : `${deps.file}: ${read.detail}`;
      if (digest !== lastReported) deps.log.error({ event: "config-error", file: deps.file, reason: read.reason }, problem);
    }
    lastReported = digest;
    configProblem(problem);
    if (lastGood === undefined) return { problem };
    deps.log.warn({ event: "config-stale", file: deps.file, problem }, "the file is not usable; the last good version stays in force");
    return { state: lastGood };
  };

  return async (trigger) => {
    const desired = await loadDesired();
    if ("problem" in desired) return { result: "invalid-config", detail: desired.problem };

    let plan: Plan;
    try {
      const remote = await deps.client.listRules();
      plan = await planWithProbe(desired.state, remote, () => deps.client.supportsUpdate());
    } catch (err) {
      // Fail closed (SPEC §5): no list, no plan, nothing applied.
      return { result: "error", detail: describeError(err) };
    }

    const { create, update, unchanged, unmanaged } = plan.summary;
    const deletes = plan.summary.delete;
    deps.metrics.setRules({ managed: unchanged + update + deletes, unmanaged, drifted: create + update + deletes });
    const total = create + update + deletes;
    if (total === 0 && plan.refusal === null) return { result: "noop" };

    deps.log.info(planEvent(plan, trigger, deps.dryRun), `plan: ${create} to create, ${update} to update, ${deletes} to delete`);
    if (plan.refusal) {
      // The daemon never forces (SPEC §5): a person decides.
      deps.log.error({ event: "refused", code: plan.refusal.code, message: plan.refusal.message, hint: plan.refusal.hint }, `plan refused: ${plan.refusal.message}`);
      return { result: "refused", detail: plan.refusal.message };
    }
    if (deps.dryRun) return { result: "dry-run", detail: `${total} change(s) not applied (--dry-run)` };

    const report = await applyPlan(orderChanges(plan.changes), { client: deps.client, concurrency: deps.concurrency, now: deps.now, log: deps.log });
    if (report.ok) {
      deps.metrics.setRules({ managed: unchanged + update + create, unmanaged, drifted: 0 });
      return { result: "success", detail: `${report.counts.ok} operation(s) applied` };
    }
    const failed = report.outcomes.filter((o) => o.status !== "ok").map((o) => `${o.op} ${o.name}`);
    return { result: "error", detail: `${report.counts.failed} failed, ${report.counts.skipped} skipped: ${failed.slice(0, 5).join(", ")}${failed.length > 5 ? ", …" : ""}` };
  };
}

// One reconcile of the daemon (SPEC §6): read the file until stable, load it (keeping the last
// good desired state when the new one is invalid), list the server (at the same time as the
// read once a good state is known, or ahead, while the debounce waits), plan, log the plan, apply
// unless dry-run or refused. I/O only through the injected client, file reader and logger.
// Returns an outcome and never throws: runDaemon decides what happens next from it.
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { readFile as fsReadFile } from "node:fs/promises";
import { applyPlan } from "../apply/index.js";
import { planWithProbe } from "../apply/index.js";
import { orderChanges } from "../core/index.js";
import { AppError, type DesiredState, type Diagnostic, type Plan, type RemoteRule, type SipClient } from "../model/index.js";
import { loadRulesText, type Env, type LoadResult } from "../rules-file/index.js";
import type { DaemonMetrics } from "./metrics.js";
import { readStableFile } from "./read-stable.js";
import type { ReconcileOutcome, Trigger } from "./run-daemon.js";

/** The subset of a pino logger used here. Fields never hold secrets: pins are not logged at all. */
export interface ReconcileLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug?(obj: object, msg: string): void;
}

export interface ReconcilerDeps {
  readonly file: string;
  readonly env: Env;
  /** The rules-file size cap (--max-file-size); the loader's default when absent. */
  readonly maxFileBytes?: number;
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
  /**
   * How long the file's directory has been quiet (ms since the watcher's last event, or since it
   * started watching), or undefined when that is not known (no watcher yet, or it failed). When it
   * is at least settleMs, the stable read needs no pause before its second read: nothing wrote to
   * the file in that time, which is what the pause would have waited for.
   */
  readonly quietFor?: () => number | undefined;
  readonly maxReads?: number;
  readonly readFile?: (path: string) => Promise<Uint8Array>;
  /**
   * List ahead (0 or absent: never). With a positive value, prepare() also starts the server list
   * (and, once the file is loaded, the plan against it) while the debounce waits, and the
   * reconcile that follows uses them instead of listing again when the list started at most this
   * many ms before it and no other reconcile ran since (so the list saw every write this daemon
   * made). A list that old is no staler than one that took that long: the server does not lock
   * between list and write either way, and every later run lists afresh.
   */
  readonly listAheadMs?: number;
}

export interface Reconcile {
  (trigger: Trigger): Promise<ReconcileOutcome>;
  /**
   * "The file may have just changed": reads and validates it now, in the background, so that the
   * reconcile that follows the debounce finds it done when it reads the same bytes. Never throws;
   * at most one read at a time (calls meanwhile make one more). Changes nothing else: the
   * reconcile still reads the file until stable and uses this work only for identical bytes.
   */
  prepare(): void;
}

/** A server list started by prepare(), and the plan of the prepared desired state against it. */
interface ListedAhead {
  /** The reconcile count when it started: it is used only if no reconcile has started since. */
  readonly runs: number;
  readonly startedAt: number;
  readonly listed: Promise<Settled<readonly RemoteRule[]>>;
  planned?: { readonly state: DesiredState; readonly plan: Promise<Settled<Plan>> };
}

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

type Settled<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/** A promise that never rejects, so that one started early is never an unhandled rejection. */
function settle<T>(p: Promise<T>): Promise<Settled<T>> {
  return p.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );
}

export function createReconciler(deps: ReconcilerDeps): Reconcile {
  let lastGood: DesiredState | undefined;
  /** Digest of the last file content whose problems were logged in full, to log them once. */
  let lastReported: string | undefined;

  /**
   * loadRulesText is a pure function of the bytes (the path and env are fixed), so its last
   * result is kept with the bytes it came from: an unchanged file (every interval run) is not
   * parsed again, and a save is parsed while the debounce still waits (prepare()).
   */
  let memo: { readonly bytes: Uint8Array; readonly result: LoadResult } | undefined;
  const load = (bytes: Uint8Array): LoadResult => {
    if (memo !== undefined && Buffer.compare(memo.bytes, bytes) === 0) return memo.result;
    const result = loadRulesText(bytes, deps.file, { env: deps.env, ...(deps.maxFileBytes === undefined ? {} : { maxFileBytes: deps.maxFileBytes }) });
    memo = { bytes, result };
    return result;
  };

  const listAheadMs = Math.max(0, deps.listAheadMs ?? 0);
  /** Reconciles started so far, and whether one is running now. */
  let runs = 0;
  let running = false;
  /** prepare() was called during a reconcile: list ahead once it is over. */
  let aheadWanted = false;
  let ahead: ListedAhead | undefined;

  /** The desired state the prepared bytes hold, when they are valid. */
  const preparedState = (): DesiredState | undefined => (memo?.result.ok === true ? memo.result.state : undefined);

  /**
   * Starts the list ahead, unless one started recently enough (a burst of events lists once per
   * half of listAheadMs, not once per event). Only when the reconcile will list anyway (a good
   * state is known or the prepared file is valid), and never during a reconcile: a list taken
   * while its writes are in flight could miss some of them.
   */
  const listAhead = (): void => {
    if (listAheadMs === 0 || running) return;
    if (lastGood === undefined && preparedState() === undefined) return;
    if (ahead !== undefined && ahead.runs === runs && deps.now() - ahead.startedAt <= listAheadMs / 2) return;
    ahead = { runs, startedAt: deps.now(), listed: settle(deps.client.listRules()) };
    const started = ahead;
    void started.listed.then(() => planAhead(started));
  };

  /** Plans the prepared state against a listed-ahead server, once per state (the latest one). */
  const planAhead = (target: ListedAhead | undefined = ahead): void => {
    if (target === undefined || target !== ahead || target.runs !== runs) return;
    const state = preparedState();
    if (state === undefined || target.planned?.state === state) return;
    target.planned = {
      state,
      plan: target.listed.then((listed) => {
        if (!listed.ok) return listed;
        return settle(planWithProbe(state, listed.value, () => deps.client.supportsUpdate()));
      }),
    };
  };

  /** The list ahead if this reconcile may use it; either way it is dropped (one use only). */
  const takeAhead = (): ListedAhead | undefined => {
    const taken = ahead;
    ahead = undefined;
    if (taken === undefined || taken.runs !== runs || deps.now() - taken.startedAt > listAheadMs) return undefined;
    return taken;
  };

  let preparing = false;
  let prepareAgain = false;
  const prepare = (): void => {
    if (running) aheadWanted = true;
    if (preparing) {
      prepareAgain = true;
      return;
    }
    preparing = true;
    void (async () => {
      do {
        prepareAgain = false;
        try {
          load(await (deps.readFile ?? fsReadFile)(deps.file));
        } catch {
          // Missing or unreadable now: the reconcile reads it again and reports why.
        }
        listAhead();
        planAhead();
      } while (prepareAgain);
      preparing = false;
    })();
  };

  const configProblem = (problem: string | null): void => {
    deps.metrics.setConfigValid(problem === null);
    deps.onConfig?.(problem);
  };

  /** The desired state to reconcile to, or the reason there is none. */
  const loadDesired = async (): Promise<{ state: DesiredState } | { problem: string }> => {
    const settleMs = deps.settleMs ?? 50;
    const quiet = deps.quietFor?.();
    const read = await readStableFile(deps.file, {
      settleMs,
      ...(quiet !== undefined && quiet >= settleMs ? { firstSettleMs: 0 } : {}),
      maxReads: deps.maxReads ?? 10,
      ...(deps.readFile ? { readFile: deps.readFile } : {}),
    });
    let problem: string;
    let digest: string;
    if (read.ok) {
      const result = load(read.bytes);
      if (result.ok) {
        if (result.yamlFallback !== undefined) deps.log.debug?.({ event: "yaml-fallback", file: deps.file, reason: result.yamlFallback }, `${deps.file}: read by the yaml library, not the fast path (${result.yamlFallback})`);
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

  const reconcile = async (trigger: Trigger): Promise<ReconcileOutcome> => {
    const early = takeAhead();
    runs += 1;
    running = true;
    try {
      return await reconcileWith(trigger, early);
    } finally {
      running = false;
      if (aheadWanted) {
        // The file changed during this run; its reconcile follows the debounce (or is queued).
        aheadWanted = false;
        listAhead();
        planAhead();
      }
    }
  };

  const reconcileWith = async (trigger: Trigger, early: ListedAhead | undefined): Promise<ReconcileOutcome> => {
    // With a good desired state in hand, every run lists the server (an invalid file falls back
    // to it), so the list starts now (unless prepare() started it already) and runs while the
    // file is read and validated. Without one the list waits for the file: a run that ends
    // invalid-config makes no API call at all.
    const listing = early?.listed ?? (lastGood === undefined ? undefined : settle(deps.client.listRules()));
    const desired = await loadDesired();
    if ("problem" in desired) return { result: "invalid-config", detail: desired.problem };

    let plan: Plan;
    try {
      const planned = early?.planned?.state === desired.state ? await early.planned.plan : undefined;
      if (planned !== undefined) {
        if (!planned.ok) throw planned.error;
        plan = planned.value;
      } else {
        const listed = await (listing ?? settle(deps.client.listRules()));
        if (!listed.ok) throw listed.error;
        plan = await planWithProbe(desired.state, listed.value, () => deps.client.supportsUpdate());
      }
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
  return Object.assign(reconcile, { prepare });
}

// One reconcile of the daemon (SPEC §6): read the file until stable, load it (keeping the last
// good desired state when the new one is invalid), list the server (at the same time as the
// read once a good state is known, or ahead, while the debounce waits), plan, log the plan, apply
// unless dry-run or refused. I/O only through the injected client, file reader and logger.
// Returns an outcome and never throws: runDaemon decides what happens next from it.
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import { applyPlan } from "../apply/index.js";
import { planListed } from "../apply/index.js";
import { orderChanges, pinRemovalRefusal } from "../core/index.js";
import { AppError, type DesiredState, type Diagnostic, type Plan, type RemoteRule, type SipClient } from "../model/index.js";
import { createIncrementalLoader, type Env, type LoadResult } from "../rules-file/index.js";
import { daemonRefusalHint, driftCounts, driftedRules } from "./events.js";
import { createFightTracker } from "./fighting.js";
import type { DaemonMetrics } from "./metrics.js";
import { readGuardedFile, readStableFile } from "./read-stable.js";
import type { ReconcileOutcome, Trigger } from "./run-daemon.js";
import { createServerCache, idsToConfirm, recordingClient, staleIds, withFreshBases } from "./server-cache.js";
import { waitForSettledFile, type FileStamp } from "./settle.js";

/** The subset of a pino logger used here. Fields never hold secrets: pins are not logged at all. */
export interface ReconcileLogger {
  debug?(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug?(obj: object, msg: string): void;
}

export interface ReconcilerDeps {
  readonly file: string;
  readonly env: Env;
  /** The file's environment this daemon keeps (SPEC §8: watch takes exactly one); absent without environments. */
  readonly environment?: string;
  /**
   * SPEC §8: the desired state with its `trunks:` names resolved to IDs, before every plan (the
   * watch command lists the inbound trunks, cached for one interval). Rejecting fails the run:
   * nothing is applied.
   */
  readonly resolveState?: (state: DesiredState) => Promise<DesiredState>;
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
  /** Default: readGuardedFile (regular file, under maxFileBytes, never blocks). */
  readonly readFile?: (path: string) => Promise<Uint8Array>;
  /** The size cap of every read of the file (--max-file-size; default MAX_FILE_BYTES). */
  readonly maxFileBytes?: number;
  /**
   * The settle rule (`--settle`, SPEC §6): a plan with deletes is applied only once the file has
   * been unchanged this long (ms), and after a wait it is read and planned again. 0 disables it;
   * default 2000.
   */
  readonly deleteSettleMs?: number;
  /** Aborted when the daemon stops: no operation starts after it, and a settle wait ends. */
  readonly signal?: AbortSignal;
  /** After every run that planned writes: the rules left alone because another writer reverts them. */
  readonly onFighting?: (rules: readonly string[]) => void;
  /** The settle rule's view of the file and time (tests inject them). */
  readonly stampFile?: (path: string) => Promise<FileStamp | undefined>;
  readonly wallNow?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /**
   * List ahead (0 or absent: never). With a positive value, prepare() also starts the server list
   * (and, once the file is loaded, the plan against it) while the debounce waits, and the
   * reconcile that follows uses them instead of listing again when the list started at most this
   * many ms before it and no other reconcile ran since (so the list saw every write this daemon
   * made). A list that old is no staler than one that took that long: the server does not lock
   * between list and write either way, and every later run lists afresh.
   */
  readonly listAheadMs?: number;
  /**
   * Plan a file change against the server as this daemon last knew it (server-cache.ts: the last
   * full list plus the answers to its own writes), reading just the affected rules again by ID
   * before writing; start, interval, retry and reload runs list everything. Default true; false
   * lists the server in every run.
   */
  readonly serverCache?: boolean;
}

/** IDs per by-ID confirm request (the request body grows with them). */
const CONFIRM_BATCH = 500;

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
  /** Set when `listed` is the server cache's view of this epoch, not a list (used by a file run only). */
  readonly cacheEpoch?: number;
  planned?: { readonly state: DesiredState; readonly plan: Promise<Settled<Plan>> };
}

/**
 * The state to plan: its rules without `loc`. The daemon logs no position of a planned change (a
 * problem in the file is logged by the loader, with positions), and the planner reads `loc` for
 * every change it makes, which makes the loader index the whole file for its first position: at
 * 100,000 rules that index took over a second of each edit.
 */
function withoutPositions(state: DesiredState): DesiredState {
  return { ...state, rules: state.rules.map((r) => (r.trunks === undefined ? { spec: r.spec } : { spec: r.spec, trunks: r.trunks })) };
}

/** Plan log entries: names, IDs and field paths only; values (which may be pins) never. */
function planEvent(plan: Plan, trigger: Trigger, dryRun: boolean): object {
  return {
    event: "plan",
    trigger,
    dryRun,
    summary: plan.summary,
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

/** The last loadRulesText result with the bytes it came from (or, between runs, their digest). */
interface Memo {
  bytes: Uint8Array | undefined;
  readonly length: number;
  digest: string | undefined;
  readonly result: LoadResult;
}

/** The same bytes as the memo's: compared in full while it has them, else by length and digest. */
function sameBytes(memo: Memo, bytes: Uint8Array): boolean {
  if (memo.bytes !== undefined) return Buffer.compare(memo.bytes, bytes) === 0;
  return memo.length === bytes.length && memo.digest === digestOf(bytes);
}

function digestOf(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("base64");
}

function describeError(err: unknown): string {
  if (err instanceof AppError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

/** The file's stamp for the settle rule (following symlinks), undefined when it is not there. */
async function statStamp(path: string): Promise<FileStamp | undefined> {
  try {
    const s = await stat(path);
    return { ino: s.ino, size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs };
  } catch {
    return undefined;
  }
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
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
  /** The last read of the file was not usable: the next valid one logs "config valid again". */
  let invalidSeen = false;
  const fights = createFightTracker();
  const readFile = deps.readFile ?? ((path: string) => readGuardedFile(path, deps.maxFileBytes));
  /** Digest of the last file content whose problems were logged in full, to log them once. */
  let lastReported: string | undefined;

  /**
   * The file is loaded by an incremental loader (rules-file/incremental-load.ts): an edit is loaded
   * from the rules it changed, with loadRulesText's exact answer (issue 19). Its last result is
   * kept with the bytes it came from (a digest between runs), so an unchanged file (every interval
   * run, valid or not) is not loaded again; a save is parsed while the debounce still waits
   * (prepare()).
   */
  const loader = createIncrementalLoader();
  // The daemon keeps the last good state: its strings must not hold the file's text (ownStrings).
  const loadOptions = { env: deps.env, environment: deps.environment, ownStrings: true, ...(deps.maxFileBytes === undefined ? {} : { maxFileBytes: deps.maxFileBytes }) };
  let memo: Memo | undefined;
  const load = (bytes: Uint8Array): LoadResult => {
    if (memo !== undefined && sameBytes(memo, bytes)) return memo.result;
    const result = loader.load(bytes, deps.file, loadOptions);
    memo = { bytes, length: bytes.length, digest: undefined, result };
    return result;
  };
  /**
   * Between reconciles the memo keeps a digest of the bytes, not the bytes (the whole file: 37 MiB
   * at 100,000 rules, for as long as the daemon idles). A save prepared during the debounce keeps
   * its bytes until the reconcile that follows it compared them.
   */
  const forgetBytes = (): void => {
    if (memo?.bytes === undefined) return;
    memo.digest = digestOf(memo.bytes);
    memo.bytes = undefined;
  };
  /** After the run's outcome is out (hashing 37 MiB takes a while): before the collection that follows it. */
  const forgetBytesSoon = (): void => void setImmediate(forgetBytes);

  const resolved = async (state: DesiredState): Promise<DesiredState> => withoutPositions(deps.resolveState === undefined ? state : await deps.resolveState(state));

  const listAheadMs = Math.max(0, deps.listAheadMs ?? 0);
  const useCache = deps.serverCache ?? true;
  const cache = createServerCache();
  /** The cache's view when a file run may plan from it, else undefined (a full list is due). */
  const cachedView = (): readonly RemoteRule[] | undefined => (useCache ? cache.rules() : undefined);
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
    // With a known view of the server the file run plans from it: nothing to list, only to plan.
    const view = cachedView();
    ahead =
      view === undefined
        ? { runs, startedAt: deps.now(), listed: settle(deps.client.listRules()) }
        : { runs, startedAt: deps.now(), listed: Promise.resolve({ ok: true, value: view }), cacheEpoch: cache.epoch };
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
        return settle(resolved(state).then((s) => planListed(s, listed.value, () => deps.client.supportsUpdate())));
      }),
    };
  };

  /** The list ahead if this reconcile may use it; either way it is dropped (one use only). */
  const takeAhead = (trigger: Trigger): ListedAhead | undefined => {
    const taken = ahead;
    ahead = undefined;
    if (taken === undefined || taken.runs !== runs) return undefined;
    // The cache's view: only for a file run, and only while the view is the same one.
    if (taken.cacheEpoch !== undefined) return trigger === "file" && cache.valid && taken.cacheEpoch === cache.epoch ? taken : undefined;
    if (deps.now() - taken.startedAt > listAheadMs) return undefined;
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
          load(await readFile(deps.file));
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

  /**
   * The desired state to reconcile to (with `stale`, why the file itself is not usable when the
   * last good state stands in), or the reason there is none.
   */
  const loadDesired = async (): Promise<{ state: DesiredState; stale?: string } | { problem: string }> => {
    const settleMs = deps.settleMs ?? 50;
    const quiet = deps.quietFor?.();
    const read = await readStableFile(deps.file, {
      settleMs,
      ...(quiet !== undefined && quiet >= settleMs ? { firstSettleMs: 0 } : {}),
      maxReads: deps.maxReads ?? 10,
      readFile,
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
        if (invalidSeen) {
          invalidSeen = false;
          deps.log.info({ event: "config-valid-again", file: deps.file }, "config valid again");
        }
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
      // The reason and what it says: the same problem is logged once, another one again.
      digest = `${read.reason}\0${read.detail}`;
      problem = read.reason === "missing" ? `${deps.file} does not exist` : `${deps.file}: ${read.detail}`;
      if (digest !== lastReported) deps.log.error({ event: "config-error", file: deps.file, reason: read.reason }, problem);
      if (read.reason === "not-a-file" || read.reason === "too-large") problem = read.detail;
    }
    lastReported = digest;
    invalidSeen = true;
    configProblem(problem);
    if (lastGood === undefined) return { problem };
    deps.log.warn({ event: "config-stale", file: deps.file, problem }, "the file is not usable; the last good version stays in force");
    return { state: lastGood, stale: problem };
  };

  const reconcile = async (trigger: Trigger): Promise<ReconcileOutcome> => {
    const early = takeAhead(trigger);
    runs += 1;
    running = true;
    try {
      const outcome = await reconcileWith(trigger, early);
      // A failed run (a write error, an unknown outcome, a failed list or confirm): whatever this
      // daemon believed about the server may be wrong now, and the next run lists everything.
      if (outcome.result === "error") cache.drop();
      return outcome;
    } finally {
      forgetBytesSoon();
      running = false;
      if (aheadWanted) {
        // The file changed during this run; its reconcile follows the debounce (or is queued).
        aheadWanted = false;
        listAhead();
        planAhead();
      }
    }
  };

  const settleMs = Math.max(0, deps.deleteSettleMs ?? 2_000);

  /**
   * Plans, and (the settle rule) when the plan deletes while the file changed less than settleMs
   * ago, waits for the file to be quiet that long and plans again from a fresh read and list.
   */
  const reconcileWith = async (trigger: Trigger, early: ListedAhead | undefined): Promise<ReconcileOutcome> => {
    let ahead: ListedAhead | undefined = early;
    // Only a file change plans from the cache's view; every other run lists everything.
    let full = trigger !== "file";
    for (;;) {
      const planned = await planRound(ahead, full);
      ahead = undefined;
      if ("outcome" in planned) return planned.outcome;
      const { plan } = planned;
      if (plan.summary.delete > 0 && plan.refusal === null && !deps.dryRun && settleMs > 0) {
        let logged = false;
        const waited = await waitForSettledFile({
          settleMs,
          stamp: () => (deps.stampFile ?? statStamp)(deps.file),
          ...(deps.quietFor ? { quietFor: deps.quietFor } : {}),
          now: deps.now,
          wallNow: deps.wallNow ?? Date.now,
          sleep: (ms, signal) => {
            if (!logged) {
              logged = true;
              deps.log.info(
                { event: "settling", trigger, deletes: plan.summary.delete, settleMs, file: deps.file },
                `the plan deletes ${plan.summary.delete} rule(s) after a change of the file: waiting until it has been unchanged for ${settleMs} ms`,
              );
            }
            return (deps.sleep ?? abortableSleep)(ms, signal);
          },
          ...(deps.signal ? { signal: deps.signal } : {}),
        });
        if (!waited.settled) return stoppedBeforeApply(plan);
        // Waited: read the file and list the server again, and plan from those.
        if (waited.waitedMs > 0) continue;
      }
      if (planned.fromCache && !deps.dryRun && plan.refusal === null) {
        const confirmed = await confirmView(plan);
        if ("outcome" in confirmed) return confirmed.outcome;
        if (!cache.valid) {
          // The server differs from the view for a rule this plan writes: list and plan again.
          full = true;
          continue;
        }
        // Each update's replace body starts from the rule as that read found it.
        return applyRound(trigger, withFreshBases(plan, confirmed.fresh), planned.state, planned.stale);
      }
      return applyRound(trigger, plan, planned.state, planned.stale);
    }
  };

  const stoppedBeforeApply = (plan: Plan): ReconcileOutcome => {
    const total = plan.summary.create + plan.summary.update + plan.summary.delete;
    return { result: "error", detail: `stopped before applying: ${total} change(s) left for the next run` };
  };

  /**
   * Before a plan made from the cache's view writes: reads the rules it updates or deletes again
   * by ID. The rules read when the view holds for all of them; else drops the view (the caller
   * lists and plans again); an outcome when the read failed (nothing is written).
   */
  const confirmView = async (plan: Plan): Promise<{ outcome: ReconcileOutcome } | { fresh: readonly RemoteRule[] }> => {
    const ids = idsToConfirm(plan.changes);
    if (ids.length === 0) return { fresh: [] };
    const found: RemoteRule[] = [];
    try {
      for (let i = 0; i < ids.length; i += CONFIRM_BATCH) found.push(...(await deps.client.listRulesByIds(ids.slice(i, i + CONFIRM_BATCH))));
    } catch (err) {
      return { outcome: { result: "error", detail: describeError(err) } };
    }
    const stale = staleIds(cache, ids, found);
    if (stale.length === 0) return { fresh: found };
    const names = new Set(stale.map((id) => cache.get(id)?.spec.name ?? found.find((r) => r.id === id)?.spec.name ?? ""));
    cache.drop();
    deps.log.info(
      { event: "server-changed", ids: stale, rules: [...names].filter((n) => n !== "").sort() },
      `${stale.length} rule(s) this edit would write changed on the server since the last list: listing everything and planning again`,
    );
    return { fresh: [] };
  };

  /** Reads the file and lists the server (or uses the list ahead, or the cache's view), and plans. */
  const planRound = async (
    early: ListedAhead | undefined,
    full: boolean,
  ): Promise<{ outcome: ReconcileOutcome } | { plan: Plan; state: DesiredState; stale: string | undefined; fromCache: boolean }> => {
    // A file run plans from the cache's view when there is one (no list at all); other runs list.
    const view = full ? undefined : cachedView();
    const fromCache = early !== undefined ? early.cacheEpoch !== undefined : view !== undefined;
    // With a good desired state in hand, every run lists the server (an invalid file falls back
    // to it), so the list starts now (unless prepare() started it already) and runs while the
    // file is read and validated. Without one the list waits for the file: a run that ends
    // invalid-config makes no API call at all.
    const listing =
      early?.listed ?? (view !== undefined ? Promise.resolve<Settled<readonly RemoteRule[]>>({ ok: true, value: view }) : lastGood === undefined ? undefined : settle(deps.client.listRules()));
    const desired = await loadDesired();
    if ("problem" in desired) return { outcome: { result: "invalid-config", detail: desired.problem } };

    try {
      const planned = early?.planned?.state === desired.state ? await early.planned.plan : undefined;
      if (planned !== undefined) {
        if (!planned.ok) throw planned.error;
        if (!fromCache) await keepListed(early?.listed, desired.state);
        return { plan: planned.value, state: desired.state, stale: desired.stale, fromCache };
      }
      const current = listing ?? settle(deps.client.listRules());
      const listed = await current;
      if (!listed.ok) throw listed.error;
      if (!fromCache) await keepListed(current, desired.state);
      return { plan: await planListed(await resolved(desired.state), listed.value, () => deps.client.supportsUpdate()), state: desired.state, stale: desired.stale, fromCache };
    } catch (err) {
      // Fail closed (SPEC §5): no list, no plan, nothing applied.
      return { outcome: { result: "error", detail: describeError(err) } };
    }
  };

  /** A full list this run plans from becomes the cache's view. */
  const keepListed = async (listing: Promise<Settled<readonly RemoteRule[]>> | undefined, state: DesiredState): Promise<void> => {
    if (!useCache || listing === undefined) return;
    const listed = await listing;
    // The file's rules, kept anyway, lend the view their objects where the two are equal.
    if (listed.ok) cache.replace(listed.value, state.rules);
  };

  /** Logs the plan and applies it (unless refused, dry-run, or fighting); an unusable file makes a good run `invalid`. */
  const applyRound = async (trigger: Trigger, plan: Plan, state: DesiredState, stale: string | undefined): Promise<ReconcileOutcome> => {
    const outcome = await applyPlanned(trigger, plan, state);
    if (stale === undefined || (outcome.result !== "success" && outcome.result !== "noop" && outcome.result !== "dry-run")) return outcome;
    return { result: "invalid", detail: `${stale}; the last good file stays in force${outcome.detail ? ` (${outcome.detail})` : ""}` };
  };

  const applyPlanned = async (trigger: Trigger, plan: Plan, state: DesiredState): Promise<ReconcileOutcome> => {
    const { create, update, unchanged, unmanaged, kept } = plan.summary;
    const deletes = plan.summary.delete;
    // Rules kept because prune is false are managed too (the plan counts them apart since #15).
    deps.metrics.setRules({ managed: unchanged + kept + update + deletes, unmanaged, drifted: create + update + deletes });
    const total = create + update + deletes;
    if (total === 0 && plan.refusal === null) {
      if (!deps.dryRun) checkFights(state, []);
      return { result: "noop" };
    }

    if (trigger === "interval") {
      // Nothing in the file changed: whatever differs was changed on the server by someone else.
      deps.log.warn({ event: "drift", rules: driftedRules(plan.changes) }, `drift: ${total} rule(s) changed on the server outside the file`);
      deps.metrics.recordDrift(driftCounts(plan));
    }
    deps.log.info(planEvent(plan, trigger, deps.dryRun), `plan: ${create} to create, ${update} to update, ${deletes} to delete`);
    // A removed pin is refused like the delete limits: no person approves the daemon's plans (SPEC §5).
    const refusal = plan.refusal ?? pinRemovalRefusal(plan.changes, state.limits);
    if (refusal) {
      // The daemon never forces (SPEC §5): a person decides.
      deps.log.error({ event: "refused", code: refusal.code, message: refusal.message, hint: daemonRefusalHint(refusal.hint) }, `plan refused: ${refusal.message}`);
      return { result: "refused", detail: refusal.message };
    }
    if (deps.dryRun) return { result: "dry-run", detail: `${total} change(s) not applied (--dry-run)` };

    const hold = checkFights(state, plan.changes.map((c) => c.name));
    const changes = hold.size === 0 ? plan.changes : plan.changes.filter((c) => !hold.has(c.name));
    const heldNote = hold.size === 0 ? "" : `; ${hold.size} rule(s) left alone (fighting)`;
    if (changes.length === 0) return { result: "noop", detail: `nothing applied${heldNote}` };
    if (deps.signal?.aborted) return stoppedBeforeApply(plan);

    const client = useCache ? recordingClient(deps.client, cache) : deps.client;
    const report = await applyPlan(orderChanges(changes), { client, concurrency: deps.concurrency, now: deps.now, log: deps.log, ...(deps.signal ? { signal: deps.signal } : {}) });
    fights.written(state, report.outcomes.filter((o) => o.status === "ok").map((o) => o.name));
    if (report.ok) {
      deps.metrics.setRules({ managed: unchanged + kept + update + create, unmanaged, drifted: hold.size });
      return { result: "success", detail: `${report.counts.ok} operation(s) applied${heldNote}` };
    }
    const failed = report.outcomes.filter((o) => o.status !== "ok").map((o) => `${o.op} ${o.name}`);
    return { result: "error", detail: `${report.counts.failed} failed, ${report.counts.skipped} skipped: ${failed.slice(0, 5).join(", ")}${failed.length > 5 ? ", …" : ""}` };
  };

  /** The fighting check (fighting.ts): which rules to leave alone; logs rules that start fighting. */
  const checkFights = (state: DesiredState, needing: readonly string[]): ReadonlySet<string> => {
    const needs = new Set(needing);
    const inSync = state.rules.map((r) => r.spec.name).filter((n) => !needs.has(n));
    const check = fights.check(state, needing, inSync);
    if (check.started.length > 0) {
      deps.log.error(
        { event: "fighting", rules: check.started, file: deps.file },
        `fighting: another writer reverted ${check.started.map((r) => `"${r}"`).join(", ")} twice in a row; left alone until the file changes or the server matches it again`,
      );
    }
    deps.onFighting?.(fights.fighting());
    return check.hold;
  };
  return Object.assign(reconcile, { prepare });
}

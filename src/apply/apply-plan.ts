// Pure orchestration (no I/O of its own): runs a Schedule's operations through a SipClient with
// bounded concurrency, never two operations that share a conflict key at once, each only after
// the operations it depends on succeeded. Every operation's outcome is reported (SPEC §5).
import {
  ApiError,
  assertNever,
  type Operation,
  type Schedule,
  type ScheduledOperation,
  type SipClient,
} from "../model/index.js";

export type OperationStatus = "ok" | "failed" | "skipped";

export interface OperationOutcome {
  readonly index: number;
  readonly change: number;
  readonly op: Operation["op"];
  readonly name: string;
  /** The rule ID the operation acted on or created. */
  readonly id?: string;
  readonly status: OperationStatus;
  /** Extra facts: "already gone", "outcome unknown", "recreated: server has no UpdateSIPDispatchRule". */
  readonly detail?: string;
  readonly error?: { readonly code: string; readonly message: string; readonly hint?: string };
  readonly durationMs: number;
}

export interface ApplyReport {
  readonly outcomes: readonly OperationOutcome[];
  readonly ok: boolean;
  readonly counts: { readonly ok: number; readonly failed: number; readonly skipped: number };
}

/** The subset of a pino logger the applier uses. */
export interface ApplyLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ApplyDeps {
  readonly client: SipClient;
  /** At least 1. */
  readonly concurrency: number;
  readonly now: () => number;
  readonly log?: ApplyLogger;
  /**
   * Aborted when the process stops (watch on SIGTERM): no operation starts after it (the rest are
   * reported as skipped). A create is sent once in any case (SPEC §5).
   */
  readonly signal?: AbortSignal;
  /** Called with each operation's outcome as it finishes (skips included), to stream progress. */
  readonly onOutcome?: (outcome: OperationOutcome, progress: { readonly done: number; readonly total: number }) => void;
}

/** Per run: the second reads that confirm a kept rule before its duplicates are deleted (one per rule). */
type Confirmations = Map<string, Promise<boolean>>;

type State = "waiting" | "running" | "done";

export async function applyPlan(schedule: Schedule, deps: ApplyDeps): Promise<ApplyReport> {
  const ops = schedule.operations;
  const confirmations: Confirmations = new Map();
  const concurrency = Math.max(1, Math.floor(deps.concurrency));
  const state: State[] = ops.map(() => "waiting");
  const outcomes: (OperationOutcome | undefined)[] = ops.map(() => undefined);
  const heldKeys = new Map<string, number>();
  let running = 0;
  let doneCount = 0;
  /** Every operation before this position is no longer waiting (bookkeeping only: scans start here). */
  let firstWaiting = 0;
  /** Outcomes that are not "ok" not yet propagated to the operations that come after them. */
  let unpropagated = 0;

  const markDone = (i: number, outcome: OperationOutcome): void => {
    outcomes[i] = outcome;
    state[i] = "done";
    doneCount += 1;
    if (outcome.status !== "ok") unpropagated += 1;
    deps.onOutcome?.(outcome, { done: doneCount, total: ops.length });
  };

  return new Promise<ApplyReport>((resolve) => {
    const finish = () => {
      const list = outcomes.filter((o): o is OperationOutcome => o !== undefined);
      const count = (s: OperationStatus) => list.filter((o) => o.status === s).length;
      const counts = { ok: count("ok"), failed: count("failed"), skipped: count("skipped") };
      resolve({ outcomes: list, ok: counts.failed === 0 && counts.skipped === 0, counts });
    };

    const pump = () => {
      if (deps.signal?.aborted) {
        // Stopping: nothing new starts; what runs finishes (never re-sent).
        for (const s of ops) if (state[s.index] === "waiting") markDone(s.index, skipped(s, "not attempted: stopping"));
        if (running === 0) finish();
        return;
      }
      // Skip every operation whose prerequisite did not succeed: it could meet a key that is
      // still held on the server (fail closed rather than risk a conflict or a half state). Only
      // needed after an outcome other than "ok"; a skip is such an outcome, so it repeats.
      while (unpropagated > 0) {
        unpropagated = 0;
        for (let i = firstWaiting; i < ops.length; i++) {
          const s = ops[i] as ScheduledOperation;
          if (state[s.index] !== "waiting") continue;
          const blocker = s.after.find((a) => outcomes[a] !== undefined && outcomes[a]?.status !== "ok");
          if (blocker === undefined) continue;
          markDone(s.index, skipped(s, `not attempted: operation ${blocker + 1} (${describe(ops[blocker])}) did not succeed`));
          deps.log?.warn({ event: "operation", op: s.operation.op, rule: s.operation.name, status: "skipped", after: blocker }, "operation skipped");
        }
      }
      while (firstWaiting < ops.length && state[(ops[firstWaiting] as ScheduledOperation).index] !== "waiting") firstWaiting += 1;
      for (let i = firstWaiting; i < ops.length; i++) {
        if (running >= concurrency) break;
        const s = ops[i] as ScheduledOperation;
        if (state[s.index] !== "waiting") continue;
        if (!s.after.every((a) => outcomes[a]?.status === "ok")) continue;
        if (s.keys.some((k) => heldKeys.has(k))) continue;
        state[s.index] = "running";
        running += 1;
        for (const k of s.keys) heldKeys.set(k, s.index);
        void runOne(s, deps, confirmations).then((outcome) => {
          markDone(s.index, outcome);
          running -= 1;
          for (const k of s.keys) if (heldKeys.get(k) === s.index) heldKeys.delete(k);
          pump();
        });
      }
      if (running === 0 && doneCount === ops.length) finish();
      else if (running === 0 && !ops.some((s) => state[s.index] === "waiting" && s.after.every((a) => outcomes[a]?.status === "ok"))) {
        // Nothing can start and nothing runs: the schedule has a cycle (a planner bug). Report
        // the rest as skipped rather than hang.
        for (const s of ops) {
          if (state[s.index] !== "waiting") continue;
          markDone(s.index, skipped(s, "not attempted: unsatisfiable ordering (this is a bug)"));
        }
        finish();
      }
    };
    pump();
  });
}

function describe(s: ScheduledOperation | undefined): string {
  return s ? `${s.operation.op} ${s.operation.name}` : "unknown";
}

function skipped(s: ScheduledOperation, detail: string): OperationOutcome {
  return { index: s.index, change: s.change, op: s.operation.op, name: s.operation.name, status: "skipped", detail, durationMs: 0 };
}

async function runOne(s: ScheduledOperation, deps: ApplyDeps, confirmations: Confirmations): Promise<OperationOutcome> {
  const started = deps.now();
  const op = s.operation;
  const base = { index: s.index, change: s.change, op: op.op, name: op.name };
  const done = (extra: Partial<OperationOutcome> & { status: OperationStatus }): OperationOutcome => {
    const outcome: OperationOutcome = { ...base, ...extra, durationMs: deps.now() - started };
    const fields = { event: "operation", op: op.op, rule: op.name, id: outcome.id, status: outcome.status, detail: outcome.detail, durationMs: Math.round(outcome.durationMs), error: outcome.error };
    if (outcome.status === "ok") deps.log?.info(fields, "operation applied");
    else deps.log?.error(fields, "operation failed");
    return outcome;
  };
  try {
    switch (op.op) {
      case "create": {
        // Sent once (SPEC §5): after an ambiguous failure it is never sent again in this run.
        const created = await deps.client.createRule(op.spec, op.base);
        return done({ status: "ok", id: created.id });
      }
      case "update": {
        try {
          const updated = await deps.client.updateRule(op.id, op.spec, op.base);
          return done({ status: "ok", id: updated.id });
        } catch (err) {
          // livekit-sip-api.md §6, §7: only the server's own Twirp bad_route says "no Update here"
          // (livekit-server before v1.9.0); a bare 404 from a proxy never does (SPEC §4).
          if (!isUpdateUnsupported(err)) throw err;
          deps.log?.warn({ event: "update-fallback", rule: op.name, id: op.id }, "the server has no UpdateSIPDispatchRule: replacing the rule by delete + create; phone numbers bound to its ID may detach");
          // Same keys, same slot in the schedule: delete then create is safe here.
          await deleteTolerant(deps.client, op.id);
          const created = await deps.client.createRule(op.spec, op.base);
          const detail = `recreated as delete + create: the server has no UpdateSIPDispatchRule (Twirp bad_route); the rule's ID changed from ${op.id} to ${created.id}, and LiveKit Cloud phone numbers bound to ${op.id} are detached (livekit-sip-api.md §11.3): bind them to ${created.id}`;
          return done({ status: "ok", id: created.id, detail });
        }
      }
      case "delete": {
        if (op.confirm !== undefined) {
          let confirmed = confirmations.get(op.confirm);
          if (confirmed === undefined) {
            const id = op.confirm;
            confirmed = deps.client.listRulesByIds([id]).then((found) => found.some((r) => r.id === id));
            confirmations.set(id, confirmed);
          }
          if (!(await confirmed)) {
            throw new ApiError({
              method: "ListSIPDispatchRule",
              twirpCode: "aborted",
              status: 0,
              message: `the kept rule ${op.confirm} of "${op.name}" is not on the server by a second read; its duplicate ${op.id} is not deleted`,
              retryable: false,
              hint: "the first list showed a rule that is gone (or the server answers inconsistently); nothing of this name was deleted. Run plan again",
            });
          }
        }
        const gone = await deleteTolerant(deps.client, op.id);
        return done({ status: "ok", id: op.id, ...(gone ? { detail: "already gone" } : {}) });
      }
      default:
        return assertNever(op, "operation");
    }
  } catch (err) {
    return done({ status: "failed", ...("id" in op ? { id: op.id } : {}), ...errorFields(err) });
  }
}

/** The server's own Twirp bad_route from Update (the same test as the client's isUpdateUnsupported). */
function isUpdateUnsupported(err: unknown): boolean {
  return err instanceof ApiError && err.method === "UpdateSIPDispatchRule" && err.twirpCode === "bad_route" && err.twirpBody;
}

/** Deletes a rule; not_found counts as success (livekit-sip-api.md §5.5). Returns true when it was already gone. */
async function deleteTolerant(client: SipClient, id: string): Promise<boolean> {
  try {
    await client.deleteRule(id);
    return false;
  } catch (err) {
    if (err instanceof ApiError && err.twirpCode === "not_found") return true;
    throw err;
  }
}

function errorFields(err: unknown): Pick<OperationOutcome, "error" | "detail"> {
  if (err instanceof ApiError) {
    return {
      error: { code: err.twirpCode, message: err.message, ...(err.hint ? { hint: err.hint } : {}) },
      ...(err.ambiguous ? { detail: `outcome unknown: ${err.method === "CreateSIPDispatchRule" ? "the rule may or may not have been created; it is not sent again in this run, " : ""}the next run lists the server and decides` } : {}),
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { error: { code: "unexpected", message } };
}

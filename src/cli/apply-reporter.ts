// Process wiring. What `apply` prints while it works (SPEC §3): each operation's outcome as it
// finishes, a progress line on a terminal (done / total, failures, elapsed), retries and
// Retry-After waits on stderr as they happen. Text, or JSON lines with --log-format json: never
// both (CI got each operation twice, a stdout line and a JSON log line).
import type { ApplyReport, OperationOutcome } from "../apply/index.js";
import type { RetryWaitEvent } from "../livekit/index.js";
import type { CliIo } from "./io.js";

/** The subset of a pino logger the reporter uses (JSON mode). */
export interface ReporterLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface ApplyReporter {
  /** Before the first operation starts. */
  start(total: number): void;
  outcome(outcome: OperationOutcome, progress: { readonly done: number; readonly total: number }): void;
  retry(e: RetryWaitEvent): void;
  /** After the last operation: the closing line (text) or event (JSON). */
  finish(report: ApplyReport): void;
}

export interface ReporterOptions {
  /** JSON lines through this logger instead of text. */
  readonly log?: ReporterLog;
  /** Keep a progress line at the bottom of the terminal (stdout is a TTY). */
  readonly tty: boolean;
  /** Total attempts of a call, for "attempt 2 of 4". */
  readonly maxAttempts: number;
  readonly now: () => number;
  /** How often the progress line's elapsed time is redrawn; default 500 ms. */
  readonly redrawMs?: number;
}

const VERB: Readonly<Record<OperationOutcome["op"], string>> = { create: "created", update: "updated", delete: "deleted" };

/** One operation's outcome as text: `  ✓ created a (SDR_x)`, `  ✗ update b (SDR_y) failed: ...`. */
export function outcomeLine(o: OperationOutcome): string {
  const id = o.id ? ` (${o.id})` : "";
  const detail = o.detail ? ` — ${o.detail}` : "";
  switch (o.status) {
    case "ok":
      return `  ✓ ${VERB[o.op]} ${o.name}${id}${detail}`;
    case "failed":
      return `  ✗ ${o.op} ${o.name}${id} failed: ${o.error?.message ?? "unknown error"}${detail}${o.error?.hint ? `\n      hint: ${o.error.hint}` : ""}`;
    case "skipped":
      return `  - ${o.op} ${o.name} skipped${detail}`;
  }
}

/** The closing line of an apply. */
export function tailLine(report: ApplyReport): string {
  const c = report.counts;
  return report.ok
    ? `Apply complete: ${c.ok} operation(s) succeeded.`
    : `Apply incomplete: ${c.ok} succeeded, ${c.failed} failed, ${c.skipped} skipped. Run apply again to converge.`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** `retry: CreateSIPDispatchRule got unavailable (HTTP 503); attempt 2 of 4 in 0.4s`. */
export function retryLine(e: RetryWaitEvent, maxAttempts: number): string {
  const why = `${e.code}${e.status > 0 ? ` (HTTP ${e.status})` : ""}`;
  const wait = e.retryAfterMs !== undefined && e.retryAfterMs >= e.delayMs ? `waiting ${seconds(e.delayMs)} as the server's Retry-After asks` : `in ${seconds(e.delayMs)}`;
  return `retry: ${e.method} got ${why}; attempt ${e.attempt + 1} of ${maxAttempts} ${wait}`;
}

export function createApplyReporter(io: CliIo, options: ReporterOptions): ApplyReporter {
  const { log } = options;
  if (log !== undefined) {
    return {
      start: (total) => log.info({ event: "apply-start", operations: total }, "apply started"),
      // applyPlan logs each operation itself (event "operation").
      outcome: () => undefined,
      retry: (e) => log.warn({ event: "retry", method: e.method, attempt: e.attempt, nextAttempt: e.attempt + 1, maxAttempts: options.maxAttempts, delayMs: e.delayMs, retryAfterMs: e.retryAfterMs, code: e.code, status: e.status }, retryLine(e, options.maxAttempts)),
      finish: (report) => log.info({ event: "apply", complete: report.ok, succeeded: report.counts.ok, failed: report.counts.failed, skipped: report.counts.skipped }, tailLine(report)),
    };
  }

  let started = 0;
  let done = 0;
  let total = 0;
  let failed = 0;
  let skipped = 0;
  let shown = false;
  let timer: NodeJS.Timeout | undefined;
  const progressText = () =>
    `Applying: ${done}/${total} done${failed > 0 ? `, ${failed} failed` : ""}${skipped > 0 ? `, ${skipped} skipped` : ""}, ${seconds(options.now() - started)} elapsed`;
  const clear = () => {
    if (shown) io.stdout.write("\r\u001b[K");
    shown = false;
  };
  const draw = () => {
    io.stdout.write(`\r\u001b[K${progressText()}`);
    shown = true;
  };

  return {
    start(n) {
      total = n;
      started = options.now();
      io.stdout.write("\n");
      if (options.tty) {
        draw();
        timer = setInterval(draw, options.redrawMs ?? 500);
        timer.unref();
      }
    },
    outcome(o, progress) {
      done = progress.done;
      if (o.status === "failed") failed += 1;
      if (o.status === "skipped") skipped += 1;
      clear();
      io.stdout.write(`${outcomeLine(o)}\n`);
      if (options.tty) draw();
    },
    retry(e) {
      // stderr may share the terminal with the progress line: take it away while writing.
      clear();
      io.stderr.write(`${retryLine(e, options.maxAttempts)}\n`);
      if (options.tty && timer !== undefined) draw();
    },
    finish(report) {
      if (timer !== undefined) clearInterval(timer);
      clear();
      const elapsed = options.tty ? ` (${seconds(options.now() - started)})` : "";
      io.stdout.write(`${tailLine(report)}${elapsed}\n`);
    },
  };
}

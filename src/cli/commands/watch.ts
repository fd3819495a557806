// Process wiring for `watch` (SPEC §6): the daemon. Wires the file watcher, the reconciler, the
// loop, metrics, the HTTP endpoints and the signals together; the logic lives in src/daemon.
import { setFlagsFromString } from "node:v8";
import {
  INITIAL_READINESS,
  checkReadiness,
  createHttpHandler,
  createMetrics,
  createReconciler,
  parseListenAddress,
  recordConfig,
  recordFighting,
  recordOutcome,
  runDaemon,
  serveHttp,
  systemTimer,
  watchFile,
  type FileWatcher,
  type ReadinessState,
} from "../../daemon/index.js";
import { needsTrunkList, resolveTrunkNames } from "../../core/index.js";
import { createNodeTransport, createSipClient, type HttpSipClient } from "../../livekit/index.js";
import { AppError, EXIT, UsageError, type DesiredState, type ExitCode } from "../../model/index.js";
import { createLogger, parseLogLevel, prettyDestination, type Logger } from "../../log.js";
import { parseDuration } from "../duration.js";
import { COMMON_FLAGS, SERVER_FLAGS, concurrencyFlag, configPath, parseFlags, stringFlag } from "../flags.js";
import { FILE_LIMIT_HELP, maxFileBytes } from "../file-limit.js";
import type { CliIo } from "../io.js";
import { resolveServerOptions, resolveTimeout } from "../server-options.js";
import { ALL_ENVIRONMENTS } from "../../rules-file/index.js";
import { selectedEnvironment } from "../environment-options.js";
import { environmentContext, listTrunksFor, loadDesired, type TrunkListing } from "../load.js";

export const help = `Usage: sip-dispatch-sync watch [flags]

Keep the server's dispatch rules equal to the file: reconcile at start, on every change of the
file (its directory is watched, so editor saves and Kubernetes ConfigMap updates are seen) and
every --interval to correct drift made by hand. An invalid edit is logged and ignored: the last
good file stays in force. Safety limits are never forced. A plan that deletes, after a change of
the file, waits until the file has been unchanged for --settle (a writer pausing mid-file never
causes a delete). A rule another writer reverts twice in a row is left alone ("fighting").

Signals: SIGTERM, SIGINT and SIGQUIT stop gracefully (no new operation, the ones in flight
finish within --timeout, exit 0); SIGHUP reconciles at once; SIGUSR1 and SIGUSR2 are logged and
ignored.

Flags:
  -c, --config FILE        rules file (default $DISPATCH_RULES_FILE, else ./dispatch-rules.yaml)
      --interval DURATION  resync period, ±10 % jitter (default 60s)
      --debounce DURATION  quiet time after a file event before reconciling (default 300ms)
      --settle DURATION    how long the file must be unchanged before a plan that deletes is
                           applied (default 2s; 0 turns the wait off)
      --listen HOST:PORT   /healthz, /readyz, /metrics (GET or HEAD; default 0.0.0.0:9464;
                           port 0 picks one)
      --dry-run            plan and report, never write to the server
      --concurrency N      operations in flight at once (default 4)
      --env NAME           the one environment to keep, when the file defines \`environments:\`
                           (default $DISPATCH_ENV); its url and credentials are read at start
      --url, --api-key, --api-secret, --timeout, --log-level   as for plan
      --max-answer-bytes SIZE, --max-list-pages N              as for plan (list bounds)
${FILE_LIMIT_HELP}

Logs are JSON lines on stdout (pretty on a terminal): a "plan" event before every apply, one
"operation" event per server write, one "reconcile" event per run; the README lists them all.
`;

const FLAGS = {
  ...COMMON_FLAGS,
  ...SERVER_FLAGS,
  "max-file-size": { type: "string" },
  interval: { type: "string" },
  debounce: { type: "string" },
  settle: { type: "string" },
  listen: { type: "string" },
  "dry-run": { type: "boolean" },
  concurrency: { type: "string" },
} as const;

/** Backoff after failed reconciles: 1 s doubling to at most 60 s, with jitter (SPEC §6). */
const BACKOFF = { baseMs: 1_000, maxMs: 60_000, jitter: 0.2 };

export async function run(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const { values, positionals } = parseFlags("watch", args, FLAGS);
  if (positionals.length > 0) throw new UsageError(`watch takes no arguments, got "${positionals[0]}"`, "name the file with -c FILE");
  const file = configPath(values, io);
  const intervalMs = parseDuration("interval", stringFlag(values, "interval") ?? "60s");
  const debounceMs = parseDuration("debounce", stringFlag(values, "debounce") ?? "300ms");
  const settleMs = parseDuration("settle", stringFlag(values, "settle") ?? "2s");
  if (intervalMs < 1000) throw new UsageError(`--interval: ${intervalMs} ms is too short`, "use at least 1s (the default is 60s)");
  const listenText = stringFlag(values, "listen") ?? "0.0.0.0:9464";
  const listen = parseListenAddress(listenText);
  if (!listen.ok) throw new UsageError(`--listen: ${listen.message}`, "for example --listen 0.0.0.0:9464");
  const concurrency = concurrencyFlag(values);
  const dryRun = values["dry-run"] === true;
  const stopTimeoutMs = resolveTimeout(values);

  const log = daemonLogger(stringFlag(values, "log-level") ?? io.env.LOG_LEVEL, io);
  const metrics = createMetrics();
  // node:http instead of the global fetch: the same requests for a much smaller idle daemon.
  const transport = createNodeTransport();
  // SPEC §8: exactly one environment; its url and credentials are read from the file at start
  // (a later edit of them needs a restart: the daemon keeps one server).
  const environment = selectedEnvironment(values, io);
  if (environment === ALL_ENVIRONMENTS) throw new UsageError("watch keeps exactly one environment, not all", "run one watch per environment, each with --env NAME");
  const envContext = environment === undefined ? undefined : environmentContext(await loadDesired(file, io, values, environment), file);
  const client = createSipClient({
    ...resolveServerOptions(values, io, envContext),
    fetch: transport.fetch,
    onApiCall: (e) => metrics.recordApiCall(e.method, e.status === 0 ? "0" : String(e.status)),
    // A wait before a retry is never silent: a server asking for Retry-After: 60 again and again
    // would otherwise hold a reconcile for minutes with nothing in the logs.
    onRetryWait: (e) => {
      metrics.recordRetryWait(e.method, e.delayMs / 1000);
      log.warn(
        { event: "retry-wait", method: e.method, attempt: e.attempt, delayMs: e.delayMs, ...(e.retryAfterMs === undefined ? {} : { retryAfterMs: e.retryAfterMs }), code: e.code, status: e.status },
        `${e.method} failed (${e.code}); retrying in ${e.delayMs} ms${e.retryAfterMs === undefined ? "" : " (the server's Retry-After)"}`,
      );
    },
  });
  let readiness: ReadinessState = INITIAL_READINESS;

  const http = await serveHttp(
    createHttpHandler({ readiness: () => checkReadiness(readiness), metrics: () => metrics.render() }),
    { ...listen.address, onError: (err) => log.warn({ event: "http-error", err: String(err) }, "HTTP endpoint error") },
  );
  log.info({ event: "start", file, ...(environment === undefined ? {} : { environment }), server: client.server, listen: http.url, intervalMs, debounceMs, settleMs, dryRun }, `watching ${file}; endpoints on ${http.url}`);

  // Aborted on a stop signal: no operation starts after it, a settle wait ends (SPEC §6).
  const stopping = new AbortController();
  let watcher: FileWatcher | undefined;
  const resolveState = trunkResolver(client, log, intervalMs);
  const reconcile = createReconciler({
    file,
    env: io.env,
    resolveState,
    ...(environment === undefined ? {} : { environment }),
    maxFileBytes: maxFileBytes(values, io.env),
    client,
    log,
    metrics,
    dryRun,
    concurrency,
    now: () => performance.now(),
    quietFor: () => watcher?.quietFor(),
    // A save is listed and planned while the debounce waits (prepare()); the reconcile after it
    // uses that list when it is at most two debounce periods old (plus scheduling slack).
    listAheadMs: 2 * debounceMs + 200,
    deleteSettleMs: settleMs,
    signal: stopping.signal,
    onConfig: (problem) => {
      readiness = recordConfig(readiness, problem);
    },
    onFighting: (rules) => {
      readiness = recordFighting(readiness, rules);
      metrics.setFighting(rules.length);
    },
  });

  const daemon = runDaemon({
    reconcile: async (trigger) => {
      log.debug({ event: "reconcile-start", trigger }, "reconcile started");
      return reconcile(trigger);
    },
    subscribe: (onFileChange) => {
      watcher = watchFile(file, {
        debounceMs,
        // Parse the saved file while the debounce waits; the reconcile reuses it for the same bytes.
        onEvent: () => reconcile.prepare(),
        onChange: () => {
          log.debug({ event: "file-changed", file }, "file changed");
          onFileChange();
        },
        onError: (err) => log.warn({ event: "watch-error", err: String(err) }, "file watcher error"),
        onDirectory: (change) => {
          if (change.kind === "gone") log.warn({ event: "directory-gone", dir: change.dir }, `the watched directory ${change.dir} is gone; watching for it to come back`);
          else log.info({ event: "directory-replaced", dir: change.dir, realPath: change.realPath }, `the watched directory ${change.dir} is another directory now (${change.realPath}); watching it`);
        },
      });
      return watcher;
    },
    intervalMs,
    jitter: 0.1,
    backoff: BACKOFF,
    random: Math.random,
    setTimer: systemTimer,
    now: () => performance.now(),
    stopTimeoutMs,
    onOutcome: (outcome, trigger, durationMs) => {
      readiness = recordOutcome(readiness, outcome);
      metrics.recordReconcile(outcome.result, durationMs / 1000);
      if (outcome.result === "success" || outcome.result === "noop" || outcome.result === "invalid" || outcome.result === "dry-run") metrics.markSuccess(Date.now() / 1000);
      const fields = { event: "reconcile", trigger, result: outcome.result, durationMs: Math.round(durationMs), ...(outcome.detail ? { detail: outcome.detail } : {}) };
      const bad = outcome.result === "error" || outcome.result === "refused" || outcome.result === "invalid-config" || outcome.result === "invalid";
      if (bad) log.warn(fields, `reconcile ${outcome.result}`);
      else log.info(fields, `reconcile ${outcome.result}`);
      collectAfterRun();
    },
    onScheduled: (next) => log.debug({ event: "scheduled", ...next }, `next reconcile in ${next.delayMs} ms`),
    onError: (err) => log.error({ event: "internal-error", err: err instanceof Error ? err.message : String(err) }, "unexpected error in the daemon loop"),
  });

  // Signals (SPEC §6). Graceful stop on SIGTERM, SIGINT and SIGQUIT: stop watching and timers,
  // start no new operation, let the ones in flight finish (at most --timeout, never re-sent),
  // close the HTTP server, log `stopped` last, exit 0. SIGQUIT stops too (nginx's "graceful
  // quit"; Node's default would be an abrupt exit). SIGHUP reconciles now. SIGUSR1 and SIGUSR2
  // are logged and ignored: a handler for SIGUSR1 is also what keeps Node from opening its
  // inspector (debugger) port on it. The handlers stay installed until the process ends, so a
  // repeated signal is logged rather than killing the process mid-stop.
  await new Promise<void>((resolve) => {
    let stopRequested = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopRequested) {
        log.info({ event: "signal-ignored", signal, reason: "already stopping" }, `received ${signal}; already stopping`);
        return;
      }
      stopRequested = true;
      log.info({ event: "stopping", signal }, `received ${signal}; stopping`);
      stopping.abort();
      void (async () => {
        const result = await daemon.stop();
        transport.close();
        await http.close();
        log.info({ event: "stopped", timedOut: result.timedOut }, result.timedOut ? "stopped; the run in flight did not finish in time" : "stopped");
        log.flush();
        // `stopped` is the last line: whatever is still in flight after --timeout ends silently
        // (its outcome is unknown; the next run's list decides), and the process exits now.
        log.level = "silent";
        if (result.timedOut) setTimeout(() => process.exit(EXIT.ok), 200).unref();
        resolve();
      })();
    };
    const reload = (signal: NodeJS.Signals): void => {
      if (stopRequested) return;
      log.info({ event: "reload", signal }, `received ${signal}; reading ${file} again now`);
      daemon.reload();
    };
    const ignore = (signal: NodeJS.Signals): void => {
      log.info({ event: "signal-ignored", signal }, `received ${signal}; ignored (SIGTERM or SIGINT stops the daemon, SIGHUP re-reads the file)`);
    };
    for (const sig of ["SIGTERM", "SIGINT", "SIGQUIT"] as const) process.on(sig, stop);
    process.on("SIGHUP", reload);
    for (const sig of ["SIGUSR1", "SIGUSR2"] as const) process.on(sig, ignore);
  });
  return EXIT.ok;
}


/**
 * SPEC §8 in the daemon: trunk names resolved before every plan, the inbound-trunk list kept for
 * one interval (a file edit that names a trunk the kept list lacks lists again at once). The list
 * holds IDs and names only; a failed list is never kept. Unresolvable names fail the run.
 */
function trunkResolver(client: HttpSipClient, log: Logger, intervalMs: number): (state: DesiredState) => Promise<DesiredState> {
  let kept: { readonly at: number; readonly listing: TrunkListing } | undefined;
  /** Keys (warningKey) of the warnings logged so far: each is logged once. */
  const warned = new Set<number>();
  const list = async (state: DesiredState) => {
    const listing = await listTrunksFor(state, client);
    kept = listing === undefined || !Array.isArray(listing) ? undefined : { at: performance.now(), listing };
    return listing;
  };
  return async (state) => {
    if (!needsTrunkList(state)) return state;
    const fresh = kept === undefined || performance.now() - kept.at > intervalMs;
    let resolution = resolveTrunkNames(state, (fresh ? await list(state) : kept?.listing) ?? []);
    if (resolution.diagnostics.length > 0 && !fresh) resolution = resolveTrunkNames(state, (await list(state)) ?? []);
    const news = resolution.warnings.filter((w) => {
      const key = warningKey(w);
      if (warned.has(key)) return false;
      warned.add(key);
      return true;
    });
    for (const w of news.slice(0, WARNINGS_ONE_BY_ONE)) log.warn({ event: "config-warning", message: w }, w);
    if (news.length > WARNINGS_ONE_BY_ONE) {
      const more = news.length - WARNINGS_ONE_BY_ONE;
      const message = `${more} more trunk warning(s) like the ones above (each is logged once; plan lists them all)`;
      log.warn({ event: "config-warning", message, more }, message);
    }
    if (resolution.diagnostics.length > 0) {
      for (const d of resolution.diagnostics) log.error({ event: "config-error", file: d.file, line: d.line, column: d.column, code: d.code, message: d.message }, `${d.file}:${d.line}:${d.column}: ${d.message}`);
      const first = resolution.diagnostics[0];
      throw new AppError("trunk-names", `${resolution.diagnostics.length} trunk name problem(s)${first === undefined ? "" : `; first at line ${first.line}: ${first.message}`}`, { hint: "nothing was applied" });
    }
    return resolution.state;
  };
}

/**
 * New trunk warnings logged one by one per run; the rest are counted in one more line. A file of
 * 100,000 rules naming trunk IDs the server does not list logged 100,000 lines at start, and the
 * daemon then idled about 130 MB larger (V8 heap after a full collection: 436 MB, now 304 MB).
 */
const WARNINGS_ONE_BY_ONE = 20;

/**
 * A 53-bit key of a warning's text (two 32-bit FNV-1a hashes with different offsets): the set of
 * warnings already logged holds numbers, not the texts (100,000 of them at 100,000 rules).
 */
export function warningKey(text: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x5bd1e995) >>> 0;
  }
  return (a >>> 0) * 0x200000 + (b & 0x1fffff);
}

/**
 * After a reconcile the daemon idles holding only what it keeps (the desired state and its view of
 * the server), while the heap still holds the garbage of that run: at 100,000 rules several
 * hundred MB of it (the file's text and parse, the list body, the plan). V8 collects it only when
 * it needs room, so the process stays that large. With `--expose-gc` (the image's NODE_OPTIONS),
 * one full collection right after each run gives it back; without the flag nothing happens.
 */
function collectAfterRun(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== "function") return;
  setImmediate(() => {
    // A compacting collection: a plain one frees the garbage but leaves the old generation's
    // pages half full, and V8 gives them back only when its memory reducer runs, about 8-15 s
    // later (at 100,000 rules: 445 MB resident until then, 345 MB after; compacted: 345 MB at
    // once). Only for this collection: compacting every full collection slowed the runs by 8 %.
    setFlagsFromString("--compact-on-every-full-gc");
    try {
      gc();
    } finally {
      setFlagsFromString("--no-compact-on-every-full-gc");
    }
  });
}

/** JSON lines on stdout; a person at a terminal gets the same records, one readable line each. */
function daemonLogger(levelText: string | undefined, io: CliIo): Logger {
  const level = parseLogLevel(levelText);
  const out = { write: (s: string) => io.stdout.write(s) };
  return createLogger({ level, destination: io.stdoutIsTTY && !io.env.LOG_FORMAT?.startsWith("json") ? prettyDestination(out) : out });
}

// Process wiring for `watch` (SPEC §6): the daemon. Wires the file watcher, the reconciler, the
// loop, metrics, the HTTP endpoints and the signals together; the logic lives in src/daemon.
import {
  INITIAL_READINESS,
  checkReadiness,
  createHttpHandler,
  createMetrics,
  createReconciler,
  parseListenAddress,
  recordConfig,
  recordOutcome,
  runDaemon,
  serveHttp,
  systemTimer,
  watchFile,
  type FileWatcher,
  type ReadinessState,
} from "../../daemon/index.js";
import { createNodeTransport, createSipClient } from "../../livekit/index.js";
import { EXIT, UsageError, type ExitCode } from "../../model/index.js";
import { createLogger, parseLogLevel, prettyDestination, type Logger } from "../../log.js";
import { parseDuration } from "../duration.js";
import { COMMON_FLAGS, SERVER_FLAGS, concurrencyFlag, configPath, parseFlags, stringFlag } from "../flags.js";
import type { CliIo } from "../io.js";
import { resolveServerOptions, resolveTimeout } from "../server-options.js";

export const help = `Usage: sip-dispatch-sync watch [flags]

Keep the server's dispatch rules equal to the file: reconcile at start, on every change of the
file (its directory is watched, so editor saves and Kubernetes ConfigMap updates are seen) and
every --interval to correct drift made by hand. An invalid edit is logged and ignored: the last
good file stays in force. Safety limits are never forced. Runs until SIGTERM or SIGINT, then 0.

Flags:
  -c, --config FILE        rules file (default $DISPATCH_RULES_FILE, else ./dispatch-rules.yaml)
      --interval DURATION  resync period, ±10 % jitter (default 60s)
      --debounce DURATION  quiet time after a file event before reconciling (default 300ms)
      --listen HOST:PORT   /healthz, /readyz, /metrics (default 0.0.0.0:9464; port 0 picks one)
      --dry-run            plan and report, never write to the server
      --concurrency N      operations in flight at once (default 4)
      --url, --api-key, --api-secret, --timeout, --log-level   as for plan
      --max-answer-bytes SIZE, --max-list-pages N              as for plan (list bounds)

Logs are JSON lines on stdout (pretty on a terminal): a "plan" event before every apply, one
"operation" event per server write, one "reconcile" event per run.
`;

const FLAGS = {
  ...COMMON_FLAGS,
  ...SERVER_FLAGS,
  interval: { type: "string" },
  debounce: { type: "string" },
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
  const client = createSipClient({
    ...resolveServerOptions(values, io),
    fetch: transport.fetch,
    onApiCall: (e) => metrics.recordApiCall(e.method, e.status === 0 ? "0" : String(e.status)),
  });
  let readiness: ReadinessState = INITIAL_READINESS;

  const http = await serveHttp(
    createHttpHandler({ readiness: () => checkReadiness(readiness), metrics: () => metrics.render() }),
    { ...listen.address, onError: (err) => log.warn({ event: "http-error", err: String(err) }, "HTTP endpoint error") },
  );
  log.info({ event: "start", file, server: client.server, listen: http.url, intervalMs, debounceMs, dryRun }, `watching ${file}; endpoints on ${http.url}`);

  let watcher: FileWatcher | undefined;
  const reconcile = createReconciler({
    file,
    env: io.env,
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
    onConfig: (problem) => {
      readiness = recordConfig(readiness, problem);
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
      if (outcome.result === "success" || outcome.result === "noop" || outcome.result === "dry-run") metrics.markSuccess(Date.now() / 1000);
      const fields = { event: "reconcile", trigger, result: outcome.result, durationMs: Math.round(durationMs), ...(outcome.detail ? { detail: outcome.detail } : {}) };
      const bad = outcome.result === "error" || outcome.result === "refused" || outcome.result === "invalid-config";
      if (bad) log.warn(fields, `reconcile ${outcome.result}`);
      else log.info(fields, `reconcile ${outcome.result}`);
    },
    onScheduled: (next) => log.debug({ event: "scheduled", ...next }, `next reconcile in ${next.delayMs} ms`),
    onError: (err) => log.error({ event: "internal-error", err: err instanceof Error ? err.message : String(err) }, "unexpected error in the daemon loop"),
  });

  // Graceful stop (SPEC §6): stop watching and timers, let the operation in flight finish (at most
  // --timeout), close the HTTP server, flush the logs, exit 0.
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off("SIGTERM", stop);
      process.off("SIGINT", stop);
      log.info({ event: "stopping", signal }, `received ${signal}; stopping`);
      void (async () => {
        const result = await daemon.stop();
        transport.close();
        await http.close();
        log.info({ event: "stopped", timedOut: result.timedOut }, result.timedOut ? "stopped; the run in flight did not finish in time" : "stopped");
        log.flush();
        resolve();
      })();
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
  return EXIT.ok;
}


/** JSON lines on stdout; a person at a terminal gets the same records, one readable line each. */
function daemonLogger(levelText: string | undefined, io: CliIo): Logger {
  const level = parseLogLevel(levelText);
  const out = { write: (s: string) => io.stdout.write(s) };
  return createLogger({ level, destination: io.stdoutIsTTY && !io.env.LOG_FORMAT?.startsWith("json") ? prettyDestination(out) : out });
}

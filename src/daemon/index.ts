// Re-exports only. The daemon's public surface: the loop, the file watcher, stable reads, HTTP and metrics.
export {
  runDaemon,
  nextStepAfter,
  systemTimer,
  TRIGGERS,
  RECONCILE_RESULTS,
  type Trigger,
  type ReconcileResult,
  type ReconcileOutcome,
  type DaemonDeps,
  type Daemon,
  type ScheduledRun,
  type StopResult,
  type SetTimer,
  type TimerHandle,
} from "./run-daemon.js";
export { backoffDelay, jitteredDelay, DEFAULT_BACKOFF_JITTER, type BackoffPolicy } from "./backoff.js";
export { watchFile, createDebouncer, isRelevantPath, type FileWatcher, type WatchFileOptions, type Debouncer, type DirectoryChange } from "./watch-file.js";
export { readStableFile, readGuardedFile, GuardedReadError, type StableRead, type StableReadFailure, type ReadStableOptions } from "./read-stable.js";
export { createMetrics, METRIC_NAMES, RULE_STATES, type DaemonMetrics, type MetricsOptions, type MetricsText, type RuleState } from "./metrics.js";
export {
  createHttpHandler,
  checkReadiness,
  recordOutcome,
  recordConfig,
  recordFighting,
  INITIAL_READINESS,
  type ReadinessState,
  type Readiness,
  type HttpHandler,
  type HttpHandlerDeps,
  type HttpRequest,
  type HttpResponse,
} from "./http-handler.js";
export { serveHttp, parseListenAddress, type HttpServer, type ListenAddress } from "./serve-http.js";
export { createReconciler, type Reconcile, type ReconcilerDeps, type ReconcileLogger } from "./reconcile-once.js";
export { waitForSettledFile, type FileStamp, type SettleDeps, type SettleResult } from "./settle.js";
export { createFightTracker, FLIPS_BEFORE_FIGHTING, type FightTracker, type FightCheck } from "./fighting.js";
export { daemonRefusalHint, driftedRules, driftCounts, type DriftedRule } from "./events.js";
export { createServerCache, idsToConfirm, staleIds, sameRule, shareEqual, recordingClient, withFreshBases, type ServerCache } from "./server-cache.js";

// The daemon's Prometheus instruments on a registry of its own (no I/O; prom-client reads process
// stats for the default metrics). Names are part of the contract (SPEC §6): keep them exactly.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { RECONCILE_RESULTS, type ReconcileResult } from "./run-daemon.js";

export const METRIC_NAMES = {
  reconciles: "sip_dispatch_sync_reconciles_total",
  reconcileDuration: "sip_dispatch_sync_reconcile_duration_seconds",
  apiRequests: "sip_dispatch_sync_api_requests_total",
  rules: "sip_dispatch_sync_rules",
  configValid: "sip_dispatch_sync_config_valid",
  lastSuccess: "sip_dispatch_sync_last_success_timestamp_seconds",
  drift: "sip_dispatch_sync_drift_total",
  fighting: "sip_dispatch_sync_fighting_rules",
  retryWaits: "sip_dispatch_sync_retry_wait_seconds_total",
} as const;

export const RULE_STATES = ["managed", "unmanaged", "drifted"] as const;
export type RuleState = (typeof RULE_STATES)[number];

/** A reconcile lists, plans and applies a handful of rules: most take well under a second. */
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export interface MetricsText {
  readonly contentType: string;
  readonly body: string;
}

export interface DaemonMetrics {
  readonly registry: Registry;
  recordReconcile(result: ReconcileResult, seconds: number): void;
  /** `code`: the HTTP status as text ("200", "503"), or "0" when no response arrived. */
  recordApiCall(method: string, code: string): void;
  setRules(counts: Readonly<Record<RuleState, number>>): void;
  setConfigValid(valid: boolean): void;
  /** Wall-clock time of the last successful reconcile, in seconds since the epoch. */
  markSuccess(nowSeconds: number): void;
  /** Rules an interval resync found changed on the server (drift), by the action that corrects them. */
  recordDrift(counts: Readonly<Record<"create" | "update" | "delete", number>>): void;
  /** Rules left alone because another writer keeps reverting them. */
  setFighting(rules: number): void;
  /** Time spent waiting before a retried API call (backoff or Retry-After). */
  recordRetryWait(method: string, seconds: number): void;
  /** The Prometheus text exposition of everything in the registry. */
  render(): Promise<MetricsText>;
}

export interface MetricsOptions {
  /** Node process metrics (CPU, memory, event loop lag, GC); default true. */
  readonly defaultMetrics?: boolean;
}

export function createMetrics(options: MetricsOptions = {}): DaemonMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  const reconciles = new Counter({
    name: METRIC_NAMES.reconciles,
    help: "Reconciles run, by result (success, noop, invalid, error, refused, invalid-config, dry-run).",
    labelNames: ["result"] as const,
    registers: [registry],
  });
  // Every result is exported from the start, so rate() and alerts see a 0 instead of no series.
  for (const result of RECONCILE_RESULTS) reconciles.inc({ result }, 0);

  const duration = new Histogram({
    name: METRIC_NAMES.reconcileDuration,
    help: "Duration of one reconcile (read file, list, plan, apply), in seconds.",
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const apiRequests = new Counter({
    name: METRIC_NAMES.apiRequests,
    help: "Calls to the LiveKit SIP API, by method and HTTP status code (0 = no response).",
    labelNames: ["method", "code"] as const,
    registers: [registry],
  });
  const rules = new Gauge({
    name: METRIC_NAMES.rules,
    help: "Dispatch rules on the server at the last reconcile: managed, unmanaged, drifted (managed and differing from the file).",
    labelNames: ["state"] as const,
    registers: [registry],
  });
  for (const state of RULE_STATES) rules.set({ state }, 0);
  const configValid = new Gauge({
    name: METRIC_NAMES.configValid,
    help: "1 when the rules file last read was valid, 0 when it was missing or invalid (the last good file stays in force).",
    registers: [registry],
  });
  const lastSuccess = new Gauge({
    name: METRIC_NAMES.lastSuccess,
    help: "Unix time of the last successful reconcile; 0 before the first.",
    registers: [registry],
  });

  const drift = new Counter({
    name: METRIC_NAMES.drift,
    help: "Rules found changed on the server by someone else on an interval resync (drift), by the action that corrects them.",
    labelNames: ["action"] as const,
    registers: [registry],
  });
  for (const action of ["create", "update", "delete"]) drift.inc({ action }, 0);
  const fighting = new Gauge({
    name: METRIC_NAMES.fighting,
    help: "Rules this daemon stopped writing because another writer reverted them twice in a row; 0 when none.",
    registers: [registry],
  });
  const retryWaits = new Counter({
    name: METRIC_NAMES.retryWaits,
    help: "Seconds spent waiting before retrying an API call (backoff or the server's Retry-After), by method.",
    labelNames: ["method"] as const,
    registers: [registry],
  });

  return {
    registry,
    recordDrift(counts) {
      for (const [action, n] of Object.entries(counts)) if (n > 0) drift.inc({ action }, n);
    },
    setFighting(rules) {
      fighting.set(rules);
    },
    recordRetryWait(method, seconds) {
      if (Number.isFinite(seconds) && seconds >= 0) retryWaits.inc({ method }, seconds);
    },
    recordReconcile(result, seconds) {
      reconciles.inc({ result });
      if (Number.isFinite(seconds) && seconds >= 0) duration.observe(seconds);
    },
    recordApiCall(method, code) {
      apiRequests.inc({ method, code });
    },
    setRules(counts) {
      for (const state of RULE_STATES) rules.set({ state }, counts[state]);
    },
    setConfigValid(valid) {
      configValid.set(valid ? 1 : 0);
    },
    markSuccess(nowSeconds) {
      lastSuccess.set(nowSeconds);
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

// Pure apart from the injected metrics reader. The daemon's HTTP surface as a function from request
// to response (/healthz, /readyz, /metrics; SPEC §6), plus the readiness state it reports.
import { assertNever } from "../model/index.js";
import type { MetricsText } from "./metrics.js";
import type { ReconcileOutcome } from "./run-daemon.js";

/**
 * What /readyz is decided from. Build it with INITIAL_READINESS, recordOutcome and recordConfig.
 *
 * Readiness rule (SPEC §6): ready once a reconcile has succeeded and the last one did not fail.
 * `success`, `noop` and `dry-run` count as succeeded; `error`, `refused` and `invalid-config` as
 * failed. A file that is invalid while the last good file is still in force is *reported* in the
 * ready body (`config.valid: false`) but does not by itself make the daemon unready: the daemon is
 * still doing its job (correcting drift from the last good file). The reconcile should therefore
 * return `invalid-config` only when no desired state could be used at all, and otherwise the
 * result of the run it did from the last good file, calling recordConfig with the problem.
 */
export interface ReadinessState {
  readonly succeededOnce: boolean;
  /** null until the first reconcile finishes. */
  readonly last: ReconcileOutcome | null;
  /** null while the file last read was valid; else one line saying what is wrong with it. */
  readonly configProblem: string | null;
  /** Rules left alone because another writer keeps reverting them (fighting.ts): not ready. */
  readonly fighting: readonly string[];
}

export const INITIAL_READINESS: ReadinessState = { succeededOnce: false, last: null, configProblem: null, fighting: [] };

export function recordFighting(state: ReadinessState, rules: readonly string[]): ReadinessState {
  return { ...state, fighting: [...rules] };
}

function fightingReason(rules: readonly string[]): string {
  const shown = rules.slice(0, 10).map((r) => `"${r}"`).join(", ");
  return `fighting: another writer keeps reverting ${rules.length === 1 ? "rule" : "rules"} ${shown}${rules.length > 10 ? `, and ${rules.length - 10} more` : ""}; they are left alone until the file changes`;
}

export function recordOutcome(state: ReadinessState, outcome: ReconcileOutcome): ReadinessState {
  return { ...state, last: outcome, succeededOnce: state.succeededOnce || succeeded(outcome) };
}

export function recordConfig(state: ReadinessState, problem: string | null): ReadinessState {
  return { ...state, configProblem: problem };
}

function succeeded(outcome: ReconcileOutcome): boolean {
  switch (outcome.result) {
    case "success":
    case "noop":
    case "invalid":
    case "dry-run":
      return true;
    case "error":
    case "refused":
    case "invalid-config":
      return false;
    default:
      return assertNever(outcome.result, "reconcile result");
  }
}

export type Readiness =
  | { readonly ready: true; readonly configProblem: string | null }
  | { readonly ready: false; readonly reason: string };

export function checkReadiness(state: ReadinessState): Readiness {
  const last = state.last;
  if (last === null) return { ready: false, reason: "no reconcile has finished yet" };
  const detail = last.detail === undefined || last.detail === "" ? "" : `: ${last.detail}`;
  switch (last.result) {
    case "error":
      return { ready: false, reason: `last reconcile failed${detail}` };
    case "refused":
      return { ready: false, reason: `last reconcile refused by a safety limit${detail}` };
    case "invalid-config":
      return { ready: false, reason: `config invalid${detail}` };
    case "success":
    case "noop":
    case "invalid":
    case "dry-run":
      if (state.fighting.length > 0) return { ready: false, reason: fightingReason(state.fighting) };
      return { ready: true, configProblem: state.configProblem };
    default:
      return assertNever(last.result, "reconcile result");
  }
}

export interface HttpRequest {
  readonly method: string;
  readonly url: string;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export type HttpHandler = (req: HttpRequest) => Promise<HttpResponse>;

export interface HttpHandlerDeps {
  readonly readiness: () => Readiness;
  readonly metrics: () => Promise<MetricsText>;
}

const ROUTES = ["/healthz", "/readyz", "/metrics"] as const;
type Route = (typeof ROUTES)[number];

function json(status: number, value: unknown, extra: Record<string, string> = {}): HttpResponse {
  return {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...extra },
    body: `${JSON.stringify(value)}\n`,
  };
}

function routeOf(url: string): Route | undefined {
  const path = url.split(/[?#]/, 1)[0] ?? "";
  return (ROUTES as readonly string[]).includes(path) ? (path as Route) : undefined;
}

/** GET and HEAD (405 with `Allow: GET, HEAD` otherwise); unknown paths are 404; never throws. */
export function createHttpHandler(deps: HttpHandlerDeps): HttpHandler {
  return async (req) => {
    const route = routeOf(req.url);
    if (route === undefined) return json(404, { error: "not found", paths: ROUTES });
    // HEAD answers as GET does; the server sends no body for it (node:http drops it).
    if (req.method !== "GET" && req.method !== "HEAD") return json(405, { error: "method not allowed" }, { allow: "GET, HEAD" });
    try {
      switch (route) {
        case "/healthz":
          return json(200, { status: "ok" });
        case "/readyz": {
          const r = deps.readiness();
          if (!r.ready) return json(503, { ready: false, reason: r.reason });
          return json(200, r.configProblem === null ? { ready: true } : { ready: true, config: { valid: false, problem: r.configProblem } });
        }
        case "/metrics": {
          const m = await deps.metrics();
          return { status: 200, headers: { "content-type": m.contentType, "cache-control": "no-store" }, body: m.body };
        }
        default:
          return assertNever(route, "route");
      }
    } catch {
      // The cause is a bug in a reader; the scraper or probe only needs to know it failed.
      return json(500, { error: "internal error" });
    }
  };
}

// Pure. Injected trouble for tests: per-method failure and drop queues and latency. Only the
// emulator's test control touches this; the server logic never sees it.
import type { SipMethod } from "../model/index.js";

export interface EmulatorFault {
  readonly status: number;
  readonly code?: string;
  readonly msg?: string;
  /** Sent as the Retry-After header value. */
  readonly retryAfter?: string;
  /** Raw body instead of a Twirp JSON error. */
  readonly body?: string;
  readonly contentType?: string;
  /** Send the body gzip-compressed with `Content-Encoding: gzip` (a test of decompressed-size bounds). */
  readonly gzip?: boolean;
}

export type FaultTiming = "before" | "after-commit";
interface Pending {
  count: number;
  readonly fault: EmulatorFault;
}

export class FaultPlan {
  private readonly failures = new Map<string, Pending[]>();
  private readonly drops = new Map<SipMethod, number>();
  private readonly latency = new Map<string, number>();
  private defaultLatency = 0;

  failNext(method: SipMethod, count: number, fault: EmulatorFault, timing: FaultTiming): void {
    if (count <= 0) return;
    const key = `${timing}:${method}`;
    const list = this.failures.get(key) ?? [];
    list.push({ count, fault });
    this.failures.set(key, list);
  }

  /** Consumes one pending failure for the method, if any. */
  takeFailure(method: SipMethod, timing: FaultTiming): EmulatorFault | undefined {
    const list = this.failures.get(`${timing}:${method}`);
    const head = list?.[0];
    if (list === undefined || head === undefined) return undefined;
    head.count -= 1;
    if (head.count <= 0) list.shift();
    return head.fault;
  }

  dropNext(method: SipMethod, count: number): void {
    this.drops.set(method, (this.drops.get(method) ?? 0) + Math.max(0, count));
  }

  takeDrop(method: SipMethod): boolean {
    const n = this.drops.get(method) ?? 0;
    if (n <= 0) return false;
    this.drops.set(method, n - 1);
    return true;
  }

  setLatency(ms: number, method?: string): void {
    const v = Math.max(0, ms);
    if (method === undefined) this.defaultLatency = v;
    else this.latency.set(method, v);
  }

  latencyFor(method: string | undefined): number {
    return (method === undefined ? undefined : this.latency.get(method)) ?? this.defaultLatency;
  }

  clear(): void {
    this.failures.clear();
    this.drops.clear();
    this.latency.clear();
    this.defaultLatency = 0;
  }
}

const CODE_BY_STATUS: Readonly<Record<number, string>> = {
  400: "invalid_argument", 401: "unauthenticated", 403: "permission_denied", 404: "not_found", 408: "deadline_exceeded",
  409: "aborted", 412: "failed_precondition", 429: "resource_exhausted", 500: "internal", 501: "unimplemented", 503: "unavailable",
};

/** The status, headers and body a fault is answered with. */
export function renderFault(f: EmulatorFault): { status: number; contentType: string; body: string; headers: Record<string, string> } {
  const headers: Record<string, string> = f.retryAfter === undefined ? {} : { "retry-after": f.retryAfter };
  if (f.gzip === true) headers["content-encoding"] = "gzip";
  if (f.body !== undefined) return { status: f.status, contentType: f.contentType ?? "text/plain; charset=utf-8", body: f.body, headers };
  const code = f.code ?? CODE_BY_STATUS[f.status] ?? "unknown";
  return {
    status: f.status,
    contentType: f.contentType ?? "application/json",
    body: JSON.stringify({ code, msg: f.msg ?? `injected fault (${f.status})` }),
    headers,
  };
}

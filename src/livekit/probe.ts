// I/O (HTTP through the injected transport). One read-only ListSIPDispatchRule, kept raw for
// `doctor`: the status, whether the answer is Twirp's, the server's Date header, and the listed
// items as JSON (their keys give the version floor, server-version.ts). No retries: doctor reports
// what one request sees. Never a write method (SPEC §4: read-only commands send none).
import { signAccessToken } from "./access-token.js";
import { resolveBaseUrl } from "./base-url.js";
import type { Transport } from "./http-transport.js";

export interface ListProbe {
  /** HTTP status; 0 when no answer arrived. */
  readonly status: number;
  /** The answer is Twirp's: JSON with `items` (2xx) or a Twirp error `{code, msg}`. */
  readonly twirp: boolean;
  /** Twirp error code of a non-2xx Twirp answer. */
  readonly code?: string;
  readonly message?: string;
  /** The server's Date header in ms since the epoch, and the local time halfway through the request. */
  readonly serverDateMs?: number;
  readonly localMidMs: number;
  readonly roundTripMs: number;
  readonly items?: readonly unknown[];
  /** Why no answer arrived (network error, timeout). */
  readonly failure?: string;
}

export interface ProbeOptions {
  readonly url: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly timeoutMs: number;
  readonly fetch: Transport;
  readonly now?: () => number;
  /** page.limit of the one List request; the inference needs a few rules only. */
  readonly limit?: number;
}

export async function probeList(o: ProbeOptions): Promise<ListProbe> {
  const now = o.now ?? Date.now;
  const server = resolveBaseUrl(o.url);
  const token = signAccessToken({ apiKey: o.apiKey, apiSecret: o.apiSecret, nowMs: now(), ttlSeconds: 600 });
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), o.timeoutMs);
  const started = now();
  try {
    const res = await o.fetch(`${server}/twirp/livekit.SIP/ListSIPDispatchRule`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", Authorization: `Bearer ${token}`, "User-Agent": "sip-dispatch-sync doctor" },
      body: JSON.stringify({ page: { limit: o.limit ?? 50 } }),
      signal: controller.signal,
      redirect: "manual",
    });
    const text = await res.text();
    const ended = now();
    const date = Date.parse(res.headers.get("date") ?? "");
    const base = {
      status: res.status,
      localMidMs: (started + ended) / 2,
      roundTripMs: ended - started,
      ...(Number.isNaN(date) ? {} : { serverDateMs: date }),
    };
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      // LiveKit's API-key middleware answers before Twirp, in plain text (livekit-sip-api.md §4.2, §7).
      if (res.status === 401 && /^invalid (authorization|API key)/.test(text)) {
        return { ...base, twirp: true, code: "unauthenticated", message: text.trim().slice(0, 200) };
      }
      return { ...base, twirp: false, message: `not JSON (Content-Type ${JSON.stringify(res.headers.get("content-type") ?? "")}, ${text.length} bytes)` };
    }
    const obj = typeof json === "object" && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
    if (res.status >= 200 && res.status < 300) {
      const items = obj?.items;
      if (items === undefined || items === null) return { ...base, twirp: obj !== undefined, items: [] };
      return Array.isArray(items) ? { ...base, twirp: true, items } : { ...base, twirp: false, message: "`items` is not a list" };
    }
    if (obj !== undefined && typeof obj.code === "string") return { ...base, twirp: true, code: obj.code, message: typeof obj.msg === "string" ? obj.msg : "" };
    return { ...base, twirp: false, message: `HTTP ${res.status} without a Twirp error body` };
  } catch (err) {
    const ended = now();
    const why = controller.signal.aborted ? `no answer within ${o.timeoutMs} ms` : err instanceof Error ? ((err as NodeJS.ErrnoException).code ?? err.message) : String(err);
    return { status: 0, twirp: false, localMidMs: (started + ended) / 2, roundTripMs: ended - started, failure: why };
  } finally {
    clearTimeout(timer);
  }
}

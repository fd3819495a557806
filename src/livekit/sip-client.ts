// I/O (HTTP through the injected fetch). The SipClient: the four Twirp calls of the LiveKit SIP
// API, with token, per-request timeout, retries and paging; every failure is a typed ApiError.
import type { Transport, TransportResponse } from "./http-transport.js";
import {
  ApiError,
  UsageError,
  type RemoteRule,
  type RuleSpec,
  type SipClient,
  type SipMethod,
} from "../model/index.js";
import { createTokenSource } from "./access-token.js";
import { resolveBaseUrl } from "./base-url.js";
import { DEFAULT_RETRY, parseRetryAfter, withRetry, type RetryPolicy, type RetryWait } from "./retry.js";
import { badResponse, errorFromFailure, errorFromResponse, type CallContext } from "./twirp-error.js";
import { WireShapeError, decodeListItems, decodeRuleInfoAt, encodeLegacyCreate, encodeRuleInfo } from "./wire.js";

/** One HTTP attempt, for metrics and per-operation logs. */
export interface ApiCallEvent {
  readonly method: SipMethod;
  /** "ok", or the Twirp / API error code. */
  readonly code: string;
  readonly status: number;
  readonly durationMs: number;
  /** 1 for the first attempt of a call. */
  readonly attempt: number;
}

export interface SipClientOptions {
  /** LIVEKIT_URL as given (ws/wss/http/https). */
  readonly url: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  /** Per request (per attempt). */
  readonly timeoutMs: number;
  /** The HTTP transport: the global fetch by default; the CLI passes createNodeTransport's (http-transport.ts). */
  readonly fetch?: Transport;
  readonly now?: () => number;
  /** Waits between retries; should end early when `signal` aborts (the default does). */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random?: () => number;
  readonly retry?: RetryPolicy;
  /** page.limit sent with every List call; default 500. */
  readonly pageLimit?: number;
  readonly onApiCall?: (e: ApiCallEvent) => void;
  /** Before every wait for a retry (backoff or Retry-After), e.g. to log it: a long wait is never silent. */
  readonly onRetryWait?: (e: RetryWaitEvent) => void;
}

/** A wait before retrying a call. */
export interface RetryWaitEvent {
  readonly method: SipMethod;
  /** The attempt that failed (1 for the first). */
  readonly attempt: number;
  readonly delayMs: number;
  /** The server's Retry-After, when it sent one. */
  readonly retryAfterMs?: number;
  /** The Twirp / API error code of the failed attempt. */
  readonly code: string;
  readonly status: number;
}

const TWIRP_PREFIX = "/twirp/livekit.SIP/";
const DEFAULT_PAGE_LIMIT = 500;
/** A guard against a server that keeps inventing IDs; far beyond any real rule count. */
const MAX_PAGES = 10_000;

/** Validates the options (UsageError with a hint) and returns a client; no request is made. */
export function createSipClient(options: SipClientOptions): SipClient {
  const server = resolveBaseUrl(options.url);
  if (options.apiKey === "") throw new UsageError("the API key is empty", "set LIVEKIT_API_KEY or pass --api-key");
  if (options.apiSecret === "") throw new UsageError("the API secret is empty", "set LIVEKIT_API_SECRET (or LIVEKIT_API_SECRET_FILE)");
  if (!(options.timeoutMs > 0)) throw new UsageError(`the request timeout must be positive, got ${options.timeoutMs} ms`, "pass e.g. --timeout 10s");
  const doFetch: Transport = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? abortableSleep;
  const random = options.random ?? Math.random;
  const policy = options.retry ?? DEFAULT_RETRY;
  const pageLimit = Math.max(1, Math.floor(options.pageLimit ?? DEFAULT_PAGE_LIMIT));
  const tokens = createTokenSource({ apiKey: options.apiKey, apiSecret: options.apiSecret, now });

  const contextFor = (method: SipMethod, token: string | undefined): CallContext => ({
    method,
    server,
    timeoutMs: options.timeoutMs,
    secrets: token === undefined ? [options.apiSecret] : [options.apiSecret, token],
  });

  /** One HTTP attempt: resolves with the parsed JSON object of a 2xx answer, else throws ApiError. */
  async function attemptOnce(method: SipMethod, body: unknown, attempt: number, signal: AbortSignal | undefined): Promise<Readonly<Record<string, unknown>>> {
    const started = now();
    let status = 0;
    try {
      const token = await tokens.get();
      const ctx = contextFor(method, token);
      const controller = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, options.timeoutMs);
      // The caller's abort ends the request too; it is reported as the signal's reason, not as
      // an API error (so never retried).
      const onAbort = () => controller.abort();
      signal?.addEventListener("abort", onAbort, { once: true });
      try {
        let res: TransportResponse;
        try {
          res = await doFetch(`${server}${TWIRP_PREFIX}${method}`, {
            method: "POST",
            headers: {
              "Content-Type": "application/json",
              Accept: "application/json",
              Authorization: `Bearer ${token}`,
              // livekit-sip-api.md §1: ServerPassTimeout honours this header.
              "X-Twirp-Timeout-Ms": String(options.timeoutMs),
              "User-Agent": "sip-dispatch-sync",
            },
            body: JSON.stringify(body),
            signal: controller.signal,
            // A redirect would replay the POST (and the token) somewhere else; report it instead.
            redirect: "manual",
          });
        } catch (err) {
          signal?.throwIfAborted();
          throw errorFromFailure(ctx, err, timedOut);
        }
        status = res.status;
        let text: string;
        try {
          text = await res.text();
        } catch (err) {
          signal?.throwIfAborted();
          if (timedOut) throw errorFromFailure(ctx, err, true);
          throw badResponse(ctx, res.status, `the answer was cut off (HTTP ${res.status}, connection closed mid-body)`, { transient: true, cause: err });
        }
        const contentType = res.headers.get("content-type");
        if (res.status >= 300 && res.status < 400) {
          const location = res.headers.get("location");
          throw badResponse(ctx, res.status, `HTTP ${res.status} redirect${location ? ` to ${location}` : ""}; requests are not followed`);
        }
        if (res.status < 200 || res.status >= 300) {
          throw errorFromResponse(ctx, { status: res.status, contentType, body: text, retryAfterMs: parseRetryAfter(res.headers.get("retry-after"), now()) });
        }
        if (contentType !== null && !/\bjson\b/i.test(contentType)) {
          throw badResponse(ctx, res.status, `expected a JSON answer, got Content-Type "${contentType}"`);
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          throw badResponse(ctx, res.status, `the answer is not valid JSON (${text.length} bytes${text.length === 0 ? "" : ", truncated or not JSON"})`);
        }
        if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
          throw badResponse(ctx, res.status, "the answer is JSON but not an object");
        }
        options.onApiCall?.({ method, code: "ok", status, durationMs: now() - started, attempt });
        return parsed as Record<string, unknown>;
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      }
    } catch (err) {
      const code = err instanceof ApiError ? err.twirpCode : "unexpected";
      options.onApiCall?.({ method, code, status: err instanceof ApiError ? err.status : status, durationMs: now() - started, attempt });
      throw err;
    }
  }

  const onWait =
    (method: SipMethod) =>
    (w: RetryWait): void =>
      options.onRetryWait?.({ method, attempt: w.attempt, delayMs: w.delayMs, ...(w.retryAfterMs === undefined ? {} : { retryAfterMs: w.retryAfterMs }), code: w.error.twirpCode, status: w.error.status });

  async function call(method: SipMethod, body: unknown, signal?: AbortSignal): Promise<Readonly<Record<string, unknown>>> {
    let attempts = 0;
    try {
      return await withRetry(
        (attempt) => {
          attempts = attempt;
          return attemptOnce(method, body, attempt, signal);
        },
        { policy, sleep, random, onWait: onWait(method), ...(signal === undefined ? {} : { signal }) },
      );
    } catch (err) {
      throw withAttempts(err, attempts);
    }
  }

  /** A shape error in a 2xx body, as the typed bad_response of this call. */
  function decodeOr<T>(method: SipMethod, decode: () => T): T {
    try {
      return decode();
    } catch (err) {
      if (err instanceof WireShapeError) throw badResponse(contextFor(method, undefined), 200, `unexpected answer: ${err.message}`, { cause: err });
      throw err;
    }
  }

  let legacyCreate = false;
  let updateSupport: Promise<boolean> | undefined;

  async function createWith(spec: RuleSpec): Promise<Readonly<Record<string, unknown>>> {
    if (!legacyCreate) {
      try {
        return await call("CreateSIPDispatchRule", { dispatchRule: encodeRuleInfo(spec) });
      } catch (err) {
        if (!isMissingRule(err)) throw err;
        // §6: a server older than v1.9.0 drops the unknown `dispatch_rule` and then finds no rule.
        legacyCreate = true;
      }
    }
    const legacy = encodeLegacyCreate(spec);
    if (legacy.unsupported.length > 0) {
      throw new ApiError({
        method: "CreateSIPDispatchRule",
        twirpCode: "unimplemented",
        status: 400,
        message: `the server is older than v1.9.0 and cannot store ${legacy.unsupported.join(", ")} of rule "${spec.name}"`,
        retryable: false,
        hint: `upgrade livekit-server to v1.9.0 or later (v1.9.11 for numbers, v1.12.0 for media), or remove ${legacy.unsupported.join(", ")} from rule "${spec.name}"`,
      });
    }
    return call("CreateSIPDispatchRule", legacy.body);
  }

  return {
    server,

    async listRules(listOptions?: { readonly signal?: AbortSignal }): Promise<readonly RemoteRule[]> {
      const signal = listOptions?.signal;
      // §5.4: the open-source server returns everything after after_id in one answer; a paging
      // server (Cloud: UNCONFIRMED) caps at limit. Loop until an empty page, or a page with no
      // new IDs (servers before v1.8.4 ignore `page` and repeat everything, §6).
      const byId = new Map<string, RemoteRule>();
      let afterId = "";
      for (let page = 0; page < MAX_PAGES; page += 1) {
        const request = { page: afterId === "" ? { limit: pageLimit } : { afterId, limit: pageLimit } };
        const json = await call("ListSIPDispatchRule", request, signal);
        const rules = decodeOr("ListSIPDispatchRule", () => decodeListItems(json).map((item, i) => decodeRuleInfoAt(item, `items[${i}]`)));
        const fresh = rules.filter((r) => !byId.has(r.id));
        for (const r of fresh) byId.set(r.id, r);
        const last = rules[rules.length - 1];
        if (fresh.length === 0 || last === undefined) {
          return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        }
        afterId = last.id;
      }
      throw badResponse(contextFor("ListSIPDispatchRule", undefined), 200, `paging did not end after ${MAX_PAGES} pages`);
    },

    async createRule(spec: RuleSpec): Promise<RemoteRule> {
      const json = await createWith(spec);
      // A 2xx Create took effect: an unreadable answer is ambiguous, never retried (badResponse).
      return decodeOr("CreateSIPDispatchRule", () => decodeRuleInfoAt(json, "rule"));
    },

    async updateRule(id: string, spec: RuleSpec): Promise<RemoteRule> {
      try {
        const json = await call("UpdateSIPDispatchRule", { sipDispatchRuleId: id, replace: encodeRuleInfo(spec) });
        return decodeOr("UpdateSIPDispatchRule", () => decodeRuleInfoAt(json, "rule"));
      } catch (err) {
        if (isUpdateUnsupported(err)) updateSupport = Promise.resolve(false);
        throw err;
      }
    },

    async deleteRule(id: string): Promise<void> {
      await call("DeleteSIPDispatchRule", { sipDispatchRuleId: id });
    },

    supportsUpdate(): Promise<boolean> {
      if (updateSupport === undefined) {
        const probe = withRetry(async (attempt) => {
          try {
            await attemptOnce("UpdateSIPDispatchRule", {}, attempt, undefined);
            return true;
          } catch (err) {
            const answer = updateProbeAnswer(err);
            if (answer === undefined) throw err;
            return answer;
          }
        }, { policy, sleep, random, onWait: onWait("UpdateSIPDispatchRule") });
        updateSupport = probe;
        // A probe that could not decide (network, 401) is not cached.
        probe.catch(() => {
          if (updateSupport === probe) updateSupport = undefined;
        });
      }
      return updateSupport;
    },
  };
}

/**
 * §6: POST `{}` to UpdateSIPDispatchRule has no side effect. A server with the method rejects it
 * in its handler (400 invalid_argument "rule id must be set"; v1.9.0-v1.9.11 answer 500 with the
 * raw text, §7); an older one answers 404 bad_route "no handler for path". Anything else (network,
 * 401, ...) decides nothing and is thrown.
 */
function updateProbeAnswer(err: unknown): boolean | undefined {
  if (!(err instanceof ApiError)) return undefined;
  if (err.twirpCode === "bad_route") return false;
  if (err.twirpCode === "invalid_argument" || err.twirpCode === "malformed" || /rule id must be set/.test(err.message)) return true;
  return undefined;
}

/** An ApiError bad_route on UpdateSIPDispatchRule: the server has no Update (livekit-sip-api.md §6). */
export function isUpdateUnsupported(err: unknown): boolean {
  return err instanceof ApiError && err.method === "UpdateSIPDispatchRule" && err.twirpCode === "bad_route";
}

/** The answer of a pre-v1.9.0 server to the `dispatch_rule` Create form (§6, §8.1). */
function isMissingRule(err: unknown): boolean {
  return (
    err instanceof ApiError &&
    (err.twirpCode === "invalid_argument" || err.twirpCode === "unknown" || err.twirpCode === "internal") &&
    /(^|: )missing rule \(HTTP/.test(err.message.replace(/^CreateSIPDispatchRule: /, ""))
  );
}

/**
 * The final error of a call, saying how many attempts were made: "no answer within 10000 ms"
 * alone hid that a call had waited four times as long. Timeouts always say it; other errors
 * once they were retried.
 */
function withAttempts(err: unknown, attempts: number): unknown {
  if (!(err instanceof ApiError) || attempts < 1 || (attempts === 1 && err.twirpCode !== "timeout")) return err;
  const raw = err.message.startsWith(`${err.method}: `) ? err.message.slice(err.method.length + 2) : err.message;
  return new ApiError({
    method: err.method,
    twirpCode: err.twirpCode,
    status: err.status,
    message: `${raw} (${attempts === 1 ? "1 attempt" : `${attempts} attempts`})`,
    retryable: err.retryable,
    ...(err.retryAfterMs === undefined ? {} : { retryAfterMs: err.retryAfterMs }),
    ambiguous: err.ambiguous,
    ...(err.hint === undefined ? {} : { hint: err.hint }),
    cause: err.cause,
  });
}

/** setTimeout as a promise that resolves at once when `signal` aborts (no timer is left behind). */
function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

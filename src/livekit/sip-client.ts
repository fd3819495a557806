// I/O (HTTP through the injected fetch). The SipClient: the four Twirp calls of the LiveKit SIP
// API, with token, per-request timeout, retries and paging; every failure is a typed ApiError.
import type { Transport, TransportResponse } from "./http-transport.js";
import {
  ApiError,
  UsageError,
  type RemoteRule,
  type RuleSpec,
  type InboundTrunk,
  type InboundTrunkLister,
  type SipClient,
  type SipMethod,
} from "../model/index.js";
import { listAllInboundTrunks } from "./inbound-trunks.js";
import { createTokenSource } from "./access-token.js";
import { resolveBaseUrl } from "./base-url.js";
import { DEFAULT_RETRY, parseRetryAfter, withRetry, type RetryPolicy, type RetryWait } from "./retry.js";
import { ANSWER_TOO_LARGE } from "./http-transport.js";
import { versionFloor, type VersionFloor } from "./server-version.js";
import { badResponse, errorFromFailure, errorFromResponse, type CallContext } from "./twirp-error.js";
import { ListStream, RawArena, STREAM_FROM_BYTES, type ListStreamResult } from "./list-stream.js";
import { WireShapeError, decodeListItems, decodeRuleInfoAt, encodeLegacyCreate, encodeReplace, encodeRuleInfo } from "./wire.js";

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
  /** page.limit of ListSIPInboundTrunk; default TRUNK_PAGE_LIMIT (inbound-trunks.ts). */
  readonly trunkPageLimit?: number;
  /** The most bytes one answer body may hold, decompressed (SPEC §5 bounds); default DEFAULT_MAX_ANSWER_BYTES. */
  readonly maxAnswerBytes?: number;
  /**
   * The size from which a List answer is decoded as it arrives (list-stream.ts), when the
   * transport can hand the body over in chunks; default STREAM_FROM_BYTES (16 MiB). Smaller answers
   * are parsed whole. Tests pass 0 to stream every answer.
   */
  readonly listStreamFrom?: number;
  /** The most List pages one listing may take; default DEFAULT_MAX_LIST_PAGES. */
  readonly maxListPages?: number;
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
/**
 * SPEC §5 bounds, sized for 100,000 rules: a realistic rule is under 1 KB as the server lists it
 * (snake_case, every default emitted), so 100,000 of them fit in 100 MB, and the open-source
 * server answers them all in one page (livekit-sip-api.md §5.4). A paging server at the default
 * page.limit of 500 needs 200 pages; the page bound leaves room for one that pages at 100.
 */
export const DEFAULT_MAX_ANSWER_BYTES = 128 * 1024 * 1024;
export const DEFAULT_MAX_LIST_PAGES = 2_000;
const BOUNDS_HINT = "raise --max-answer-bytes / --max-list-pages (DISPATCH_MAX_ANSWER_BYTES / DISPATCH_MAX_LIST_PAGES) only if the server really holds that many rules";
const MALFORMED_HINT = "the server's List answer cannot be trusted (a proxy or server bug); nothing was changed. Run again; if it persists, report it with the server's version";

/** Validates the options (UsageError with a hint) and returns a client; no request is made. */
/** The dispatch-rule client, plus the read-only inbound-trunk list of SPEC §8. */
export type HttpSipClient = SipClient & InboundTrunkLister;

export function createSipClient(options: SipClientOptions): HttpSipClient {
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
  const maxAnswerBytes = positiveOr(options.maxAnswerBytes, DEFAULT_MAX_ANSWER_BYTES, "--max-answer-bytes");
  const maxListPages = positiveOr(options.maxListPages, DEFAULT_MAX_LIST_PAGES, "--max-list-pages");
  const listStreamFrom = options.listStreamFrom ?? STREAM_FROM_BYTES;
  const tokens = createTokenSource({ apiKey: options.apiKey, apiSecret: options.apiSecret, now });

  const contextFor = (method: SipMethod, token: string | undefined): CallContext => ({
    method,
    server,
    timeoutMs: options.timeoutMs,
    secrets: token === undefined ? [options.apiSecret] : [options.apiSecret, token],
  });

  /**
   * One HTTP attempt: resolves with the parsed JSON object of a 2xx answer, else throws ApiError.
   * With `streamed` (a List page) and a transport that can hand the body over in chunks, a 2xx
   * JSON answer is decoded as it arrives instead (list-stream.ts); a fresh decoder per attempt.
   */
  async function attemptOnce(
    method: SipMethod,
    body: unknown,
    attempt: number,
    signal: AbortSignal | undefined,
    streamed?: () => PageDecoder,
  ): Promise<Readonly<Record<string, unknown>> | StreamedPage> {
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
            maxBytes: maxAnswerBytes,
          });
        } catch (err) {
          signal?.throwIfAborted();
          throw errorFromFailure(ctx, err, timedOut);
        }
        status = res.status;
        const readFailed = (err: unknown): never => {
          signal?.throwIfAborted();
          if ((err as { code?: unknown } | null)?.code === ANSWER_TOO_LARGE) throw tooLarge(ctx, res.status);
          if (timedOut) throw errorFromFailure(ctx, err, true);
          throw badResponse(ctx, res.status, `the answer was cut off (HTTP ${res.status}, connection closed mid-body)`, { transient: true, cause: err });
        };
        const streamType = res.headers.get("content-type");
        if (streamed !== undefined && res.consume !== undefined && res.status >= 200 && res.status < 300 && (streamType === null || /\bjson\b/i.test(streamType))) {
          // Only the 2xx JSON answer is streamed: every other answer is read and judged as below.
          const decoder = streamed();
          try {
            await res.consume((chunk) => decoder.push(chunk));
          } catch (err) {
            readFailed(err);
          }
          const out = decoder.end();
          if (out.kind === "invalid") throw badResponse(ctx, res.status, `the answer is not valid JSON (${out.bytes} bytes${out.empty ? "" : ", truncated or not JSON"})`);
          if (out.kind === "json" && (typeof out.json !== "object" || out.json === null || Array.isArray(out.json))) {
            throw badResponse(ctx, res.status, "the answer is JSON but not an object");
          }
          options.onApiCall?.({ method, code: "ok", status, durationMs: now() - started, attempt });
          return out.kind === "json" ? (out.json as Record<string, unknown>) : decoder.page();
        }
        let text: string;
        try {
          text = await res.text();
        } catch (err) {
          return readFailed(err);
        }
        // A transport that does not count (the global fetch) is checked once the text is here.
        if (text.length > maxAnswerBytes || (text.length * 3 > maxAnswerBytes && Buffer.byteLength(text, "utf8") > maxAnswerBytes)) throw tooLarge(ctx, res.status);
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

  function tooLarge(ctx: CallContext, status: number): ApiError {
    const err = badResponse(ctx, status, `the answer is larger than ${maxAnswerBytes} bytes (decompressed); the bound is there so that a runaway answer cannot exhaust memory`);
    return new ApiError({ method: err.method, twirpCode: err.twirpCode, status, message: err.message.replace(/^[A-Za-z]+: /, ""), retryable: false, ambiguous: err.ambiguous, hint: BOUNDS_HINT });
  }

  const onWait =
    (method: SipMethod) =>
    (w: RetryWait): void =>
      options.onRetryWait?.({ method, attempt: w.attempt, delayMs: w.delayMs, ...(w.retryAfterMs === undefined ? {} : { retryAfterMs: w.retryAfterMs }), code: w.error.twirpCode, status: w.error.status });

  function call(method: SipMethod, body: unknown, signal?: AbortSignal): Promise<Readonly<Record<string, unknown>>> {
    return callWith(method, body, signal) as Promise<Readonly<Record<string, unknown>>>;
  }

  async function callWith(method: SipMethod, body: unknown, signal?: AbortSignal, streamed?: () => PageDecoder): Promise<Readonly<Record<string, unknown>> | StreamedPage> {
    let attempts = 0;
    try {
      return await withRetry(
        (attempt) => {
          attempts = attempt;
          return attemptOnce(method, body, attempt, signal, streamed);
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
      if (err instanceof WireShapeError) {
        throw new ApiError({
          method,
          twirpCode: "bad_response",
          status: 200,
          message: `unexpected answer: ${err.message}`,
          retryable: false,
          ambiguous: method !== "ListSIPDispatchRule",
          hint: "the server's answer has a shape this version cannot read; nothing was changed. If the server is newer than this tool, upgrade sip-dispatch-sync",
          cause: err,
        });
      }
      throw err;
    }
  }

  function malformed(message: string): ApiError {
    return new ApiError({ method: "ListSIPDispatchRule", twirpCode: "bad_response", status: 200, message: `malformed list: ${message}`, retryable: false, hint: MALFORMED_HINT });
  }

  let legacyCreate = false;
  /** false once Update answered a Twirp bad_route in this client; never probed (SPEC §4). */
  let updateSupported = true;
  let floor: VersionFloor | undefined;

  /**
   * One List call: its rules, the raw items the version floor reads (the first, and the first
   * individual rule: versionFloor looks at no other), with the page's own ID checks.
   */
  async function listPage(request: Record<string, unknown>, pageNo: number, signal: AbortSignal | undefined, arena: RawArena): Promise<{ floorItems: readonly unknown[]; rules: RemoteRule[] }> {
    const answer = await callWith("ListSIPDispatchRule", request, signal, () => new PageDecoder(arena, listStreamFrom));
    return decodeOr("ListSIPDispatchRule", () => {
      let rules: RemoteRule[];
      let floorItems: readonly unknown[];
      if (answer instanceof StreamedPage) {
        if (answer.failure !== undefined) throw answer.failure;
        rules = answer.rules;
        floorItems = answer.floorItems;
      } else {
        const items = decodeListItems(answer);
        rules = items.map((item, i) => decodeRuleInfoAt(item, `items[${i}]`));
        // The same sample the streamed page keeps (the first item, and the first individual rule
        // after it), so both paths give one version floor (issue #12).
        const individual = items.find((item, i) => i > 0 && isIndividual(item));
        floorItems = items.length === 0 ? [] : individual === undefined ? [items[0]] : [items[0], individual];
      }
      const seen = new Set<string>();
      for (const [i, r] of rules.entries()) {
        if (seen.has(r.id)) throw malformed(`rule ID ${r.id} appears twice on page ${pageNo} (again at items[${i}])`);
        seen.add(r.id);
      }
      return { floorItems, rules };
    });
  }

  /** Every rule, page by page, with the List checks (SPEC §4); the items' bytes go to `arena`. */
  async function listAllRules(signal: AbortSignal | undefined, arena: RawArena): Promise<readonly RemoteRule[]> {
    // §5.4: the open-source server sorts by ID and returns everything after after_id in one
    // answer; a paging server (Cloud: UNCONFIRMED) caps at limit. Loop until an empty page.
    // The answer is distrusted (SPEC §4): a repeated ID, an ID out of order, or more pages than
    // the bound make the list malformed, and nothing is planned from it.
    const all: RemoteRule[] = [];
    const seen = new Set<string>();
    let afterId = "";
    let first: { rules: RemoteRule[] } | undefined;
    for (let page = 1; page <= maxListPages; page += 1) {
      const request = { page: afterId === "" ? { limit: pageLimit } : { afterId, limit: pageLimit } };
      const got = await listPage(request, page, signal, arena);
      const rules = got.rules;
      if (page === 1) {
        first = got;
        floor = versionFloor({ rules: got.floorItems });
      }
      if (rules.length === 0) return sortById(all);
      if (page === 2 && first !== undefined && sameIds(rules, first.rules)) {
        // §6: servers before v1.8.4 ignore `page` and answer everything again (in Redis HVALS
        // order): the first answer was the whole list.
        return sortById(all);
      }
      if (page === 1 && !ascending(rules) && rules.length > 0) {
        // Only a server that ignores paging answers out of order; the second page tells.
        const again = await listPage({ page: { afterId: lastOf(rules).id, limit: pageLimit } }, 2, signal, arena);
        if (!sameIds(again.rules, rules)) throw malformed(`page 1 is not sorted by rule ID (${firstDisorder(rules)}) and the server does not repeat it as a server without paging would`);
        return sortById(rules);
      }
      for (const [i, r] of rules.entries()) {
        if (seen.has(r.id)) throw malformed(`rule ID ${r.id} appears again on page ${page} (items[${i}])`);
        if (page > 1 && r.id <= afterId) throw malformed(`page ${page} holds rule ID ${r.id}, not after ${afterId} as requested`);
        const prev = rules[i - 1];
        if (prev !== undefined && !(prev.id < r.id)) throw malformed(`page ${page} is not sorted by rule ID (${prev.id} before ${r.id})`);
        seen.add(r.id);
        all.push(r);
      }
      afterId = lastOf(rules).id;
    }
    throw new ApiError({
      method: "ListSIPDispatchRule",
      twirpCode: "bad_response",
      status: 200,
      message: `the list did not end within ${maxListPages} pages (${all.length} rules so far); the bound is there so that a server that keeps inventing IDs cannot be followed forever`,
      retryable: false,
      hint: BOUNDS_HINT,
    });
  }

  async function createWith(spec: RuleSpec, base: Readonly<Record<string, unknown>> | undefined): Promise<Readonly<Record<string, unknown>>> {
    if (!legacyCreate) {
      try {
        // A re-create (delete + create of a listed rule) carries what that rule held, like replace.
        return await call("CreateSIPDispatchRule", { dispatchRule: base === undefined ? encodeRuleInfo(spec) : encodeReplace(spec, withoutTimestamps(base)) });
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

    async listInboundTrunks(listOptions?: { readonly signal?: AbortSignal }): Promise<readonly InboundTrunk[]> {
      // Separate module (inbound-trunks.ts): the answer holds trunk passwords, reduced there to ID and name.
      try {
        return await listAllInboundTrunks((body, signal) => call("ListSIPInboundTrunk", body, signal), options.trunkPageLimit, listOptions?.signal);
      } catch (err) {
        if (err instanceof WireShapeError) throw badResponse(contextFor("ListSIPInboundTrunk", undefined), 200, `unexpected answer: ${err.message}`, { cause: err });
        throw err;
      }
    },

    async listRules(listOptions?: { readonly signal?: AbortSignal }): Promise<readonly RemoteRule[]> {
      // The listed items' bytes, kept compact for RemoteRule.raw (list-stream.ts); the last slab
      // is packed once the listing ends, whatever its outcome.
      const arena = new RawArena();
      try {
        return await listAllRules(listOptions?.signal, arena);
      } finally {
        arena.seal();
      }
    },

    async listRulesByIds(ids: readonly string[], listOptions?: { readonly signal?: AbortSignal }): Promise<readonly RemoteRule[]> {
      if (ids.length === 0) return [];
      // §5.4: dispatch_rule_ids filters by membership; servers before the filter (v1.8.2) ignore
      // it, and v1.8.2-v1.8.3 may answer nulls for missing IDs, so the answer is filtered here too.
      const wanted = new Set(ids);
      const json = await call("ListSIPDispatchRule", { dispatchRuleIds: [...ids] }, listOptions?.signal);
      return decodeOr("ListSIPDispatchRule", () => {
        const items = decodeListItems(json);
        const out: RemoteRule[] = [];
        for (const [i, item] of items.entries()) {
          if (item === null) continue;
          const r = decodeRuleInfoAt(item, `items[${i}]`);
          if (wanted.has(r.id)) out.push(r);
        }
        return sortById(out);
      });
    },

    async createRule(spec: RuleSpec, base?: Readonly<Record<string, unknown>>): Promise<RemoteRule> {
      const json = await createWith(spec, base);
      // A 2xx Create took effect: an unreadable answer is ambiguous, never retried (badResponse).
      return decodeOr("CreateSIPDispatchRule", () => decodeRuleInfoAt(json, "rule"));
    },

    async updateRule(id: string, spec: RuleSpec, base?: Readonly<Record<string, unknown>>): Promise<RemoteRule> {
      try {
        const json = await call("UpdateSIPDispatchRule", { sipDispatchRuleId: id, replace: encodeReplace(spec, base) });
        return decodeOr("UpdateSIPDispatchRule", () => decodeRuleInfoAt(json, "rule"));
      } catch (err) {
        if (isUpdateUnsupported(err)) updateSupported = false;
        throw err;
      }
    },

    async deleteRule(id: string): Promise<void> {
      await call("DeleteSIPDispatchRule", { sipDispatchRuleId: id });
    },

    supportsUpdate(): Promise<boolean> {
      // No request: a read-only command never calls a write method, probes included (SPEC §4).
      // The plan assumes Update; apply learns otherwise from a Twirp bad_route (isUpdateUnsupported).
      return Promise.resolve(updateSupported);
    },

    versionFloor(): VersionFloor | undefined {
      return floor;
    },
  };
}

/** A List page decoded as it arrived: its rules, or the first error decoding them. */
class StreamedPage {
  readonly rules: RemoteRule[];
  readonly floorItems: readonly unknown[];
  readonly failure: unknown;
  constructor(rules: RemoteRule[], floorItems: readonly unknown[], failure: unknown) {
    this.rules = rules;
    this.floorItems = floorItems;
    this.failure = failure;
  }
}

/**
 * The decoder of one List answer's chunks: each item is decoded to a RemoteRule as the splitter
 * finds it (its bytes kept in the arena for `raw`), so the page's parsed tree never exists whole.
 * The first item that does not decode stops the decoding (the rest is still checked as JSON: a
 * broken answer is reported as such first, as when the whole answer was parsed at once).
 */
class PageDecoder {
  readonly #rules: RemoteRule[] = [];
  readonly #stream: ListStream;
  #first: unknown;
  #individual: unknown;
  #failure: unknown;
  constructor(arena: RawArena, streamFrom: number) {
    this.#stream = new ListStream(
      (value, i, raw) => {
        if (i === 0) this.#first = value;
        else if (this.#individual === undefined && isIndividual(value)) this.#individual = value;
        if (this.#failure !== undefined) return;
        try {
          this.#rules.push(decodeRuleInfoAt(value, `items[${i}]`, raw));
        } catch (err) {
          this.#failure = err;
        }
      },
      arena,
      streamFrom,
    );
  }
  push(chunk: Buffer): void {
    this.#stream.push(chunk);
  }
  end(): ListStreamResult {
    return this.#stream.end();
  }
  page(): StreamedPage {
    const floorItems = this.#rules.length === 0 && this.#failure === undefined ? [] : this.#individual === undefined ? [this.#first] : [this.#first, this.#individual];
    return new StreamedPage(this.#rules, floorItems, this.#failure);
  }
}

/** server-version.ts individualOf: an item with a dispatch_rule_individual (the floor's "individual" markers). */
function isIndividual(item: unknown): boolean {
  if (typeof item !== "object" || item === null) return false;
  const rule = (item as Record<string, unknown>).rule;
  if (typeof rule !== "object" || rule === null) return false;
  const r = rule as Record<string, unknown>;
  return (r.dispatch_rule_individual ?? r.dispatchRuleIndividual) !== undefined;
}

/**
 * A Twirp JSON bad_route from UpdateSIPDispatchRule: the server's SIP service has no Update
 * (livekit-server before v1.9.0, livekit-sip-api.md §6, §7). A 404 that is not a Twirp body (a
 * proxy, a wrong path) is no such proof and never makes apply delete + create (SPEC §4).
 */
export function isUpdateUnsupported(err: unknown): boolean {
  return err instanceof ApiError && err.method === "UpdateSIPDispatchRule" && err.twirpCode === "bad_route" && err.twirpBody;
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

function positiveOr(v: number | undefined, fallback: number, flag: string): number {
  if (v === undefined) return fallback;
  if (!(Number.isInteger(v) && v > 0)) throw new UsageError(`${flag} must be a positive whole number, got ${v}`, `pass e.g. ${flag} ${fallback}`);
  return v;
}

function lastOf(rules: readonly RemoteRule[]): RemoteRule {
  return rules[rules.length - 1] as RemoteRule;
}

function sortById(rules: RemoteRule[]): RemoteRule[] {
  return rules.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function ascending(rules: readonly RemoteRule[]): boolean {
  for (let i = 1; i < rules.length; i++) if (!((rules[i - 1] as RemoteRule).id < (rules[i] as RemoteRule).id)) return false;
  return true;
}

function firstDisorder(rules: readonly RemoteRule[]): string {
  for (let i = 1; i < rules.length; i++) {
    const a = (rules[i - 1] as RemoteRule).id;
    const b = (rules[i] as RemoteRule).id;
    if (!(a < b)) return `${a} before ${b}`;
  }
  return "";
}

function sameIds(a: readonly RemoteRule[], b: readonly RemoteRule[]): boolean {
  return a.length === b.length && a.every((r, i) => r.id === (b[i] as RemoteRule).id);
}

/** A listed rule without its server-owned timestamps (a new rule gets its own). */
function withoutTimestamps(raw: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(raw)) {
    if (key === "created_at" || key === "createdAt" || key === "updated_at" || key === "updatedAt") continue;
    if (key === "__proto__") Object.defineProperty(out, key, { value: raw[key], enumerable: true, writable: true, configurable: true });
    else out[key] = raw[key];
  }
  return out;
}

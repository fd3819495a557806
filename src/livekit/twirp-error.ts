// Pure. Turns a failed SIP call (an HTTP answer, a transport failure, a body that is not what the
// protocol promises) into one typed ApiError: Twirp code, HTTP status, retryable, ambiguous, hint.
import { ApiError, MAX_SHOWN_CHARS, safeText, type ApiErrorCode, type SipMethod, type TwirpCode } from "../model/index.js";

const TWIRP_CODES: ReadonlySet<string> = new Set<TwirpCode>([
  "canceled", "unknown", "invalid_argument", "malformed", "deadline_exceeded", "not_found", "bad_route",
  "already_exists", "permission_denied", "unauthenticated", "resource_exhausted", "failed_precondition",
  "aborted", "out_of_range", "unimplemented", "internal", "unavailable", "data_loss",
]);

/** What the failing call was, for classification and for messages (never credentials). */
export interface CallContext {
  readonly method: SipMethod;
  /** The HTTP base URL (no credentials, resolveBaseUrl refuses user info). */
  readonly server: string;
  readonly timeoutMs: number;
  /** Strings that must never appear in a message (the token, the secret). */
  readonly secrets: readonly string[];
}

/** Create is the only call whose replay can do harm (a duplicate rule, SPEC §5). */
function isCreate(method: SipMethod): boolean {
  return method === "CreateSIPDispatchRule";
}
function isWrite(method: SipMethod): boolean {
  return !method.startsWith("List");
}

/**
 * A non-2xx HTTP answer. Twirp errors are JSON `{code, msg, meta}` (livekit-sip-api.md §7); the auth
 * middleware answers 401 in plain text (§4.2) and proxies answer whatever they like, so a body
 * that is not a Twirp error is classified by status the way Twirp's Go client does (§7).
 */
export function errorFromResponse(
  ctx: CallContext,
  res: { readonly status: number; readonly contentType: string | null; readonly body: string; readonly retryAfterMs: number | undefined },
): ApiError {
  const twirp = parseTwirpError(res.contentType, res.body);
  const code: ApiErrorCode = twirp ? twirp.code : codeFromStatus(res.status);
  const detail = twirp ? twirp.msg : snippet(res.body);
  const message = redact(
    twirp ? `${detail} (HTTP ${res.status} ${code})` : `HTTP ${res.status}${detail ? `: ${detail}` : ""} (not a Twirp error body)`,
    ctx.secrets,
  );
  const throttled = res.status === 429 || code === "resource_exhausted";
  // 5xx, `unavailable` and throttling are transient (SPEC §5); every other 4xx is final. 501
  // (`unimplemented`) is final too. A Create that reached the server and failed with 5xx may
  // still have stored the rule: it is ambiguous and never replayed; throttling happens before
  // the handler, so a throttled Create is safe to retry.
  const transient = throttled || code === "unavailable" || (res.status >= 500 && res.status !== 501);
  const ambiguous = transient && !throttled && isWrite(ctx.method);
  const retryable = transient && !(ambiguous && isCreate(ctx.method));
  return new ApiError({
    method: ctx.method,
    twirpCode: code,
    status: res.status,
    message,
    retryable,
    ambiguous,
    twirpBody: twirp !== undefined,
    ...(res.retryAfterMs === undefined ? {} : { retryAfterMs: res.retryAfterMs }),
    ...(plainToTls(twirp !== undefined, res.body)
      ? { hint: `${ctx.server} expects TLS: use https:// (or wss://) in --url / LIVEKIT_URL` }
      : hintFor(ctx, code, detail, twirp !== undefined)),
  });
}

/** A TLS port's answer to a plain HTTP request: Go's (livekit-server's) and nginx's wording. */
function plainToTls(isTwirp: boolean, body: string): boolean {
  return !isTwirp && /HTTP request to an HTTPS server|plain HTTP request was sent to HTTPS port/i.test(body.slice(0, 1000));
}

/** The request never produced an HTTP answer: refused, reset, DNS, TLS, or our own timeout. */
export function errorFromFailure(ctx: CallContext, err: unknown, timedOut: boolean): ApiError {
  if (timedOut) {
    return new ApiError({
      method: ctx.method,
      twirpCode: "timeout",
      status: 0,
      message: `no answer within ${ctx.timeoutMs} ms`,
      retryable: !isCreate(ctx.method),
      ambiguous: isWrite(ctx.method),
      hint: isCreate(ctx.method)
        ? `the rule may or may not have been created; it was not retried, the next plan lists the server and decides. If ${ctx.server} is slow, raise --timeout`
        : `check that ${ctx.server} is reachable, or raise --timeout`,
    });
  }
  const code = causeCode(err);
  const tls = code !== undefined && /^(ERR_TLS|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_SSL)/.test(code);
  // Failures before the request was written cannot have reached the handler.
  const notSent = tls || (code !== undefined && NOT_SENT_CODES.has(code));
  const ambiguous = !notSent && isWrite(ctx.method);
  const why = redact(code ?? (err instanceof Error ? err.message : String(err)), ctx.secrets);
  return new ApiError({
    method: ctx.method,
    twirpCode: "network",
    status: 0,
    message: `cannot talk to ${ctx.server} (${why})`,
    retryable: !tls && !(ambiguous && isCreate(ctx.method)),
    ambiguous,
    hint: schemeHint(ctx.server, code, err) ?? (tls
      ? `TLS failed for ${ctx.server}; check the certificate or use the right scheme in --url / LIVEKIT_URL`
      : ambiguous && isCreate(ctx.method)
        ? "the connection broke after the request was sent; the rule may or may not exist. It was not retried: the next plan lists the server and decides"
        : `check --url / LIVEKIT_URL (${ctx.server}) and that the server is running and reachable`),
    cause: err,
  });
}

/**
 * http/https mix-ups, told apart from other failures: a TLS request answered in plain HTTP fails
 * the handshake with "wrong version number"; a plain request to a TLS port gets a TLS alert (not
 * HTTP: a parse error) or a reset.
 */
function schemeHint(server: string, code: string | undefined, err: unknown): string | undefined {
  const text = `${code ?? ""} ${err instanceof Error ? err.message : ""}`;
  if (server.startsWith("https:") && /WRONG_VERSION_NUMBER|wrong version number|packet length too long|EPROTO/i.test(text)) {
    return `${server} answered in plain HTTP, not TLS: use http:// (or ws://) in --url / LIVEKIT_URL, or the server's TLS port`;
  }
  if (server.startsWith("http:") && /HPE_INVALID_CONSTANT|HPE_INVALID|Expected HTTP|ECONNRESET|socket hang up/i.test(text)) {
    return `${server} did not answer in plain HTTP (it may expect TLS): if the server uses TLS, use https:// (or wss://) in --url / LIVEKIT_URL`;
  }
  return undefined;
}

const NOT_SENT_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EAI_NONAME", "EAI_FAIL", "ENETUNREACH", "EHOSTUNREACH", "EHOSTDOWN",
  "EADDRNOTAVAIL", "UND_ERR_CONNECT_TIMEOUT", "ERR_INVALID_URL",
]);

/**
 * A 2xx answer whose body is not the promised protobuf JSON (HTML from a proxy, a truncated body,
 * a wrong shape). Never "no rules": the caller fails closed (SPEC §5). `retryable` only for a body
 * cut off in transit on an idempotent call; a Create that got 2xx did take effect, so it is ambiguous.
 */
export function badResponse(ctx: CallContext, status: number, message: string, opts: { transient?: boolean; cause?: unknown } = {}): ApiError {
  return new ApiError({
    method: ctx.method,
    twirpCode: "bad_response",
    status,
    message: redact(message, ctx.secrets),
    retryable: (opts.transient ?? false) && !isCreate(ctx.method),
    ambiguous: isWrite(ctx.method),
    hint: isCreate(ctx.method)
      ? `the answer could not be read, so the rule may exist; the next plan lists the server and decides. Is --url (${ctx.server}) pointing at a LiveKit server?`
      : `is --url (${ctx.server}) pointing at a LiveKit server?`,
    ...(opts.cause === undefined ? {} : { cause: opts.cause }),
  });
}

function parseTwirpError(contentType: string | null, body: string): { code: TwirpCode; msg: string } | undefined {
  if (contentType === null || !/^application\/json\b/i.test(contentType.trim())) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
  const { code, msg } = parsed as { code?: unknown; msg?: unknown };
  if (typeof code !== "string") return undefined;
  return { code: TWIRP_CODES.has(code) ? (code as TwirpCode) : "unknown", msg: typeof msg === "string" ? msg : "" };
}

/** twitchtv/twirp `twirpErrorFromIntermediary` (livekit-sip-api.md §7). */
function codeFromStatus(status: number): TwirpCode {
  if (status === 401) return "unauthenticated";
  if (status === 403) return "permission_denied";
  if (status === 404) return "bad_route";
  if (status === 429) return "resource_exhausted";
  if (status === 502 || status === 503 || status === 504) return "unavailable";
  if (status === 400 || (status >= 300 && status < 400)) return "internal";
  return "unknown";
}

function hintFor(ctx: CallContext, code: ApiErrorCode, detail: string, isTwirp: boolean): { hint?: string } {
  switch (code) {
    case "unauthenticated":
    case "permission_denied":
      return { hint: "check LIVEKIT_API_KEY / LIVEKIT_API_SECRET (or --api-key / --api-secret) and that the key has the SIP admin grant" };
    case "bad_route":
      if (ctx.method === "UpdateSIPDispatchRule" && isTwirp) return { hint: "this server has no UpdateSIPDispatchRule (livekit-server before v1.9.0); apply replaces such a rule by delete + create" };
      if (ctx.method === "UpdateSIPDispatchRule") return { hint: `a 404 that is not a Twirp answer comes from a proxy or a wrong path, not from the server's SIP service; check --url (${ctx.server}) and the proxy in front of it. Nothing was recreated` };
      return { hint: `is --url (${ctx.server}) pointing at a LiveKit server with the SIP service?` };
    case "resource_exhausted":
      return { hint: "the server is rate limiting; try again later" };
    case "unavailable":
    case "internal":
    case "unknown":
    case "data_loss":
      if (/redis required/.test(detail)) return { hint: "the LiveKit server needs Redis for SIP; configure redis in livekit-server" };
      return isCreate(ctx.method)
        ? { hint: "the server failed; the rule may or may not have been created. It was not retried: the next plan lists the server and decides" }
        : { hint: `the server at ${ctx.server} failed; try again (the next run converges)` };
    default:
      return {};
  }
}

/** First line-ish of a non-Twirp body, whitespace collapsed, bounded. */
function snippet(body: string): string {
  const flat = body.replace(/\s+/g, " ").trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

/**
 * `text` without any secret, also when a server echoes only part of one (a JWT's signature, or its
 * payload), then made safe to print: unprintable characters escaped (server text could clear a
 * terminal or forge an `::error` line in CI) and cut to MAX_SHOWN_CHARS (a 5 MB message must not
 * become a 5 MB log line or /readyz body). Redaction runs on the whole text, before the cut.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  const pieces: string[] = [];
  for (const s of secrets) {
    if (s.length < 4) continue;
    pieces.push(s);
    // A JWT is header.payload.signature; each long part is redacted on its own too.
    if (s.includes(".")) for (const part of s.split(".")) if (part.length >= 8) pieces.push(part);
  }
  // Longest first, so that a whole token is one "(redacted)", not its parts.
  pieces.sort((a, b) => b.length - a.length);
  for (const p of pieces) out = out.split(p).join("(redacted)");
  return safeText(out, MAX_SHOWN_CHARS);
}

function causeCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; depth += 1) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

// I/O (HTTP request/response objects, timers). The emulator's request pipeline in the server's
// order (livekit-sip-api.md §1, §4.2, §7): body limit, API-key middleware (plain-text 401s),
// mux (`404 page not found` off the SIP prefix), Twirp routing (POST, path, Content-Type),
// protojson decoding, the sip.admin grant, then the method. Test faults wrap the method.
import type { IncomingMessage, ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";
import type { SipMethod } from "../model/index.js";
import { checkAuth, type AuthConfig } from "./auth.js";
import { DecodeError, decodeMessage, decodeMessageNewer, type CanonicalMessage } from "./decode.js";
import { LEGACY_CREATE_REQUEST, messageDesc, type MessageDesc } from "./descriptors.js";
import { MSG, TWIRP_STATUS, badRoute, fail, goQuote, twirpErrorBody, type TwirpFailure } from "./errors.js";
import { renderFault, type FaultPlan } from "./faults.js";
import { JsonSyntaxError, parseFirstJsonValue } from "./json-parse.js";
import { callMethod, type CallContext } from "./service.js";

export const SIP_METHODS: readonly SipMethod[] = [
  "ListSIPDispatchRule",
  "CreateSIPDispatchRule",
  "UpdateSIPDispatchRule",
  "DeleteSIPDispatchRule",
  // §11.1, for trunk names (SPEC §8).
  "ListSIPInboundTrunk",
  "CreateSIPInboundTrunk",
  "DeleteSIPTrunk",
];
const SIP_PREFIX = "/twirp/livekit.SIP/";
/** NewRequestBodyLimiter default, 10 << 20 (§1). */
export const DEFAULT_MAX_BODY_BYTES = 10 << 20;

export interface RequestRecord {
  /** HTTP method, e.g. "POST". */
  readonly method: string;
  /** URL path without the query, e.g. "/twirp/livekit.SIP/ListSIPDispatchRule". */
  readonly path: string;
  /** The Twirp method when the path names one of the four, else "". */
  readonly rpc: string;
  /** Lower-case names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** 0 when the connection was dropped without an answer. */
  readonly status: number;
}

export interface PipelineDeps {
  readonly auth: AuthConfig;
  readonly call: () => CallContext;
  readonly faults: FaultPlan;
  readonly maxBodyBytes: number;
  readonly record: (r: RequestRecord) => void;
  readonly onChange: () => void;
}

interface Reply {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

const plain = (status: number, body: string): Reply => ({ status, contentType: "text/plain; charset=utf-8", body });
const twirp = (f: TwirpFailure): Reply => ({ status: TWIRP_STATUS[f.code], contentType: "application/json", body: twirpErrorBody(f) });
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export function createHandler(deps: PipelineDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(req, res, deps).catch(() => {
      // Unexpected: answer like the server's panic recovery rather than leave the client hanging.
      if (!res.headersSent) send(res, twirp(fail("internal", "Internal service panic")));
      else res.destroy();
    });
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, deps: PipelineDeps): Promise<void> {
  const httpMethod = req.method ?? "GET";
  // Not `new URL(...)`: it would read "//twirp/..." as a host name.
  const rawUrl = req.url ?? "/";
  const q = rawUrl.indexOf("?");
  const query = new URLSearchParams(q === -1 ? "" : rawUrl.slice(q + 1));
  // RemoveDoubleSlashes: a leading "//" becomes "/". Go's URL.Path is percent-decoded.
  const path = safeDecode(q === -1 ? rawUrl : rawUrl.slice(0, q)).replace(/^\/{2,}/, "/");
  const rpcName = path.startsWith(SIP_PREFIX) ? path.slice(SIP_PREFIX.length) : "";
  const rpc = (SIP_METHODS as readonly string[]).includes(rpcName) ? (rpcName as SipMethod) : undefined;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : v;

  const body = await readBody(req, deps.maxBodyBytes);
  const finish = (reply: Reply | "drop"): void => {
    deps.record({ method: httpMethod, path, rpc: rpc ?? "", headers, body: body.text, status: reply === "drop" ? 0 : reply.status });
    if (reply === "drop") req.socket.destroy();
    else send(res, reply);
  };

  const latency = deps.faults.latencyFor(rpc);
  if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
  if (rpc !== undefined) {
    if (deps.faults.takeDrop(rpc)) return finish("drop");
    const fault = deps.faults.takeFailure(rpc, "before");
    if (fault !== undefined) return finish(renderFault(fault));
  }

  if (body.tooLarge) return finish(plain(413, "request body too large"));
  const auth = checkAuth(req.headers.authorization, query.get("access_token") ?? undefined, deps.auth);
  if (auth.kind === "reject") return finish(plain(401, auth.message));
  if (!path.startsWith(SIP_PREFIX)) {
    // The mux's "/" handler: health check on "/", http.NotFound elsewhere (§1).
    return finish(path === "/" ? plain(200, "OK") : { ...plain(404, "404 page not found\n"), headers: { "x-content-type-options": "nosniff" } });
  }
  if (httpMethod !== "POST") return finish(twirp(badRoute(`unsupported method ${goQuote(httpMethod)} (only POST is allowed)`, httpMethod, path)));
  const ctx = deps.call();
  if (rpc === undefined || (rpc === "UpdateSIPDispatchRule" && !ctx.features.update)) {
    return finish(twirp(badRoute(`no handler for path ${goQuote(path)}`, httpMethod, path)));
  }
  const contentType = req.headers["content-type"] ?? "";
  const semi = contentType.indexOf(";");
  const mediaType = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  if (mediaType === "application/protobuf") {
    return finish(twirp(fail("unimplemented", "the emulator speaks JSON only: application/protobuf is not emulated")));
  }
  if (mediaType !== "application/json") {
    return finish(twirp(badRoute(`unexpected Content-Type: ${goQuote(contentType)}`, httpMethod, path)));
  }

  let request: CanonicalMessage;
  try {
    if (body.invalidUtf8) throw new DecodeError("invalid UTF-8");
    const decode = ctx.features.newerServer ? decodeMessageNewer : decodeMessage;
    request = decode(parseFirstJsonValue(body.text), requestDesc(rpc, ctx.features.dispatchRuleField));
  } catch (err) {
    if (err instanceof DecodeError || err instanceof JsonSyntaxError) return finish(twirp(fail("malformed", MSG.malformed)));
    throw err;
  }
  // EnsureSIPAdminPermission is the handlers' first statement, after decoding (§4.2, §5.1).
  if (auth.kind !== "verified" || !auth.sipAdmin) return finish(twirp(fail("unauthenticated", MSG.permissionsDenied)));

  const result = callMethod(rpc, request, ctx);
  if (result.ok && result.changed) deps.onChange();
  const late = deps.faults.takeFailure(rpc, "after-commit");
  if (late !== undefined) return finish(renderFault(late));
  return finish(result.ok ? { status: 200, contentType: "application/json", body: result.body } : twirp(result.failure));
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function requestDesc(rpc: SipMethod, dispatchRuleField: boolean): MessageDesc {
  if (rpc === "CreateSIPDispatchRule" && !dispatchRuleField) return LEGACY_CREATE_REQUEST;
  return messageDesc(`${rpc}Request`);
}

function send(res: ServerResponse, reply: Reply): void {
  const text = Buffer.from(reply.body, "utf8");
  const buf = reply.headers?.["content-encoding"] === "gzip" ? gzipSync(text) : text;
  res.writeHead(reply.status, { ...reply.headers, "content-type": reply.contentType, "content-length": String(buf.length) });
  res.end(buf);
}

interface Body {
  readonly text: string;
  readonly tooLarge: boolean;
  readonly invalidUtf8: boolean;
}

async function readBody(req: IncomingMessage, max: number): Promise<Body> {
  const declared = Number(req.headers["content-length"] ?? NaN);
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = Number.isFinite(declared) && declared > max;
  if (!tooLarge) {
    // Keep draining past the limit: breaking out would destroy the socket before the 413.
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > max) tooLarge = true;
      else chunks.push(chunk);
    }
  } else {
    req.resume();
  }
  if (tooLarge) return { text: "", tooLarge, invalidUtf8: false };
  const raw = Buffer.concat(chunks);
  try {
    return { text: utf8.decode(raw), tooLarge, invalidUtf8: false };
  } catch {
    return { text: raw.toString("utf8"), tooLarge, invalidUtf8: true };
  }
}

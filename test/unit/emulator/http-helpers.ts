// Test support (I/O: HTTP to 127.0.0.1). Raw Twirp calls and hand-made tokens for the emulator
// tests, so every byte of a request is under the test's control.
import { createHmac } from "node:crypto";
import type { StartedEmulator } from "../../support/emulator.js";

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");

/** An HS256 (or `header.alg`) JWT over `claims`, signed with `secret`. */
export function mintToken(claims: Record<string, unknown>, secret: string, header: Record<string, unknown> = { alg: "HS256" }): string {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
}

/** What livekit-server-sdk sends: sip.admin, iss, nbf now, exp in 10 minutes. */
export function adminToken(em: Pick<StartedEmulator, "apiKey" | "apiSecret">, extra: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  return mintToken({ video: {}, sip: { admin: true }, iss: em.apiKey, nbf: now, exp: now + 600, ...extra }, em.apiSecret);
}

export interface RawResponse {
  readonly status: number;
  readonly contentType: string | null;
  readonly text: string;
  readonly headers: Headers;
  /** The body parsed as JSON, or undefined. */
  readonly json: unknown;
}

export interface CallOptions {
  readonly token?: string | null;
  readonly authorization?: string;
  readonly contentType?: string | null;
  readonly httpMethod?: string;
  /** Raw body text; default JSON.stringify(body). */
  readonly raw?: string;
  readonly path?: string;
}

export async function call(em: StartedEmulator, method: string, body: unknown = {}, opts: CallOptions = {}): Promise<RawResponse> {
  const headers: Record<string, string> = {};
  if (opts.contentType !== null) headers["content-type"] = opts.contentType ?? "application/json";
  if (opts.authorization !== undefined) headers.authorization = opts.authorization;
  else if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? adminToken(em)}`;
  const httpMethod = opts.httpMethod ?? "POST";
  const res = await fetch(`${em.url}${opts.path ?? `/twirp/livekit.SIP/${method}`}`, {
    method: httpMethod,
    headers,
    ...(httpMethod === "GET" || httpMethod === "HEAD" ? {} : { body: opts.raw ?? JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, contentType: res.headers.get("content-type"), text, headers: res.headers, json };
}

/** Calls and expects 200; returns the JSON body. */
export async function ok(em: StartedEmulator, method: string, body: unknown = {}): Promise<Record<string, unknown>> {
  const r = await call(em, method, body);
  if (r.status !== 200) throw new Error(`${method} answered ${r.status}: ${r.text}`);
  return r.json as Record<string, unknown>;
}

export const direct = (room: string, pin = "") => ({ dispatch_rule_direct: { room_name: room, pin } });

/** Create with the dispatch_rule form; returns the created rule. */
export async function createRule(em: StartedEmulator, info: Record<string, unknown>): Promise<Record<string, unknown>> {
  return ok(em, "CreateSIPDispatchRule", { dispatch_rule: info });
}

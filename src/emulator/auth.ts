// Pure apart from node:crypto. The server's token check (livekit-sip-api.md §4.2): the API-key
// middleware's plain-text 401s, then the handler's `sip.admin` grant check.
import { createHmac, timingSafeEqual } from "node:crypto";

export type AuthOutcome =
  /** Written by the middleware as a plain-text 401 before routing. */
  | { readonly kind: "reject"; readonly message: string }
  /** No token at all: the request goes on without grants (the handler then says "permissions denied"). */
  | { readonly kind: "anonymous" }
  | { readonly kind: "verified"; readonly sipAdmin: boolean };

export interface AuthConfig {
  readonly apiKey: string;
  readonly apiSecret: string;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
}

/** golang-jwt's WithLeeway(time.Minute). */
const LEEWAY_SECONDS = 60;
const SEGMENT = /^[A-Za-z0-9_-]*$/;
const KNOWN_ALGS = new Set(["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA", "none"]);
const INVALID_TOKEN = "invalid authorization token";

/**
 * `authorization` is the header value (undefined when absent); `accessToken` the
 * `access_token` query value, used only when the header is absent.
 */
export function checkAuth(authorization: string | undefined, accessToken: string | undefined, config: AuthConfig): AuthOutcome {
  let token: string;
  if (authorization !== undefined && authorization !== "") {
    if (!authorization.startsWith("Bearer ")) return { kind: "reject", message: "invalid authorization header. Must start with Bearer " };
    token = authorization.slice("Bearer ".length);
  } else {
    token = accessToken ?? "";
  }
  if (token === "") return { kind: "anonymous" };

  const parsed = parseUnverified(token);
  if (parsed === undefined) return { kind: "reject", message: INVALID_TOKEN };
  const { header, claims, signingInput, signature } = parsed;
  if (claims.iss !== config.apiKey) return { kind: "reject", message: "invalid API key" };

  const invalid = (detail: string): AuthOutcome => ({ kind: "reject", message: `${INVALID_TOKEN}: ${detail}` });
  if (header.alg !== "HS256") return invalid(`token signature is invalid: signing method ${header.alg} is invalid`);
  const expected = createHmac("sha256", config.apiSecret).update(signingInput).digest();
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return invalid("token signature is invalid: signature is invalid");
  }
  // golang-jwt's validator joins every claim error with ", " (exp first, then nbf).
  const now = config.now() / 1000;
  const errors: string[] = [];
  if (claims.exp === undefined) errors.push("token is missing required claim: exp claim is required");
  else if (!(now < claims.exp + LEEWAY_SECONDS)) errors.push("token is expired");
  if (claims.nbf !== undefined && now < claims.nbf - LEEWAY_SECONDS) errors.push("token is not valid yet");
  if (errors.length > 0) return invalid(`token has invalid claims: ${errors.join(", ")}`);
  return { kind: "verified", sipAdmin: claims.sipAdmin };
}

interface ParsedToken {
  readonly header: { readonly alg: string };
  readonly claims: { readonly iss: string; readonly exp?: number; readonly nbf?: number; readonly sipAdmin: boolean };
  readonly signingInput: string;
  readonly signature: string;
}

/** auth.ParseAPIToken: structure and claim types only; anything odd is "invalid authorization token". */
function parseUnverified(token: string): ParsedToken | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  const [h, p, s] = parts as [string, string, string];
  if (!SEGMENT.test(h) || !SEGMENT.test(p) || !SEGMENT.test(s)) return undefined;
  const header = jsonObject(h);
  const payload = jsonObject(p);
  if (header === undefined || payload === undefined) return undefined;
  const alg = header.alg;
  if (typeof alg !== "string" || !KNOWN_ALGS.has(alg)) return undefined;
  const num = (v: unknown): number | undefined | null =>
    v === undefined || v === null ? undefined : typeof v === "number" && Number.isFinite(v) ? v : null;
  const exp = num(payload.exp);
  const nbf = num(payload.nbf);
  if (exp === null || nbf === null || num(payload.iat) === null) return undefined;
  const iss = payload.iss ?? "";
  if (typeof iss !== "string") return undefined;
  const sip = payload.sip;
  if (sip !== undefined && sip !== null && (typeof sip !== "object" || Array.isArray(sip))) return undefined;
  const admin = sip ? (sip as Record<string, unknown>).admin : undefined;
  if (admin !== undefined && admin !== null && typeof admin !== "boolean") return undefined;
  return {
    header: { alg },
    claims: { iss, ...(exp === undefined ? {} : { exp }), ...(nbf === undefined ? {} : { nbf }), sipAdmin: admin === true },
    signingInput: `${h}.${p}`,
    signature: s,
  };
}

function jsonObject(segment: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

// Pure apart from the HMAC (node:crypto). Builds the short-lived HS256 token the SIP API needs
// and caches it, so calls reuse one token until shortly before it expires. An HS256 JWT is three
// base64url parts and one HMAC: node:crypto signs it synchronously, without loading a JOSE
// library and WebCrypto at the start of every command (the emulator verifies with jose).
import { createHmac } from "node:crypto";

/** The Node SDK's service clients use 10 minutes (livekit-sip-api.md §4.1); never longer. */
export const MAX_TOKEN_TTL_SECONDS = 600;
/** Re-sign when less than this is left, so a token never expires in flight (server leeway is 60 s, §4.2). */
export const TOKEN_REFRESH_MARGIN_SECONDS = 60;

export interface AccessTokenInput {
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly nowMs: number;
  readonly ttlSeconds: number;
}

/**
 * Claims `{ sip: { admin: true }, iss, nbf, exp }`, header `{ alg: "HS256" }` (livekit-sip-api.md
 * §4.1). `exp` is required by the newest server (§4.2). The video grant is irrelevant here.
 */
export async function createAccessToken(o: AccessTokenInput): Promise<string> {
  return signAccessToken(o);
}

/** `{"alg":"HS256"}`, base64url: the same protected header for every token. */
const HEADER = Buffer.from(JSON.stringify({ alg: "HS256" })).toString("base64url");

/** The token of createAccessToken, signed synchronously (compact JWS, RFC 7515 §7.1). */
export function signAccessToken(o: AccessTokenInput): string {
  const ttl = Math.min(MAX_TOKEN_TTL_SECONDS, Math.max(1, Math.floor(o.ttlSeconds)));
  const nbf = Math.floor(o.nowMs / 1000);
  // Claim order as jose's SignJWT writes them: the grant, then iss, nbf, exp.
  const payload = Buffer.from(JSON.stringify({ sip: { admin: true }, iss: o.apiKey, nbf, exp: nbf + ttl })).toString("base64url");
  const input = `${HEADER}.${payload}`;
  // The secret as UTF-8 bytes, as TextEncoder gives them.
  const signature = createHmac("sha256", Buffer.from(o.apiSecret, "utf8")).update(input).digest("base64url");
  return `${input}.${signature}`;
}

export interface TokenSource {
  /** A valid token; signs a new one only when none is cached or the cached one is near expiry. */
  get(): Promise<string>;
}

export function createTokenSource(o: { apiKey: string; apiSecret: string; now: () => number; ttlSeconds?: number }): TokenSource {
  const ttl = Math.min(MAX_TOKEN_TTL_SECONDS, o.ttlSeconds ?? MAX_TOKEN_TTL_SECONDS);
  let cached: { token: string; expiresAtMs: number } | undefined;
  return {
    async get(): Promise<string> {
      const nowMs = o.now();
      if (cached === undefined || cached.expiresAtMs - nowMs < TOKEN_REFRESH_MARGIN_SECONDS * 1000) {
        // Signed synchronously: a failure rejects this call and caches nothing.
        const token = signAccessToken({ apiKey: o.apiKey, apiSecret: o.apiSecret, nowMs, ttlSeconds: ttl });
        cached = { token, expiresAtMs: (Math.floor(nowMs / 1000) + ttl) * 1000 };
      }
      return cached.token;
    },
  };
}

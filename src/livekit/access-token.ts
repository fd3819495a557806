// Pure apart from the HMAC (jose). Builds the short-lived HS256 token the SIP API needs and
// caches it, so calls reuse one token until shortly before it expires.
import { SignJWT } from "jose";

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
  const ttl = Math.min(MAX_TOKEN_TTL_SECONDS, Math.max(1, Math.floor(o.ttlSeconds)));
  const nbf = Math.floor(o.nowMs / 1000);
  return new SignJWT({ sip: { admin: true } })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(o.apiKey)
    .setNotBefore(nbf)
    .setExpirationTime(nbf + ttl)
    .sign(new TextEncoder().encode(o.apiSecret));
}

export interface TokenSource {
  /** A valid token; signs a new one only when none is cached or the cached one is near expiry. */
  get(): Promise<string>;
}

export function createTokenSource(o: { apiKey: string; apiSecret: string; now: () => number; ttlSeconds?: number }): TokenSource {
  const ttl = Math.min(MAX_TOKEN_TTL_SECONDS, o.ttlSeconds ?? MAX_TOKEN_TTL_SECONDS);
  let cached: { token: Promise<string>; expiresAtMs: number } | undefined;
  return {
    get(): Promise<string> {
      const nowMs = o.now();
      if (cached === undefined || cached.expiresAtMs - nowMs < TOKEN_REFRESH_MARGIN_SECONDS * 1000) {
        const expiresAtMs = (Math.floor(nowMs / 1000) + ttl) * 1000;
        const token = createAccessToken({ apiKey: o.apiKey, apiSecret: o.apiSecret, nowMs, ttlSeconds: ttl });
        const entry = { token, expiresAtMs };
        cached = entry;
        // A failed signing must not stick: the next call signs again.
        token.catch(() => {
          if (cached === entry) cached = undefined;
        });
      }
      return cached.token;
    },
  };
}

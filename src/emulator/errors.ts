// Pure. Twirp error values and their HTTP statuses (livekit-sip-api.md §7), as the emulator
// answers them: expected failures are values, never thrown.
import type { TwirpCode } from "../model/index.js";

export interface TwirpFailure {
  readonly code: TwirpCode;
  readonly msg: string;
  readonly meta?: Readonly<Record<string, string>>;
}

/** twitchtv/twirp ServerHTTPStatusFromErrorCode (§7). */
export const TWIRP_STATUS: Readonly<Record<TwirpCode, number>> = {
  canceled: 408,
  unknown: 500,
  invalid_argument: 400,
  malformed: 400,
  deadline_exceeded: 408,
  not_found: 404,
  bad_route: 404,
  already_exists: 409,
  permission_denied: 403,
  unauthenticated: 401,
  resource_exhausted: 429,
  failed_precondition: 412,
  aborted: 409,
  out_of_range: 400,
  unimplemented: 501,
  internal: 500,
  unavailable: 503,
  data_loss: 500,
};

export function isTwirpCode(code: string): code is TwirpCode {
  return Object.hasOwn(TWIRP_STATUS, code);
}

export const fail = (code: TwirpCode, msg: string, meta?: Readonly<Record<string, string>>): TwirpFailure =>
  meta === undefined ? { code, msg } : { code, msg, meta };

/** The twerrJSON body: `meta` is omitted when empty (omitempty). */
export function twirpErrorBody(f: TwirpFailure): string {
  const meta = f.meta !== undefined && Object.keys(f.meta).length > 0 ? f.meta : undefined;
  return JSON.stringify(meta === undefined ? { code: f.code, msg: f.msg } : { code: f.code, msg: f.msg, meta });
}

/** Generated Twirp badRouteError: the meta names the method and path (§1, §6). */
export function badRoute(msg: string, httpMethod: string, path: string): TwirpFailure {
  return fail("bad_route", msg, { twirp_invalid_route: `${httpMethod} ${path}` });
}

/** Go's %q for the ASCII texts these messages quote. */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

export const MSG = {
  malformed: "the json request could not be decoded",
  permissionsDenied: "permissions denied",
  notFound: "requested sip dispatch rule does not exist",
} as const;

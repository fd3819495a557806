// Pure types. The few thrown errors (STYLE §8.7): only the unexpected is thrown, and only
// main.ts turns an AppError into an exit code.
import type { Diagnostic } from "./diagnostic.js";

export const EXIT = { ok: 0, error: 1, changes: 2, refused: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class AppError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly exitCode: ExitCode;
  constructor(code: string, message: string, options: { hint?: string; exitCode?: ExitCode; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? EXIT.error;
  }
}

/** Wrong flags or arguments. */
export class UsageError extends AppError {
  constructor(message: string, hint?: string) {
    super("usage", message, hint === undefined ? {} : { hint });
  }
}

/** The rules file could not be used; `diagnostics` holds every problem found. */
export class ConfigError extends AppError {
  readonly diagnostics: readonly Diagnostic[];
  constructor(diagnostics: readonly Diagnostic[]) {
    super("invalid-config", `${diagnostics.length} problem(s) in the rules file`, {
      hint: "fix the errors above; nothing was changed on the server",
    });
    this.diagnostics = diagnostics;
  }
}

/** Twirp error codes (livekit-sip-api.md §7), plus codes for failures that never reached Twirp. */
export type TwirpCode =
  | "canceled" | "unknown" | "invalid_argument" | "malformed" | "deadline_exceeded" | "not_found"
  | "bad_route" | "already_exists" | "permission_denied" | "unauthenticated" | "resource_exhausted"
  | "failed_precondition" | "aborted" | "out_of_range" | "unimplemented" | "internal" | "unavailable"
  | "data_loss";
export type ApiErrorCode = TwirpCode | "network" | "timeout" | "bad_response";

export type SipMethod = "ListSIPDispatchRule" | "CreateSIPDispatchRule" | "UpdateSIPDispatchRule" | "DeleteSIPDispatchRule" | TrunkMethod;
/**
 * The inbound-trunk methods (livekit-sip-api.md §11.1): the tool only lists (SPEC §8, read-only);
 * the emulator also creates and deletes for tests and demos. A trunk is deleted with
 * DeleteSIPTrunk: the server has no DeleteSIPInboundTrunk.
 */
export type TrunkMethod = "ListSIPInboundTrunk" | "CreateSIPInboundTrunk" | "DeleteSIPTrunk";

/** One failed call to the LiveKit SIP API. */
export class ApiError extends AppError {
  readonly method: SipMethod;
  readonly twirpCode: ApiErrorCode;
  /** HTTP status, 0 when no response arrived. */
  readonly status: number;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  /** True when the request may have taken effect on the server (a write whose outcome is unknown). */
  readonly ambiguous: boolean;
  /**
   * True when the answer was a Twirp JSON error body (`{code, msg}`), false for a code derived from
   * the HTTP status of some other body (a proxy's bare 404) or from a transport failure.
   */
  readonly twirpBody: boolean;
  constructor(init: {
    method: SipMethod;
    twirpCode: ApiErrorCode;
    status: number;
    message: string;
    retryable: boolean;
    retryAfterMs?: number;
    ambiguous?: boolean;
    twirpBody?: boolean;
    hint?: string;
    cause?: unknown;
  }) {
    super(`api-${init.twirpCode}`, `${init.method}: ${init.message}`, {
      ...(init.hint === undefined ? {} : { hint: init.hint }),
      cause: init.cause,
    });
    this.method = init.method;
    this.twirpCode = init.twirpCode;
    this.status = init.status;
    this.retryable = init.retryable;
    this.retryAfterMs = init.retryAfterMs;
    this.ambiguous = init.ambiguous ?? false;
    this.twirpBody = init.twirpBody ?? false;
  }
}

/** The server changed since a saved plan was made (SPEC §3 `apply PLAN.json`). */
export class StalePlanError extends AppError {
  constructor(message: string, hint = "the server or the file changed since this plan was saved; run plan again") {
    super("stale-plan", message, { hint });
  }
}

/** A bug: something that must not happen did. */
export class InternalError extends AppError {
  constructor(message: string, cause?: unknown) {
    super("internal", `internal error: ${message}`, {
      hint: "this is a bug in sip-dispatch-sync; please report it with the command line you ran",
      cause,
    });
  }
}

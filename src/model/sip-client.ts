// Pure types. What the rest of the program needs from a LiveKit server; src/livekit implements it.
import type { RemoteRule, RuleSpec } from "./rule.js";

export interface SipClient {
  /** The HTTP base URL, for plan output (`server`). */
  readonly server: string;
  /**
   * Every dispatch rule on the server. Complete or throws ApiError: a partial list is never
   * returned (SPEC §5 fail closed). Aborting `signal` ends the request and its retries: the
   * promise rejects with the signal's reason.
   */
  listRules(options?: { readonly signal?: AbortSignal }): Promise<readonly RemoteRule[]>;
  /** CreateSIPDispatchRule; never blindly retried after an ambiguous failure. */
  createRule(spec: RuleSpec): Promise<RemoteRule>;
  /** UpdateSIPDispatchRule with `replace` (full rule, ID kept). bad_route means "no Update here". */
  updateRule(id: string, spec: RuleSpec): Promise<RemoteRule>;
  /** DeleteSIPDispatchRule; throws ApiError not_found when the rule is already gone. */
  deleteRule(id: string): Promise<void>;
  /** Whether the server has UpdateSIPDispatchRule (probed without side effects, cached). */
  supportsUpdate(): Promise<boolean>;
}

/**
 * An inbound trunk as the tool keeps it: ID and name only. The List answer also carries
 * auth_password, auth_username and headers in clear (livekit-sip-api.md §11.1): they are dropped
 * while decoding and never held, logged, saved or printed.
 */
export interface InboundTrunk {
  readonly id: string;
  readonly name: string;
}

/** ListSIPInboundTrunk, every page (SPEC §8); complete or throws ApiError. */
export interface InboundTrunkLister {
  listInboundTrunks(options?: { readonly signal?: AbortSignal }): Promise<readonly InboundTrunk[]>;
}

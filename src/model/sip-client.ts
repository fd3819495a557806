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
  /**
   * The rules with these IDs that exist now (a List with `dispatch_rule_ids`, livekit-sip-api.md
   * §5.4): the second read that confirms a rule before its duplicates are deleted (SPEC §4).
   */
  listRulesByIds(ids: readonly string[], options?: { readonly signal?: AbortSignal }): Promise<readonly RemoteRule[]>;
  /** CreateSIPDispatchRule; never blindly retried after an ambiguous failure. */
  createRule(spec: RuleSpec, base?: Readonly<Record<string, unknown>>): Promise<RemoteRule>;
  /**
   * UpdateSIPDispatchRule with `replace` (full rule, ID kept). `base` is the rule as listed
   * (RemoteRule.raw): the replacement is it with `spec`'s fields overlaid, so fields this version
   * does not manage are carried, not cleared (SPEC §4). bad_route means "no Update here".
   */
  updateRule(id: string, spec: RuleSpec, base?: Readonly<Record<string, unknown>>): Promise<RemoteRule>;
  /** DeleteSIPDispatchRule; throws ApiError not_found when the rule is already gone. */
  deleteRule(id: string): Promise<void>;
  /**
   * Whether to plan updates as UpdateSIPDispatchRule: true unless an Update of this client got a
   * Twirp bad_route. Sends no request (read-only commands never touch a write method, SPEC §4).
   */
  supportsUpdate(): Promise<boolean>;
  /**
   * What the last full listing proved about the server's version (livekit-sip-api.md §11.2), or
   * undefined before one: src/livekit/server-version.ts versionFloor, the one reading `doctor`
   * prints too; `plan` and `apply` log it at debug level.
   */
  versionFloor?(): VersionFloor | undefined;
}

/**
 * What a List answer proves about the server (livekit-sip-api.md §11.2): one reading for the
 * client (page 1 of every rule list) and for `doctor` (issue #12).
 */
export interface VersionFloor {
  /** The highest release the keys prove ([major, minor, patch]), or undefined when nothing is proven. */
  readonly atLeast: readonly [major: number, minor: number, patch: number] | undefined;
  /** `atLeast` as text (e.g. "v1.12.0"), or undefined. */
  readonly floor: string | undefined;
  /** The keys that prove it, oldest release first (e.g. ["numbers", "created_at", "media"]). */
  readonly evidence: readonly string[];
  /** true when the floor proves UpdateSIPDispatchRule exists (v1.9.0); undefined = cannot tell. */
  readonly update: true | undefined;
  /** Whether the rules answer emits default values (so that an absent key means the server lacks it). */
  readonly emitsDefaults: boolean;
  /** Fields of the file (camelCase paths) the server does not store: their key is absent although defaults are emitted. */
  readonly missingFields: readonly string[];
  /** Listed rules the reading looked at. */
  readonly items: number;
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

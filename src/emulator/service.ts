// Pure. The four dispatch-rule methods (and the inbound-trunk ones, trunks.ts) of the server's SIP service on the rule table
// (livekit-sip-api.md §5.2–§5.5), after decoding and the grant check. Returns the response body
// or a Twirp failure; never throws for a bad request.
import type { SipMethod } from "../model/index.js";
import { assertNever } from "../model/index.js";
import type { Canonical, CanonicalMessage } from "./decode.js";
import type { TwirpFailure } from "./errors.js";
import { MSG, fail } from "./errors.js";
import type { RuleInfo, RuleUpdateMsg } from "./rule-info.js";
import { applyRuleUpdate, emptyInfo, upgrade, validateInfo, validateRuleUpdate, withInfo } from "./rule-info.js";
import type { RuleStore } from "./store.js";
import { sharesTrunkOrWildcard } from "./store.js";
import { createTrunk, deleteTrunk, listTrunks, type TrunkCallContext, type TrunkStore } from "./trunks.js";

export interface EmulatorFeatures {
  /** false = a server before v1.9.0: UpdateSIPDispatchRule is `no handler for path` (§6). */
  readonly update: boolean;
  /** false = a server before v1.9.0: Create's `dispatch_rule` is an unknown field, dropped (§6). */
  readonly dispatchRuleField: boolean;
  /**
   * Test-only: cap every List response at `page.limit` (or at this size when no limit is sent),
   * like a paging server would; the OSS server returns everything after `after_id` (§5.4).
   */
  readonly pageSize: number | undefined;
  /**
   * Test-only: act as a server NEWER than the pinned @livekit/protocol: fields and enum values
   * outside its descriptors are stored and listed (not dropped), and `replace` clears every field
   * the request lacks, as the real server does (livekit-sip-api.md §5.3). Off = faithful to §3.1.
   */
  readonly newerServer: boolean;
}
export const DEFAULT_FEATURES: EmulatorFeatures = { update: true, dispatchRuleField: true, pageSize: undefined, newerServer: false };

export type CallResult =
  | { readonly ok: true; readonly body: string; readonly changed: boolean }
  | { readonly ok: false; readonly failure: TwirpFailure };

export interface CallContext {
  readonly store: RuleStore;
  readonly features: EmulatorFeatures;
  readonly newId: () => string;
  readonly trunks: TrunkStore;
  readonly newTrunkId: () => string;
}

const invalid = (msg: string): CallResult => ({ ok: false, failure: fail("invalid_argument", msg) });
const notFound: CallResult = { ok: false, failure: fail("not_found", MSG.notFound) };
const asRuleInfo = (m: Canonical | undefined): RuleInfo | null => (m === undefined || m === null ? null : (m as unknown as RuleInfo));

export function callMethod(method: SipMethod, req: CanonicalMessage, ctx: CallContext): CallResult {
  switch (method) {
    case "CreateSIPDispatchRule":
      return create(req, ctx);
    case "UpdateSIPDispatchRule":
      return update(req, ctx);
    case "ListSIPDispatchRule":
      return list(req, ctx);
    case "DeleteSIPDispatchRule":
      return remove(req, ctx);
    case "ListSIPInboundTrunk":
      return listTrunks(req, trunkContext(ctx));
    case "CreateSIPInboundTrunk":
      return createTrunk(req, trunkContext(ctx));
    case "DeleteSIPTrunk":
      return deleteTrunk(req, trunkContext(ctx));
    default:
      return assertNever(method, "method");
  }
}

function trunkContext(ctx: CallContext): TrunkCallContext {
  return { trunks: ctx.trunks, newTrunkId: ctx.newTrunkId, pageSize: ctx.features.pageSize };
}

/** §5.2, §2.7. */
function create(req: CanonicalMessage, ctx: CallContext): CallResult {
  const wrapped = asRuleInfo(req.dispatch_rule);
  let info: RuleInfo;
  if (wrapped !== null) {
    // Upgrade() runs before Validate(); only the dispatch_rule form is upgraded.
    info = upgrade(wrapped);
    if (info.sip_dispatch_rule_id !== "") return invalid("rule id must not be set");
  } else {
    // DispatchRuleInfo() from the nine legacy fields; numbers, krisp and media cannot be set here.
    info = withInfo(emptyInfo(), {
      rule: req.rule ?? null,
      trunk_ids: req.trunk_ids ?? [],
      inbound_numbers: req.inbound_numbers ?? [],
      hide_phone_number: req.hide_phone_number ?? false,
      name: req.name ?? "",
      metadata: req.metadata ?? "",
      attributes: req.attributes ?? {},
      room_preset: req.room_preset ?? "",
      room_config: req.room_config ?? null,
    });
  }
  const problem = validateInfo(info);
  if (problem !== undefined) return invalid(problem);
  // The ID stays empty during the check so the message can say "<new>".
  info = withInfo(info, { sip_dispatch_rule_id: "" });
  const conflict = ctx.store.checkCreate(info, (req.trunk_ids ?? []) as readonly string[]);
  if (conflict !== undefined) return { ok: false, failure: conflict };
  let id = ctx.newId();
  while (ctx.store.has(id)) id = ctx.newId();
  ctx.store.put(withInfo(info, { sip_dispatch_rule_id: id }));
  return { ok: true, body: ctx.store.jsonOf(id) ?? "{}", changed: true };
}

/** §5.3: Validate(), load, apply the action, the conflict check over the new trunks, store. */
function update(req: CanonicalMessage, ctx: CallContext): CallResult {
  const id = req.sip_dispatch_rule_id as string;
  if (id === "") return invalid("rule id must be set");
  const replace = asRuleInfo(req.replace);
  const diff = req.update === undefined || req.update === null ? null : (req.update as unknown as RuleUpdateMsg);
  if (replace === null && diff === null) return invalid("missing or unsupported update action");
  if (replace !== null) {
    if (replace.sip_dispatch_rule_id !== "" && replace.sip_dispatch_rule_id !== id) {
      return invalid("rule id in the info must be empty or match the id in the update");
    }
    const problem = validateInfo(replace);
    if (problem !== undefined) return invalid(problem);
  } else if (diff !== null) {
    const problem = validateRuleUpdate(diff);
    if (problem !== undefined) return invalid(problem);
  }
  const stored = ctx.store.get(id);
  if (stored === undefined) return notFound;
  // replace: a full overwrite keeping the ID, no Upgrade (media stays null when omitted).
  const next = replace !== null ? withInfo(replace, { sip_dispatch_rule_id: id }) : applyRuleUpdate(stored, diff as RuleUpdateMsg);
  const problem = validateInfo(next);
  if (problem !== undefined) return invalid(problem);
  const conflict = ctx.store.checkUpdate(id, next);
  if (conflict !== undefined) return { ok: false, failure: conflict };
  ctx.store.put(next);
  return { ok: true, body: ctx.store.jsonOf(id) ?? "{}", changed: true };
}

/** §5.4: filter, sort by ID, everything after `after_id` in one response (unless pageSize says otherwise). */
function list(req: CanonicalMessage, ctx: CallContext): CallResult {
  const page = req.page as { after_id: string; limit: number } | null;
  const ids = req.dispatch_rule_ids as readonly string[];
  const trunks = req.trunk_ids as readonly string[];
  const idSet = ids.length === 0 ? undefined : new Set(ids);
  const keep = (info: RuleInfo) => (idSet === undefined || idSet.has(info.sip_dispatch_rule_id)) && sharesTrunkOrWildcard(info, trunks);
  const cap = ctx.features.pageSize;
  const max = cap === undefined ? Infinity : page !== null && page.limit > 0 ? Math.min(page.limit, cap) : cap;
  const items = ctx.store.listJson(keep, page?.after_id ?? "", max);
  return { ok: true, body: `{"items":[${items.join(",")}]}`, changed: false };
}

/** §5.5. */
function remove(req: CanonicalMessage, ctx: CallContext): CallResult {
  const id = req.sip_dispatch_rule_id as string;
  if (id === "") return invalid("dispatch rule ID is required");
  const body = ctx.store.jsonOf(id);
  if (body === undefined) return notFound;
  ctx.store.delete(id);
  return { ok: true, body, changed: true };
}


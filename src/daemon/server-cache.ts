// Pure (no I/O): the daemon's view of the server between full lists (issue 19). A file edit is
// planned against the rules of the last full list plus the answers to this daemon's own writes
// (a Create or Update answer is the rule as stored; a Delete removes it), so its cost does not
// grow with the server. The view is only a guess about the server: before a write or a delete,
// the affected rules are read again by ID (ListSIPDispatchRule with dispatch_rule_ids,
// livekit-sip-api.md §2.4, §5.4) and compared with it (staleIds); on any difference the view is
// dropped and the run lists everything and plans again. A write error or an unknown outcome drops
// it as well. What a by-ID read cannot see (there is no name filter, §5.4): a rule another writer
// created since the last list. A create planned from the view may then meet a rule of the same
// name; the server refuses a clash of keys (the run fails and the next one lists everything),
// and two rules of one name are the duplicates SPEC §4 resolves on the next full list (at most
// --interval later): the one equal to the file is kept, the other deleted after a second read.
import type { Change, RemoteRule, SipClient } from "../model/index.js";

export interface ServerCache {
  /** The rules as this daemon last knew them, sorted by ID, or undefined when a full list is due. */
  rules(): readonly RemoteRule[] | undefined;
  /** False when a full list is due (nothing known yet, or the view was dropped). */
  readonly valid: boolean;
  /** Changes every time the view changes or is dropped (a plan made from an older view is void). */
  readonly epoch: number;
  /** After a full list: the view is exactly that list. */
  replace(listed: readonly RemoteRule[]): void;
  /** A write error, an unknown outcome, a stale rule found by a confirm: list everything next. */
  drop(): void;
  /** A Create or Update answer: the rule as the server stored it. */
  stored(rule: RemoteRule): void;
  /** A Delete that succeeded (or found the rule already gone). */
  removed(id: string): void;
  /** The known rule of this ID, if any. */
  get(id: string): RemoteRule | undefined;
}

export function createServerCache(): ServerCache {
  let byId: Map<string, RemoteRule> | undefined;
  /** The sorted array handed to the planner, rebuilt only after a change. */
  let sorted: readonly RemoteRule[] | undefined;
  let epoch = 0;
  const changed = (): void => {
    sorted = undefined;
    epoch += 1;
  };
  return {
    rules() {
      if (byId === undefined) return undefined;
      sorted ??= [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return sorted;
    },
    get valid() {
      return byId !== undefined;
    },
    get epoch() {
      return epoch;
    },
    replace(listed) {
      byId = new Map(listed.map((r) => [r.id, r]));
      changed();
      // The list is sorted by ID already (the client sorts it): keep it as the planner's array.
      sorted = listed;
    },
    drop() {
      if (byId === undefined) return;
      byId = undefined;
      changed();
    },
    stored(rule) {
      if (byId === undefined) return;
      byId.set(rule.id, rule);
      changed();
    },
    removed(id) {
      if (byId === undefined) return;
      if (byId.delete(id)) changed();
    },
    get(id) {
      return byId?.get(id);
    },
  };
}

/**
 * The IDs a plan's changes act on, to read again before applying it: every updated and deleted
 * rule, and the kept rule of a duplicate's delete. Creates have none (see the head comment).
 */
export function idsToConfirm(changes: readonly Change[]): string[] {
  const ids = new Set<string>();
  for (const c of changes) {
    if (c.action === "update") ids.add(c.id);
    else if (c.action === "delete") {
      ids.add(c.id);
      if (c.keptId !== undefined) ids.add(c.keptId);
    }
  }
  return [...ids].sort();
}

/**
 * The IDs whose rule on the server (`found`, a by-ID read of `ids`) differs from the view: gone,
 * changed in any field (the whole JSON as listed is compared, fields this version does not
 * manage included), or present while the view lacks it. Empty: the view holds for these rules.
 */
export function staleIds(cache: Pick<ServerCache, "get">, ids: readonly string[], found: readonly RemoteRule[]): string[] {
  const seen = new Map(found.map((r) => [r.id, r]));
  const stale: string[] = [];
  for (const id of ids) {
    const known = cache.get(id);
    const now = seen.get(id);
    if (known === undefined || now === undefined || !sameRule(known, now)) stale.push(id);
  }
  return stale;
}

/** Equal as the server holds them: the listed JSON when both have it, else the decoded spec. */
export function sameRule(a: RemoteRule, b: RemoteRule): boolean {
  if (a.id !== b.id) return false;
  if (a.raw !== undefined && b.raw !== undefined) return canonicalJson(a.raw) === canonicalJson(b.raw);
  return canonicalJson(a.spec) === canonicalJson(b.spec) && canonicalJson(a.kept ?? []) === canonicalJson(b.kept ?? []) && canonicalJson(a.opaque ?? []) === canonicalJson(b.opaque ?? []);
}

/** JSON with object keys sorted (key order is no difference between two answers of one server). */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = (v as Record<string, unknown>)[k];
    return out;
  });
}

/**
 * The client the applier writes through: the same calls, and each answer recorded in the view
 * (a create or update stores the rule as answered; a delete, also one that found the rule already
 * gone, removes it). A failed write changes nothing here: the caller drops the view after any
 * failure.
 */
export function recordingClient(client: SipClient, cache: ServerCache): SipClient {
  return {
    get server() {
      return client.server;
    },
    listRules: (options) => client.listRules(options),
    listRulesByIds: (ids, options) => client.listRulesByIds(ids, options),
    createRule: async (spec, base) => {
      const rule = await client.createRule(spec, base);
      cache.stored(rule);
      return rule;
    },
    updateRule: async (id, spec, base) => {
      const rule = await client.updateRule(id, spec, base);
      // An update keeps the ID; should an answer carry another one, the old entry goes too.
      if (rule.id !== id) cache.removed(id);
      cache.stored(rule);
      return rule;
    },
    deleteRule: async (id) => {
      try {
        await client.deleteRule(id);
      } catch (err) {
        // not_found: already gone (livekit-sip-api.md §5.5); the applier counts it as done.
        if (isNotFound(err)) cache.removed(id);
        throw err;
      }
      cache.removed(id);
    },
    supportsUpdate: () => client.supportsUpdate(),
    ...(client.versionFloor === undefined ? {} : { versionFloor: () => client.versionFloor?.() }),
  };
}

function isNotFound(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { twirpCode?: unknown }).twirpCode === "not_found";
}

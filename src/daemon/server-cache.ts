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
// The view keeps each rule's ID, decoded spec and opaque values only, not the rule's JSON as listed
// (`raw`, most of a listed rule's memory) nor `kept` (computed from it): only an update needs them,
// as the base of its replace body, and an update is always confirmed first, so withFreshBases
// takes both from that read, the newest the server has. Fields this version does not manage are
// thus carried as the server holds them at the write, and a difference in them alone is no reason
// to list everything.
import { setOwn, type Change, type Plan, type RemoteRule, type RuleSpec, type SipClient } from "../model/index.js";

export interface ServerCache {
  /** The rules as this daemon last knew them, sorted by ID, or undefined when a full list is due. */
  rules(): readonly RemoteRule[] | undefined;
  /** False when a full list is due (nothing known yet, or the view was dropped). */
  readonly valid: boolean;
  /** Changes every time the view changes or is dropped (a plan made from an older view is void). */
  readonly epoch: number;
  /**
   * After a full list: the view is exactly that list. `desired` (the file's rules the run planned
   * with): the parts of a listed rule equal to the file rule of its name are kept as the file's
   * objects, not as copies (see shareEqual).
   */
  replace(listed: readonly RemoteRule[], desired?: readonly { readonly spec: RuleSpec }[]): void;
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
    replace(listed, desired) {
      // The list is sorted by ID already (the client sorts it): its order is the planner's array.
      const byName = desired === undefined ? undefined : new Map(desired.map((d) => [d.spec.name, d.spec]));
      const kept = listed.map((r) => compact(r, byName?.get(r.spec.name)));
      byId = new Map(kept.map((r) => [r.id, r]));
      changed();
      sorted = kept;
    },
    drop() {
      if (byId === undefined) return;
      byId = undefined;
      changed();
    },
    stored(rule) {
      if (byId === undefined) return;
      byId.set(rule.id, compact(rule));
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
 * What the view keeps of a rule: its ID, spec and opaque values (see the head comment), the spec's
 * parts equal to `desired`'s shared with it.
 */
function compact(rule: RemoteRule, desired?: RuleSpec): RemoteRule {
  const spec = desired === undefined ? rule.spec : (shareEqual(rule.spec, desired) as RuleSpec);
  return rule.opaque === undefined ? { id: rule.id, spec } : { id: rule.id, spec, opaque: rule.opaque };
}

/**
 * `listed` with every part equal to the same part of `desired` (the same keys, in any order, and
 * equal values) replaced by that part of `desired` (values are never mutated, so sharing is
 * safe): the same data, for the planner and for staleIds, in the memory of one copy. A
 * daemon keeps the file's rules and its view of the server; in sync, the two are equal but for
 * the few fields a server writes differently (a `false` it omits), and at 100,000 realistic rules
 * the view's own copies were about 70 MB. Key order is the listed one, but for a part equal as a
 * whole (the file's object, in its order: key order is no difference to either reader).
 */
export function shareEqual(listed: unknown, desired: unknown): unknown {
  if (listed === desired) return desired;
  if (typeof listed !== "object" || listed === null || typeof desired !== "object" || desired === null) return listed;
  if (Array.isArray(listed)) return Array.isArray(desired) ? shareArray(listed, desired) : listed;
  return Array.isArray(desired) ? listed : shareObject(listed as Record<string, unknown>, desired as Record<string, unknown>);
}

/**
 * Whether `shared` (what shareEqual gave for `listed` against `desired`) must be written in its
 * place: another object, or a string equal to the file's (=== cannot tell the two copies apart).
 */
function mustWrite(listed: unknown, shared: unknown, desired: unknown): boolean {
  return typeof listed === "string" ? listed === desired : listed !== shared;
}

function shareArray(listed: readonly unknown[], desired: readonly unknown[]): unknown {
  let out: unknown[] | undefined;
  let all = listed.length === desired.length;
  for (let i = 0; i < listed.length; i++) {
    const v: unknown = listed[i];
    const d: unknown = desired[i];
    const s = shareEqual(v, d);
    if (s !== d) all = false;
    if (!mustWrite(v, s, d)) continue;
    out ??= listed.slice();
    out[i] = s;
  }
  return all ? desired : (out ?? listed);
}

function shareObject(listed: Record<string, unknown>, desired: Record<string, unknown>): unknown {
  let out: Record<string, unknown> | undefined;
  let all = true;
  let n = 0;
  for (const k in listed) {
    if (!Object.hasOwn(listed, k)) continue;
    n += 1;
    const v = listed[k];
    const d = Object.hasOwn(desired, k) ? desired[k] : undefined;
    const s = shareEqual(v, d);
    if (s !== d) all = false;
    if (!mustWrite(v, s, d)) continue;
    out ??= { ...listed };
    setOwn(out, k, s);
  }
  if (all) {
    for (const k in desired) if (Object.hasOwn(desired, k)) n -= 1;
    if (n === 0) return desired;
  }
  return out ?? listed;
}

/**
 * The plan with every update's replace base and kept fields taken from the confirming read
 * (`fresh`, whose rules equal the view's by staleIds): a plan made from the view has neither.
 * An update whose rule the read lacks is impossible after a confirm; it is left without a base.
 */
export function withFreshBases(plan: Plan, fresh: readonly RemoteRule[]): Plan {
  if (!plan.changes.some((c) => c.action === "update")) return plan;
  const byId = new Map(fresh.map((r) => [r.id, r]));
  const changes = plan.changes.map((c): Change => {
    if (c.action !== "update") return c;
    const rule = byId.get(c.id);
    if (rule === undefined) return c;
    const { base: _base, kept: _kept, ...rest } = c;
    const kept = rule.kept;
    const raw = rule.raw;
    return { ...rest, ...(kept === undefined ? {} : { kept }), ...(raw === undefined ? {} : { base: raw }) };
  });
  // The fingerprint stays lazy (it hashes every rule of the view).
  return {
    changes,
    summary: plan.summary,
    refusal: plan.refusal,
    warnings: plan.warnings,
    get fingerprint() {
      return plan.fingerprint;
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
 * changed in any field this version manages (or in a value it cannot read), or present while the
 * view lacks it. Empty: the view holds for these rules.
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

/**
 * Equal as far as a plan can tell: the same ID, decoded spec and opaque values. Fields this
 * version does not manage are not compared: the write takes them from the confirming read.
 */
export function sameRule(a: RemoteRule, b: RemoteRule): boolean {
  return a.id === b.id && canonicalJson(a.spec) === canonicalJson(b.spec) && canonicalJson(a.opaque ?? []) === canonicalJson(b.opaque ?? []);
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

// Pure. The in-memory rule table: rules by ID kept sorted, each with its emitted JSON cached
// (a 2,000-rule List is a string join), and an index of conflict keys so a Create or Update
// that cannot conflict is accepted in O(its own keys). When the index cannot rule a conflict
// out, the server's validator is replayed exactly (livekit-sip-api.md §5.2, §5.3) so the error
// names the same rule the server would.
import type { TwirpFailure } from "./errors.js";
import { fail } from "./errors.js";
import type { RuleInfo } from "./rule-info.js";
import { conflictKeys } from "./rule-info.js";

interface StoredRule {
  readonly info: RuleInfo;
  readonly json: string;
  readonly keys: readonly string[] | undefined;
}

const printID = (id: string) => (id === "" ? "<new>" : id);
const printName = (name: string) => (name === "" ? "<blank name>" : name);

/** GetPinAndRoom's psrpc InvalidArgument error as it reaches the wire (§5.2, derived). */
export const UNSUPPORTED_RULE: TwirpFailure = fail("invalid_argument", "twirp error unknown: unsupported SIP Dispatch Rule: <nil>");

/** ListSIPDispatchRuleRequest.Filter's trunk part (§5.4): wildcard rules always pass. */
export function sharesTrunkOrWildcard(info: RuleInfo, trunkIds: readonly string[]): boolean {
  if (trunkIds.length === 0 || info.trunk_ids.length === 0) return true;
  return info.trunk_ids.some((t) => trunkIds.includes(t));
}

/**
 * sip.DispatchRuleValidator over `rules` in order: the first rule that reuses a key already seen
 * (its own included) fails, naming the rule that took the key first.
 */
export function replayValidator(rules: Iterable<RuleInfo>): TwirpFailure | undefined {
  const byKey = new Map<string, RuleInfo>();
  for (const r of rules) {
    const keys = conflictKeys(r);
    if (keys === undefined) return UNSUPPORTED_RULE;
    for (const k of keys) {
      const r2 = byKey.get(k);
      if (r2 !== undefined) {
        return fail(
          "invalid_argument",
          `Dispatch rule for the same trunk, inbound number, number, and PIN combination already exists in dispatch rule ${JSON.stringify(printID(r2.sip_dispatch_rule_id))} ${JSON.stringify(printName(r2.name))}`,
        );
      }
      byKey.set(k, r);
    }
  }
  return undefined;
}

export class RuleStore {
  private readonly byId = new Map<string, StoredRule>();
  private sortedIds: string[] = [];
  /** Conflict key -> IDs holding it, with repeats. */
  private readonly holders = new Map<string, string[]>();
  /** Keys held twice or more: any such key means a pre-existing conflict. */
  private conflictedKeys = 0;
  /** Stored rules without a variant (possible through seed): they fail every validation. */
  private variantless = 0;

  get size(): number {
    return this.byId.size;
  }

  get(id: string): RuleInfo | undefined {
    return this.byId.get(id)?.info;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Inserts or replaces by ID. */
  put(info: RuleInfo): void {
    const id = info.sip_dispatch_rule_id;
    if (this.byId.has(id)) this.unindex(id);
    else this.sortedIds.splice(lowerBound(this.sortedIds, id), 0, id);
    const keys = conflictKeys(info);
    this.byId.set(id, { info, json: JSON.stringify(info), keys });
    if (keys === undefined) this.variantless++;
    else {
      for (const k of keys) {
        const list = this.holders.get(k);
        if (list === undefined) this.holders.set(k, [id]);
        else if (list.push(id) === 2) this.conflictedKeys++;
      }
    }
  }

  delete(id: string): RuleInfo | undefined {
    const rec = this.byId.get(id);
    if (rec === undefined) return undefined;
    this.unindex(id);
    this.byId.delete(id);
    const i = lowerBound(this.sortedIds, id);
    if (this.sortedIds[i] === id) this.sortedIds.splice(i, 1);
    return rec.info;
  }

  clear(): void {
    this.byId.clear();
    this.sortedIds = [];
    this.holders.clear();
    this.conflictedKeys = 0;
    this.variantless = 0;
  }

  /** Rules sorted by ID (strings.Compare order for the ASCII IDs the server makes). */
  *sorted(): Generator<RuleInfo> {
    for (const id of this.sortedIds) {
      const rec = this.byId.get(id);
      if (rec) yield rec.info;
    }
  }

  /** The cached JSON of each rule passing `keep`, sorted by ID, after `afterId`, at most `max`. */
  listJson(keep: (info: RuleInfo) => boolean, afterId: string, max: number): string[] {
    const out: string[] = [];
    const start = afterId === "" ? 0 : upperBound(this.sortedIds, afterId);
    for (let i = start; i < this.sortedIds.length && out.length < max; i++) {
      const rec = this.byId.get(this.sortedIds[i] ?? "");
      if (rec && keep(rec.info)) out.push(rec.json);
    }
    return out;
  }

  jsonOf(id: string): string | undefined {
    return this.byId.get(id)?.json;
  }

  /**
   * Create's check (§5.2): the stored rules, filtered by the request's legacy top-level
   * `trunk_ids`, interleaved with the new rule (iters.MultiIter alternates: first stored rule,
   * the new one, then the rest — derived), through the validator.
   */
  checkCreate(info: RuleInfo, legacyTrunkFilter: readonly string[]): TwirpFailure | undefined {
    if (this.cannotConflict(info, undefined)) return undefined;
    const stored = [...this.sorted()].filter((r) => sharesTrunkOrWildcard(r, legacyTrunkFilter));
    const sequence = stored.length === 0 ? [info] : [stored[0] as RuleInfo, info, ...stored.slice(1)];
    return replayValidator(sequence);
  }

  /**
   * Update's check (§5.3): the stored rules filtered by the NEW trunk IDs, the updated one
   * replacing its stored version. Faithful to the server's gap: when the stored rule's old trunks
   * are disjoint from the new ones, it is filtered out and the new version is never checked.
   */
  checkUpdate(id: string, info: RuleInfo): TwirpFailure | undefined {
    if (this.cannotConflict(info, id)) return undefined;
    const sequence: RuleInfo[] = [];
    for (const r of this.sorted()) {
      if (!sharesTrunkOrWildcard(r, info.trunk_ids)) continue;
      sequence.push(r.sip_dispatch_rule_id === id ? info : r);
    }
    return replayValidator(sequence);
  }

  /** True when no ordering of any subset could fail: no stored conflict, and `info` takes only free keys. */
  private cannotConflict(info: RuleInfo, selfId: string | undefined): boolean {
    if (this.conflictedKeys > 0 || this.variantless > 0) return false;
    const keys = conflictKeys(info);
    if (keys === undefined) return false;
    const own = new Set<string>();
    for (const k of keys) {
      if (own.has(k)) return false;
      own.add(k);
      const list = this.holders.get(k);
      if (list !== undefined && list.some((h) => h !== selfId)) return false;
    }
    return true;
  }

  private unindex(id: string): void {
    const rec = this.byId.get(id);
    if (rec === undefined) return;
    if (rec.keys === undefined) {
      this.variantless--;
      return;
    }
    for (const k of rec.keys) {
      const list = this.holders.get(k);
      if (list === undefined) continue;
      const i = list.indexOf(id);
      if (i < 0) continue;
      list.splice(i, 1);
      if (list.length === 1) this.conflictedKeys--;
      if (list.length === 0) this.holders.delete(k);
    }
  }
}

function lowerBound(arr: readonly string[], x: string): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((arr[mid] as string) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(arr: readonly string[], x: string): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((arr[mid] as string) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// Pure. Conflicts the plan cannot order away (livekit-sip-api.md §5.2): a rule the plan writes
// that shares a conflict key with a server rule the plan leaves alone (refused), and conflicts
// already on the server between untouched rules (warned: they make every create fail).
import { conflictKeysOf, conflictKeyId, describeConflictKey, isSingleKey, keyListOf, normalizeNumber, pinOf, type ConflictKey, type Refusal, type RemoteRule, type RuleSpec } from "../model/index.js";
import { StringIndex } from "./string-index.js";

/** A server rule the plan leaves alone, and why. */
export interface UntouchedRule {
  readonly rule: RemoteRule;
  readonly why: "unmanaged" | "kept" | "outside-names" | "unchanged";
}

/** A rule the plan creates or updates, with its desired spec. */
export interface WrittenRule {
  readonly name: string;
  readonly spec: RuleSpec;
}

function label(r: RemoteRule): string {
  return `${r.id} ${r.spec.name === "" ? "<blank name>" : JSON.stringify(r.spec.name)}`;
}

function whyText(why: UntouchedRule["why"]): string {
  switch (why) {
    case "unmanaged":
      return "not managed by this file";
    case "kept":
      return "not in the file, kept because prune is false";
    case "outside-names":
      return "left out by --names";
    case "unchanged":
      return "unchanged";
  }
}

/** A refusal when a written rule meets an unmanaged (or kept) rule; the unchanged are the file's own. */
export function checkUnmanagedConflicts(written: readonly WrittenRule[], untouched: readonly UntouchedRule[]): Refusal | null {
  return checkBlockingConflicts(written, untouched.filter((u) => u.why !== "unchanged"));
}

/** checkUnmanagedConflicts given only the blockers: the untouched rules that are not "unchanged". */
export function checkBlockingConflicts(written: readonly WrittenRule[], blockers: readonly UntouchedRule[]): Refusal | null {
  const byKey = new Map<string, UntouchedRule>();
  for (const b of blockers) for (const k of conflictKeysOf(b.rule.spec)) if (!byKey.has(conflictKeyId(k))) byKey.set(conflictKeyId(k), b);
  const found: string[] = [];
  for (const w of written) {
    for (const k of conflictKeysOf(w.spec)) {
      const b = byKey.get(conflictKeyId(k));
      if (b === undefined) continue;
      found.push(`rule ${JSON.stringify(w.name)} conflicts with server rule ${label(b.rule)} (${whyText(b.why)}) on ${describeConflictKey(k)}`);
      break;
    }
  }
  if (found.length === 0) return null;
  const shown = found.slice(0, 5).join("; ") + (found.length > 5 ? `; and ${found.length - 5} more` : "");
  return {
    code: "unmanaged-conflict",
    message: `the server would reject ${found.length === 1 ? "a rule" : `${found.length} rules`} of the file: ${shown}`,
    hint: "change the file's rule (trunks, numbers or pin), or bring the server rule under `manage` (give it a name that matches) so the plan can change it; --force does not override this",
    forceable: false,
  };
}

/** One conflict key of rule `owner`, in a bucket's list. */
interface KeyEntry {
  readonly owner: number;
  readonly pin: string;
  readonly trunk: string;
  readonly inbound: string;
  readonly number: string;
  readonly next: KeyEntry | undefined;
}

/** Longer bucket lists are left to the full check, so that this one stays linear. */
const MAX_BUCKET = 8;

/** The one conflict key of a rule with a single key (isSingleKey), as a bucket entry. */
function singleKeyEntry(rules: readonly RemoteRule[], owner: number): KeyEntry {
  const key = conflictKeysOf((rules[owner] as RemoteRule).spec)[0] as ConflictKey;
  return { owner, pin: key.pin, trunk: key.trunk, inbound: key.inboundNumber, number: key.number, next: undefined };
}

/**
 * False only when no two of the rules share a conflict key (conflictKeysOf); true when they may.
 * Keys are bucketed by their first non-empty part among number, inbound number, trunk, pin (equal
 * keys share a bucket) and compared in full within it, without building key strings. Anything
 * unusual (a part that is not a string, a crowded bucket) answers true: the full check decides.
 *
 * A bucket is a number in `index`: 2 x owner for the one key of a rule with a single key (one
 * trunk, inbound number and number at most; its parts are read again on a collision, so the usual
 * bucket costs no object), or 2 x i + 1 for the list `lists[i]`.
 */
function mayShareKey(rules: readonly RemoteRule[]): boolean {
  const index = new StringIndex(rules.length);
  const lists: KeyEntry[] = [];
  for (let owner = 0; owner < rules.length; owner++) {
    const spec = (rules[owner] as RemoteRule).spec;
    const pin: unknown = pinOf(spec);
    if (typeof pin !== "string") return true;
    const trunks = keyListOf(spec.trunkIds);
    const inbounds = keyListOf(spec.inboundNumbers);
    const numbers = keyListOf(spec.numbers);
    const single = isSingleKey(trunks, inbounds, numbers);
    for (const trunk of trunks) {
      if (typeof trunk !== "string") return true;
      for (const inboundRaw of inbounds) {
        if (typeof inboundRaw !== "string") return true;
        const inbound = normalizeNumber(inboundRaw);
        for (const numberRaw of numbers) {
          if (typeof numberRaw !== "string") return true;
          const number = normalizeNumber(numberRaw);
          const key: string = number !== "" ? number : inbound !== "" ? inbound : trunk !== "" ? trunk : pin;
          const found = single ? index.add(key, 2 * owner) : index.get(key);
          if (single && found < 0) continue;
          const head: KeyEntry | undefined = found < 0 ? undefined : found % 2 === 0 ? singleKeyEntry(rules, found / 2) : lists[(found - 1) / 2];
          let length = 0;
          for (let e: KeyEntry | undefined = head; e !== undefined; e = e.next) {
            if (e.owner !== owner && e.number === number && e.inbound === inbound && e.trunk === trunk && e.pin === pin) return true;
            length += 1;
            if (length >= MAX_BUCKET) return true;
          }
          lists.push({ owner, pin, trunk, inbound, number, next: head });
          const code = 2 * (lists.length - 1) + 1;
          if (found < 0) index.add(key, code);
          else index.set(key, code);
        }
      }
    }
  }
  return false;
}

/** Warnings for conflicts that already exist between rules the plan leaves alone. */
export function preExistingConflictWarnings(untouched: readonly UntouchedRule[]): string[] {
  return preExistingConflicts(untouched.map((u) => u.rule));
}

/** preExistingConflictWarnings for the untouched rules themselves (the reason does not matter here). */
export function preExistingConflicts(rules: readonly RemoteRule[]): string[] {
  if (!mayShareKey(rules)) return [];
  const seen = new Map<string, RemoteRule>();
  const reported = new Set<string>();
  const out: string[] = [];
  for (const rule of rules) {
    for (const k of conflictKeysOf(rule.spec)) {
      const id = conflictKeyId(k);
      const other = seen.get(id);
      if (other === undefined) {
        seen.set(id, rule);
        continue;
      }
      const pair = `${other.id}\u0000${rule.id}`;
      if (reported.has(pair)) continue;
      reported.add(pair);
      out.push(
        `server rules ${label(other)} and ${label(rule)} already conflict on ${describeConflictKey(k)}; the server rejects every create until one of them changes`,
      );
    }
  }
  return out;
}

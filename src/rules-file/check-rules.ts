// Pure. The offline checks beyond the schema, run in order over one context: unique names,
// the server's media limits, and the server's conflict rule (livekit-sip-api.md §5.2), each
// naming both rules and their lines. Pins are never printed: a key says "pin (sensitive)".
import { conflictKeysOf, conflictKeyId, describeConflictKey, keyListOf, normalizeNumber, type ConflictKey, type Diagnostic, type RuleSpec } from "../model/index.js";
import { diagnosticAt, keyOrValueOffset, valueOffset, type PathSegment, type SourceIndex } from "./positions.js";

export interface RuleEntry {
  /** Position in `rules`. */
  readonly index: number;
  /** The rule's name when it is a non-empty string (even if the rule has other problems). */
  readonly name: string | undefined;
  /** Set only for rules without schema errors: the checks below need a well-formed rule. */
  readonly spec: RuleSpec | undefined;
}

export interface CheckContext {
  readonly rules: readonly RuleEntry[];
  readonly source: SourceIndex;
}

type Check = (ctx: CheckContext) => Diagnostic[];

/** `MaxSIPMediaTimeout = 10 * time.Minute` (livekit-sip-api.md §5.2). */
export const MAX_MEDIA_TIMEOUT_SECONDS = 600;

function namePath(i: number): PathSegment[] {
  return ["rules", i, "name"];
}

function where(ctx: CheckContext, i: number): { line: number; column: number; offset: number | undefined } {
  const offset = keyOrValueOffset(ctx.source, namePath(i)) ?? valueOffset(ctx.source, ["rules", i]);
  const pos = offset === undefined ? { line: 0, column: 0 } : ctx.source.locate(offset);
  return { ...pos, offset };
}

function related(ctx: CheckContext, i: number): Diagnostic["related"] {
  const w = where(ctx, i);
  return [{ file: ctx.source.file, line: w.line, column: w.column, path: `rules[${i}].name` }];
}

/**
 * Names seen twice. One set insertion per name, its size telling a name seen before; only a file
 * with a duplicate pays for the index of each name's first rule (duplicateNames).
 */
export const uniqueNames: Check = (ctx) => {
  const seen = new Set<string>();
  const rules = ctx.rules;
  for (let at = 0; at < rules.length; at++) {
    const name = (rules[at] as RuleEntry).name;
    if (name === undefined) continue;
    const before = seen.size;
    if (seen.add(name).size === before) return duplicateNames(ctx);
  }
  return [];
};

function duplicateNames(ctx: CheckContext): Diagnostic[] {
  const first = new Map<string, number>();
  const out: Diagnostic[] = [];
  for (const r of ctx.rules) {
    if (r.name === undefined) continue;
    const prev = first.get(r.name);
    if (prev === undefined) {
      first.set(r.name, r.index);
      continue;
    }
    out.push(
      diagnosticAt(ctx.source, keyOrValueOffset(ctx.source, [...namePath(r.index)]), namePath(r.index), {
        code: "duplicate-name",
        message: `duplicate rule name \`${r.name}\`: rules[${prev}] (line ${where(ctx, prev).line}) has it too`,
        hint: "rule names must be unique: they match the rules on the server; rename one of them",
        related: related(ctx, prev),
      }),
    );
  }
  return out;
}

function seconds(duration: string): number {
  return Number(duration.slice(0, -1));
}

export const mediaTimeoutInRange: Check = (ctx) => {
  const out: Diagnostic[] = [];
  const rules = ctx.rules;
  for (let at = 0; at < rules.length; at++) {
    const r = rules[at] as RuleEntry;
    const t = r.spec?.media?.mediaTimeout;
    if (t === undefined || seconds(t) <= MAX_MEDIA_TIMEOUT_SECONDS) continue;
    const path = ["rules", r.index, "media", "mediaTimeout"];
    out.push(
      diagnosticAt(ctx.source, valueOffset(ctx.source, path), path, {
        code: "media-timeout-too-long",
        message: `\`mediaTimeout\` ${t} is over the server's maximum of 10 minutes`,
        hint: `use at most "${MAX_MEDIA_TIMEOUT_SECONDS}s"; the server rejects longer timeouts`,
      }),
    );
  }
  return out;
};

/**
 * The rules that may share a conflict key with another rule, each with its keys: those with a
 * key whose number another rule's key has too (two keys are equal only when their numbers are).
 * The others can neither conflict nor be the rule a conflict names, so the check below skips them,
 * and with them the building and hashing of a key id per rule: in a file of rules with numbers of
 * their own, that was most of the check (about 120 ms at 100,000 rules).
 */
function mayConflict(rules: readonly RuleEntry[]): { readonly rule: RuleEntry; readonly keys: readonly ConflictKey[] }[] {
  // Numbers first, without a key object per rule: the numbers of a rule's keys are exactly its
  // numbers, normalised (an empty list: ""). One set insertion per number, its size telling a
  // number seen before (a lookup and then an insertion into a table of 100,000 numbers cost twice
  // as much); a file whose numbers are all distinct needs nothing more. Indexed loops: a for-of
  // in code that runs once allocated an iterator result per rule.
  const seen = new Set<string>();
  /** Numbers that two rules have (a rule that lists one number twice is not two rules). */
  let shared: Set<string> | undefined;
  for (let at = 0; at < rules.length; at++) {
    const spec = (rules[at] as RuleEntry).spec;
    if (spec === undefined) continue;
    const numbers = keyListOf(spec.numbers);
    if (numbers.length === 1) {
      const number = normalizeNumber(numbers[0] as string);
      const before = seen.size;
      if (seen.add(number).size === before) (shared ??= new Set()).add(number);
      continue;
    }
    for (const number of new Set(numbers.map(normalizeNumber))) {
      const before = seen.size;
      if (seen.add(number).size === before) (shared ??= new Set()).add(number);
    }
  }
  if (shared === undefined) return [];
  const keyed: { readonly rule: RuleEntry; readonly keys: readonly ConflictKey[] }[] = [];
  for (let at = 0; at < rules.length; at++) {
    const rule = rules[at] as RuleEntry;
    if (rule.spec === undefined) continue;
    const numbers = keyListOf(rule.spec.numbers);
    for (let j = 0; j < numbers.length; j++) {
      if (!shared.has(normalizeNumber(numbers[j] as string))) continue;
      keyed.push({ rule, keys: conflictKeysOf(rule.spec) });
      break;
    }
  }
  return keyed;
}

/** Two rules that share a (pin, trunk, inbound number, number) key: the server refuses the second. */
export const noServerConflicts: Check = (ctx) => {
  const owner = new Map<string, number>();
  const reported = new Set<string>();
  const out: Diagnostic[] = [];
  // By index, not ctx.rules.find(...) per conflict: 150,000 conflicting rules made that quadratic.
  // Made at the first conflict: most files have none.
  let byIndex: Map<number, RuleEntry> | undefined;
  for (const { rule: r, keys } of mayConflict(ctx.rules)) {
    for (const key of keys) {
      const id = conflictKeyId(key);
      const prev = owner.get(id);
      if (prev === undefined) {
        owner.set(id, r.index);
        continue;
      }
      const pair = `${prev}:${r.index}`;
      if (prev === r.index || reported.has(pair)) continue;
      reported.add(pair);
      byIndex ??= new Map(ctx.rules.map((entry) => [entry.index, entry]));
      const other = byIndex.get(prev);
      const w = where(ctx, r.index);
      out.push(
        diagnosticAt(ctx.source, w.offset, namePath(r.index), {
          code: "rule-conflict",
          message: `rule \`${r.name ?? `rules[${r.index}]`}\` conflicts with rule \`${other?.name ?? `rules[${prev}]`}\` (line ${where(ctx, prev).line}): both match ${describeConflictKey(key)}`,
          hint: "the server rejects two rules with the same pin, trunk, inbound number and number (an empty list counts as any): give one of them different `trunkIds`, `numbers` or `inboundNumbers`, or a different pin",
          related: related(ctx, prev),
        }),
      );
    }
  }
  return out;
};

/** The number lists of a rule, for the checks here and the lints. */
export const NUMBER_FIELDS = ["numbers", "inboundNumbers"] as const;

/**
 * A rule that conflicts with itself: two spellings in `numbers` or `inboundNumbers` that the
 * server's NormalizeNumber makes one ("+1 (555) 123-4567" and "15551234567", livekit-sip-api.md
 * §5.2). The server's validator checks a rule against itself and refuses it.
 */
export const noSelfConflicts: Check = (ctx) => {
  const out: Diagnostic[] = [];
  const rules = ctx.rules;
  for (let at = 0; at < rules.length; at++) {
    const r = rules[at] as RuleEntry;
    for (const field of NUMBER_FIELDS) {
      const list: unknown = r.spec?.[field];
      if (!Array.isArray(list) || list.length < 2) continue;
      const first = new Map<string, number>();
      for (const [i, n] of list.entries()) {
        if (typeof n !== "string") continue;
        const key = normalizeNumber(n);
        const j = first.get(key);
        if (j === undefined) {
          first.set(key, i);
          continue;
        }
        if (list[j] === n) continue; // the same string twice is one value (a set)
        const path = ["rules", r.index, field, i];
        out.push(
          diagnosticAt(ctx.source, valueOffset(ctx.source, path), path, {
            code: "rule-self-conflict",
            message: `rule \`${r.name ?? `rules[${r.index}]`}\` conflicts with itself: ${JSON.stringify(n)} and ${JSON.stringify(list[j])} in \`${field}\` are the same number to the server (${key})`,
            hint: `keep one spelling; the server normalises numbers for its conflict check and rejects the rule`,
          }),
        );
      }
    }
  }
  return out;
};

export const RULE_CHECKS: readonly Check[] = [uniqueNames, mediaTimeoutInRange, noServerConflicts, noSelfConflicts];

export function checkRules(ctx: CheckContext): Diagnostic[] {
  return RULE_CHECKS.flatMap((check) => check(ctx));
}

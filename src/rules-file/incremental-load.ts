// Pure (state kept in memory, no I/O). loadRulesText for a file that is loaded again and again
// (`watch`): after one full load, an edit is loaded from the rules that changed only, so the cost
// of an edit grows with the edit, not with the file (issue 19: at 100,000 rules a full load takes
// about a second; a one-rule edit is loaded in a few tens of milliseconds plus the file-wide
// checks).
//
// The answer is always loadRulesText's own, value for value: the incremental path is taken only
// when it can give exactly that, and any doubt loads the whole file. The file is cut into its
// header (up to the first item of the root `rules:` block sequence), one chunk per rule item, and
// its trailer (the root keys after that block). The text that differs from the last load's (after
// their common start and before their common end) is cut into chunks again; a chunk equal to the
// last load's at the same place keeps that rule; a changed chunk is loaded alone, as a file of the
// header, that chunk and the trailer (so anchors, `manage` and the top-level settings are what they
// are in the whole file). Names and conflict keys are counted across loads, so the file-wide
// checks cost what the edit costs. The whole file is loaded instead when:
// - the header or the trailer changed, or there was no good last load to start from;
// - the file defines environments, holds a CR, a tab, a BOM or is not UTF-8, or its rules are not a
//   block sequence of indented `- ` items;
// - any rule defines an anchor (`&`: another rule may alias it; only the header's may be used),
//   or a changed chunk holds a merge-conflict
//   marker or a character the loader refuses, or does not load alone as exactly one rule without
//   problems or warnings (its diagnostics must come from the whole file, with its lines);
// - the file-wide checks (unique names, the server's conflict rule) find anything;
// - the values aliases and merge keys expanded to, added up over the edits, pass the whole file's
//   budget (maxAliasExpansion): each rule alone is held only to its small text's budget;
// - more than MAX_CHANGED rules changed (a wide edit is cheaper to load whole).
// A chunk is a real rule item because the last load's chunks were (their count equalled its rule
// count, and every item starts with a `- ` line at the items' column), and a changed chunk must
// load alone as exactly one rule that ends where the chunk ends.
import { conflictKeyIds, type DesiredRule, type DesiredState, type RuleSpec, type SourceLocation } from "../model/index.js";
import { trunkNamePlaceholder } from "./environments.js";
import { maxAliasExpansion, UNHANDLED_CHARS } from "./fast-yaml.js";
import { desiredRule, loadRulesTextCounted, mayHoldMergeMarker, MAX_FILE_BYTES, strictUtf8, type LoadOptions, type LoadResult } from "./load-rules-text.js";

/** Beyond this many changed rules an edit is loaded whole. */
export const MAX_CHANGED = 2000;

/** What is kept of one rule between loads. */
interface RuleRecord {
  readonly spec: RuleSpec;
  readonly trunks: readonly string[] | undefined;
  /** The name the file-wide check counts (undefined for none), and the rule's conflict key ids. */
  readonly name: string | undefined;
  readonly keys: readonly string[];
  /** Its `name` position relative to its chunk's first line (line 0), made when first asked. */
  readonly relative: () => Relative;
}

interface LastLoad {
  readonly text: string;
  readonly file: string;
  readonly options: LoadOptions;
  /** `\n` + the items' indent + `-`: how an item's line starts. */
  readonly item: string;
  /** Where the first item starts (the header is text[0, first)) and where the trailer starts. */
  readonly first: number;
  readonly end: number;
  /** Start offset and 1-based line of each item. */
  readonly starts: readonly number[];
  readonly lines: Int32Array;
  readonly records: readonly RuleRecord[];
  readonly desired: readonly DesiredRule[];
  /** How many rules hold each name and each conflict key (at most one each: the file is valid). */
  readonly names: Map<string, number>;
  readonly keys: Map<string, number>;
  readonly state: DesiredState;
  /**
   * Values the aliases and merge keys expanded to: the last whole load's, plus those of every
   * chunk loaded alone since (each with the header's and the trailer's own; a replaced rule's are
   * not taken off). Never less than the whole file's: past maxAliasExpansion of the text the whole
   * file is loaded, and reports the alias bomb as it would. Each chunk alone is bounded by its own
   * small text's budget, which a file of many such chunks would exceed.
   */
  readonly aliasValues: number;
}

export interface IncrementalLoader {
  /** loadRulesText(input, file, options), answered from the last load where that gives the same. */
  load(input: string | Uint8Array, file: string, options: LoadOptions): LoadResult;
  /** Whether the last load was answered incrementally (for tests and debug logs). */
  readonly lastWasIncremental: boolean;
}

const RULES_KEY = /^rules:[ ]*(?:#[^\n]*)?$/m;
/** A line with content at column 0 (a comment is not content): in the items, it ends them. */
const COLUMN_ZERO = /\n[^ \n#]/g;

/** The cut of `text` into header, items and trailer, or undefined when its rules are not indented `- ` block items. */
function chunkRules(text: string): { readonly item: string; readonly first: number; readonly starts: number[]; readonly end: number } | undefined {
  const key = RULES_KEY.exec(text);
  if (key === null) return undefined;
  // One `rules:` at the root: a second one is a duplicate key, for the whole load to report.
  const keyEnd = key.index + key[0].length;
  if (RULES_KEY.test(text.slice(keyEnd))) return undefined;
  // The first content line after `rules:` is the first item: `  - ` at some column > 0.
  let lineStart = keyEnd + 1;
  let indent = -1;
  while (lineStart < text.length) {
    const nl = text.indexOf("\n", lineStart);
    const lineEnd = nl === -1 ? text.length : nl;
    let i = lineStart;
    while (i < lineEnd && text.charCodeAt(i) === 0x20) i++;
    if (i < lineEnd && text.charCodeAt(i) !== 0x23) {
      if (i === lineStart || text.charCodeAt(i) !== 0x2d || !(i + 1 === lineEnd || text.charCodeAt(i + 1) === 0x20)) return undefined;
      indent = i - lineStart;
      break;
    }
    if (nl === -1) return undefined;
    lineStart = nl + 1;
  }
  if (indent < 0) return undefined;
  const first = lineStart;
  COLUMN_ZERO.lastIndex = first;
  const t = COLUMN_ZERO.exec(text);
  const end = t === null ? text.length : t.index + 1;
  const item = `\n${" ".repeat(indent)}-`;
  return { item, first, starts: itemStarts(text, item, first, end), end };
}

/** The item starts in text[from, to), `from` being one: `- value` or `-` alone on its line, not `-x` or `--`. */
function itemStarts(text: string, item: string, from: number, to: number): number[] {
  const starts = [from];
  for (let at = text.indexOf(item, from); at !== -1 && at < to - 1; at = text.indexOf(item, at + 1)) {
    const after = at + item.length;
    const c = text.charCodeAt(after);
    if (c === 0x20 || c === 0x0a || after === text.length) starts.push(at + 1);
  }
  return starts;
}

/** Whether text[at] starts an item line (`item` without its `\n`). */
function startsItem(text: string, item: string, at: number): boolean {
  if (!text.startsWith(item.slice(1), at)) return false;
  const after = at + item.length - 1;
  const c = text.charCodeAt(after);
  return after === text.length || c === 0x20 || c === 0x0a;
}

const BLOCK = 1 << 16;

/** Length of the common start of a and b. */
function commonPrefix(a: string, b: string): number {
  const max = Math.min(a.length, b.length);
  let i = 0;
  while (i + BLOCK <= max && a.slice(i, i + BLOCK) === b.slice(i, i + BLOCK)) i += BLOCK;
  while (i < max && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/** Length of the common end of a and b, at most `max`. */
function commonSuffix(a: string, b: string, max: number): number {
  let i = 0;
  while (i + BLOCK <= max && a.slice(a.length - i - BLOCK, a.length - i) === b.slice(b.length - i - BLOCK, b.length - i)) i += BLOCK;
  while (i < max && a.charCodeAt(a.length - 1 - i) === b.charCodeAt(b.length - 1 - i)) i++;
  return i;
}

/** Largest index with starts[i] <= x (-1 when none). */
function lastAtOrBefore(starts: readonly number[], x: number): number {
  let lo = -1;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as number) <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Smallest index with starts[i] >= x (starts.length when none). */
function firstAtOrAfter(starts: readonly number[], x: number): number {
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((starts[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function countLines(s: string, from = 0, to = s.length): number {
  let n = 0;
  for (let nl = s.indexOf("\n", from); nl !== -1 && nl < to; nl = s.indexOf("\n", nl + 1)) n++;
  return n;
}

/** 1-based line of each start, counted in one pass. */
function linesOf(text: string, starts: readonly number[], firstLine = 1, from = 0): Int32Array {
  const lines = new Int32Array(starts.length);
  let line = firstLine;
  let at = from;
  for (let i = 0; i < starts.length; i++) {
    line += countLines(text, at, starts[i] as number);
    at = starts[i] as number;
    lines[i] = line;
  }
  return lines;
}

function recordOf(spec: RuleSpec, trunks: readonly string[] | undefined, relative: RuleRecord["relative"]): RuleRecord {
  // Offline, a trunk name stands for one unknown trunk (load-rules-text.ts does the same).
  const checked = trunks === undefined ? spec : { ...spec, trunkIds: [...(spec.trunkIds ?? []), ...trunks.map(trunkNamePlaceholder)] };
  return { spec, trunks, name: spec.name === "" ? undefined : spec.name, keys: conflictKeyIds(checked), relative };
}

/** The `loc` of ruleAt's rule: its record's position relative to the item, below the item's line. */
function locateRecord(at: { readonly file: string; readonly record: RuleRecord; readonly line: number }): SourceLocation {
  const rel = at.record.relative();
  return { file: at.file, line: at.line + rel.line, column: rel.column };
}

interface Relative {
  readonly line: number;
  readonly column: number;
}

/** A DesiredRule whose `loc` is its record's relative position below `line`: it holds no text. */
function ruleAt(file: string, record: RuleRecord, line: number): DesiredRule {
  return desiredRule(record.spec, record.trunks, locateRecord, { file, record, line });
}

/**
 * The relative position of a rule's `name`, from the whole load's `loc` (which asks its index) when
 * first needed. A function of its own: a closure made in the loop above would share the loop's
 * scope and keep `rule` (and through it the index, the text's line tables) for every rule.
 */
function askIndex(rule: DesiredRule, itemLine: number): () => Relative {
  let relative: Relative | undefined;
  return () => {
    if (relative === undefined) {
      const loc = rule.loc ?? { line: 0, column: 0 };
      relative = { line: loc.line - itemLine, column: loc.column };
    }
    return relative;
  };
}

function count(map: Map<string, number>, key: string, by: number): number {
  const n = (map.get(key) ?? 0) + by;
  if (n === 0) map.delete(key);
  else map.set(key, n);
  return n;
}

export function createIncrementalLoader(): IncrementalLoader {
  let last: LastLoad | undefined;
  let incremental = false;

  /** loadRulesText, keeping what the next load can start from when it can be kept. */
  function full(input: string | Uint8Array, file: string, options: LoadOptions, text: string | undefined): LoadResult {
    incremental = false;
    last = undefined;
    const { result, aliasValues } = loadRulesTextCounted(text ?? input, file, options);
    if (text === undefined || !result.ok || result.warnings.length > 0 || result.state.environment !== undefined) return result;
    const cut = chunkRules(text);
    if (cut === undefined || cut.starts.length !== result.state.rules.length) return result;
    // An anchor in a rule may be aliased by another: a rule's chunk would not load alone the same.
    if (text.slice(cut.first, cut.end).includes("&")) return result;
    const lines = linesOf(text, cut.starts);
    const names = new Map<string, number>();
    const keys = new Map<string, number>();
    // An item written `- name: ...` has its name key right after the dash: its position is known
    // without the whole file's index (which holds the text and its line tables), so what is kept
    // for the next load does not hold that index. Other items ask the index when first needed.
    const namedFirst = `${cut.item.slice(1)} name:`;
    const nameFirstAt = { line: 0, column: cut.item.length + 1 };
    // One function for all of them: no closure a rule.
    const atNameFirst = (): Relative => nameFirstAt;
    const records = result.state.rules.map((rule, i): RuleRecord => {
      const start = cut.starts[i] as number;
      const after = text.charCodeAt(start + namedFirst.length);
      const known = text.startsWith(namedFirst, start) && (after === 0x20 || after === 0x0a);
      const record = recordOf(rule.spec, rule.trunks, known ? atNameFirst : askIndex(rule, lines[i] as number));
      if (record.name !== undefined) count(names, record.name, 1);
      for (const k of record.keys) count(keys, k, 1);
      return record;
    });
    const desired = records.map((record, i) => ruleAt(file, record, lines[i] as number));
    const state = { ...result.state, rules: desired };
    last = { text, file, options, item: cut.item, first: cut.first, end: cut.end, starts: cut.starts, lines, records, desired, names, keys, state, aliasValues };
    // The kept state itself: an unchanged file is answered with this very object (the daemon
    // tells an unchanged file by it, e.g. for a fighting writer).
    return { ...result, state };
  }

  /** One changed chunk loaded alone, with its alias values; undefined when it does not load as exactly one rule without problems. */
  function loadChunk(header: string, chunk: string, trailer: string, file: string, options: LoadOptions): { readonly record: RuleRecord; readonly aliasValues: number } | undefined {
    if (chunk.includes("&") || UNHANDLED_CHARS.test(chunk) || mayHoldMergeMarker(chunk)) return undefined;
    const { result: alone, aliasValues } = loadRulesTextCounted(header + chunk + trailer, file, options);
    if (!alone.ok || alone.warnings.length > 0 || alone.state.rules.length !== 1) return undefined;
    const rule = alone.state.rules[0] as DesiredRule;
    const headerLines = countLines(header);
    // Its index is that of the small text of header, chunk and trailer.
    return { record: recordOf(rule.spec, rule.trunks, askIndex(rule, headerLines + 1)), aliasValues };
  }

  /** The incremental answer, or undefined when the whole file must be loaded. */
  function update(prev: LastLoad, text: string, file: string, options: LoadOptions): LoadResult | undefined {
    const oldText = prev.text;
    const pre = commonPrefix(oldText, text);
    // The header must be the same (its anchors, settings and `rules:` key).
    if (pre < prev.first) return undefined;
    if (pre === oldText.length && pre === text.length) return { ok: true, state: prev.state, warnings: [] };
    const suf = commonSuffix(oldText, text, Math.min(oldText.length, text.length) - pre);
    const oldChangeEnd = oldText.length - suf;
    // The trailer must be the same.
    if (oldChangeEnd > prev.end) return undefined;
    const m = prev.starts.length;
    // Old items [a, b) changed; in the new text they are replaced by what is in [from, to).
    const a = Math.max(0, lastAtOrBefore(prev.starts, pre));
    const b = Math.max(a, firstAtOrAfter(prev.starts, oldChangeEnd));
    const delta = text.length - oldText.length;
    const from = prev.starts[a] as number;
    const oldTo = b < m ? (prev.starts[b] as number) : prev.end;
    const to = oldTo + delta;
    if (to < from) return undefined;
    // What follows the region starts a line (the next item or the trailer).
    if (to < text.length && text.charCodeAt(to - 1) !== 0x0a) return undefined;
    let regionStarts: number[] = [];
    if (to > from) {
      if (!startsItem(text, prev.item, from)) return undefined;
      COLUMN_ZERO.lastIndex = from;
      const zero = COLUMN_ZERO.exec(text);
      if (zero !== null && zero.index + 1 < to) return undefined;
      regionStarts = itemStarts(text, prev.item, from, to);
    }
    const n = m - (b - a) + regionStarts.length;
    if (n === 0) return undefined;

    const header = text.slice(0, prev.first);
    const trailer = text.slice(prev.end + delta);
    let aliasValues = prev.aliasValues;
    const maxAliasValues = maxAliasExpansion(text.length);
    const pairwise = regionStarts.length === b - a;
    const regionRecords: RuleRecord[] = [];
    const removed: RuleRecord[] = [];
    const added: RuleRecord[] = [];
    for (let j = 0; j < regionStarts.length; j++) {
      const start = regionStarts[j] as number;
      const end = regionStarts[j + 1] ?? to;
      if (pairwise) {
        const oldStart = prev.starts[a + j] as number;
        const oldEnd = prev.starts[a + j + 1] ?? oldTo;
        if (oldEnd - oldStart === end - start && oldText.slice(oldStart, oldEnd) === text.slice(start, end)) {
          regionRecords.push(prev.records[a + j] as RuleRecord);
          continue;
        }
        removed.push(prev.records[a + j] as RuleRecord);
      }
      // A wide edit is cheaper to load whole than rule by rule.
      if (added.length === MAX_CHANGED) return undefined;
      const loaded = loadChunk(header, text.slice(start, end), trailer, file, options);
      if (loaded === undefined) return undefined;
      // Past the whole file's alias budget (counted high): the whole load decides.
      aliasValues += loaded.aliasValues;
      if (aliasValues > maxAliasValues) return undefined;
      regionRecords.push(loaded.record);
      added.push(loaded.record);
    }
    if (!pairwise) for (let i = a; i < b; i++) removed.push(prev.records[i] as RuleRecord);

    // The file-wide checks, counted: a name or a conflict key held twice is reported by the whole
    // load, with its lines. The counts are last's: the whole load replaces them all when it runs.
    for (const r of removed) {
      if (r.name !== undefined) count(prev.names, r.name, -1);
      for (const k of r.keys) count(prev.keys, k, -1);
    }
    let clash = false;
    for (const r of added) {
      if (r.name !== undefined && count(prev.names, r.name, 1) > 1) clash = true;
      for (const k of r.keys) if (count(prev.keys, k, 1) > 1) clash = true;
    }
    if (clash) return undefined;

    const lineDelta = countLines(text, from, to) - countLines(oldText, from, oldTo);
    const regionLines = linesOf(text, regionStarts, a < m ? (prev.lines[a] as number) : 1, from);
    const starts = prev.starts.slice(0, a);
    const lines = new Int32Array(n);
    lines.set(prev.lines.subarray(0, a), 0);
    const records = prev.records.slice(0, a);
    const desired = prev.desired.slice(0, a);
    for (let j = 0; j < regionStarts.length; j++) {
      const record = regionRecords[j] as RuleRecord;
      const line = regionLines[j] as number;
      starts.push(regionStarts[j] as number);
      lines[a + j] = line;
      records.push(record);
      desired.push(record === prev.records[a + j] && line === prev.lines[a + j] ? (prev.desired[a + j] as DesiredRule) : ruleAt(file, record, line));
    }
    for (let i = b; i < m; i++) {
      const line = (prev.lines[i] as number) + lineDelta;
      starts.push((prev.starts[i] as number) + delta);
      lines[a + regionStarts.length + (i - b)] = line;
      const record = prev.records[i] as RuleRecord;
      records.push(record);
      desired.push(lineDelta === 0 ? (prev.desired[i] as DesiredRule) : ruleAt(file, record, line));
    }
    const state: DesiredState = { ...prev.state, rules: desired };
    last = { ...prev, text, starts, lines, records, desired, state, end: prev.end + delta, aliasValues };
    return { ok: true, state, warnings: [] };
  }

  function load(input: string | Uint8Array, file: string, options: LoadOptions): LoadResult {
    let text: string | undefined;
    const size = typeof input === "string" ? input.length : input.byteLength;
    if (size <= (options.maxFileBytes ?? MAX_FILE_BYTES)) {
      text = typeof input === "string" ? input : strictUtf8(input);
    }
    // A BOM or a CR: the loader rewrites the text; a tab may separate an item's `-` from its
    // value, which the cut into chunks does not read. The whole load handles them (not kept).
    if (text !== undefined && (text.charCodeAt(0) === 0xfeff || text.includes("\r") || text.includes("\t"))) text = undefined;
    const prev = last;
    if (text === undefined || prev === undefined || prev.file !== file || !sameOptions(prev.options, options)) return full(input, file, options, text);
    const result = update(prev, text, file, options);
    if (result === undefined) return full(input, file, options, text);
    incremental = true;
    return result;
  }

  return {
    load,
    get lastWasIncremental() {
      return incremental;
    },
  };
}

function sameOptions(a: LoadOptions, b: LoadOptions): boolean {
  return a.env === b.env && a.environment === b.environment && a.maxFileBytes === b.maxFileBytes;
}

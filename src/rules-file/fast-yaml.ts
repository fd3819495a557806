// Pure. A fast parser for the YAML that rules files are written in: block mappings and sequences,
// one-line flow collections, plain and quoted scalars (quoted ones over several lines too), block
// scalars (`|`, `>`, with `-` / `+` chomping), anchors, aliases and `<<` merge keys, a leading
// `---` and a closing `...`, comments. It yields exactly what the `yaml`-library path of parseYaml
// yields (the value and the span of every value), and a fallback reason for anything outside that
// or in any doubt, so that the library path (and its messages) handles it.
import { setOwn } from "../model/index.js";
import { nonTextKey } from "./plain-key.js";
import { pointerOf, type NodeInfo, type PathSegment } from "./positions.js";

export interface FastYaml {
  readonly value: unknown;
  /**
   * By JSON pointer, in the order parseYaml records them (pre-order, document order). Built on
   * first use from the parser's compact records: a valid file never needs the Map, and for a large
   * file its pointers, paths and spans cost more than the value itself.
   */
  readonly nodes: Map<string, NodeInfo>;
  /**
   * `nodes.get(pointerOf(path))`, answered from the compact records without building `nodes`
   * (every rule's `loc` asks for its `name`). Not enumerable: the result compares as `{ value, nodes }`.
   */
  readonly lookup: (path: readonly PathSegment[]) => NodeInfo | undefined;
  /** The offset of each line's first character (what makeLocator would find). Not enumerable. */
  readonly lineStarts: Int32Array;
  /**
   * `nodes`, through a function that does not hold `value`: a source index kept for positions
   * (every rule's lazy `loc`) must not keep the whole parse tree alive. Not enumerable.
   */
  readonly nodesOf: () => Map<string, NodeInfo>;
  /**
   * Per root key whose value is a block sequence (`rules:`): for each item, the offset of its own
   * `name:` key, from the first pass (-1 where the item is no block mapping with one; a name a
   * `<<` merge brings in is not recorded). With lineStarts, a rule's position needs neither the
   * text nor a second pass. Not enumerable.
   */
  readonly nameKeys: (rootKey: string) => readonly number[] | undefined;
  /**
   * Values the aliases and merge keys expanded to, as the library path counts them against
   * maxAliasExpansion (the incremental loader adds them up over edits). Not enumerable.
   */
  readonly aliasValues: number;
}

/**
 * V8 makes a substring of this many characters or more a view of its parent string (a sliced
 * string, src/objects/string.h SlicedString::kMinLength): one such value keeps the whole text alive.
 */
const SLICED_FROM = 13;

/**
 * A copy of `s` that does not keep its parent alive: `s + " "` is flattened into a string of its
 * own, of which the result is a view. About 0.3 µs a string (28 ms for 100,000 values of 38
 * characters); the file's text it frees is 39 MB at 100,000 realistic rules.
 */
function ownString(s: string): string {
  return (s + " ").slice(0, -1);
}

/** Deeper files go to the library path, which reports `too-deep` past MAX_DEPTH (64). */
const MAX_FAST_DEPTH = 48;
/** The library flags implicit keys over 1024 characters in strict mode. */
const MAX_KEY_LENGTH = 1000;

/** `after` of an empty value: a collection may not end with one (see entryValue). */
const EMPTY_END = -1;

/** `parent` of the document node, and the key start of a value that is no mapping entry. */
const NONE = -1;

/** Thrown inside this module only: "not in the subset", caught by tryFastYaml. */
class Unsupported extends Error {}
function bail(reason = "a construct outside the fast YAML subset"): never {
  throw new Unsupported(reason);
}

/**
 * Values that aliases and merge keys may expand to in total: a real file needs far fewer than it
 * has bytes (a `<<: *defaults` per rule adds a few values to a rule of 300-400 bytes); an alias
 * bomb needs millions from a few lines. Shared with the library path (parse-yaml.ts), which
 * reports `alias-bomb` past it; the fast path falls back there.
 */
export function maxAliasExpansion(textLength: number): number {
  return Math.max(100_000, Math.floor(textLength / 16));
}

/** A value the document anchored (`&name`), for its aliases and merge keys. */
interface Anchor {
  readonly value: unknown;
  /** Its record and the end of its subtree's records (NodeRecords only; 0 and 0 otherwise). */
  readonly from: number;
  readonly to: number;
  /** Values the library walks for it: itself, its descendants and what its aliases expand to. */
  readonly size: number;
  /** Nesting levels below it. */
  readonly height: number;
  readonly isMap: boolean;
  /** A mapping's keys, listed once for all the merge keys that name it (empty for any other value). */
  readonly keys: readonly string[];
  /** Whether an alias was expanded inside it (the library's walk re-records those positions). */
  readonly hasAlias: boolean;
}

/** A copy of a parsed value, so that two aliases of one anchor never share an object. */
function cloneValue(v: unknown): unknown {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(cloneValue);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) setOwn(out, k, cloneValue((v as Record<string, unknown>)[k]));
  return out;
}

/** Nesting levels of a value (0 for a scalar). */
function heightOf(v: unknown): number {
  if (v === null || typeof v !== "object") return 0;
  let h = 0;
  for (const child of Array.isArray(v) ? v : Object.values(v)) h = Math.max(h, heightOf(child));
  return h + 1;
}

/** An anchor or alias name: conservative (the library allows more, which then falls back). */
const ANCHOR_NAME = /[A-Za-z0-9_][A-Za-z0-9_.-]*/y;

/**
 * Characters the fast path never handles: tabs, CR, C0/C1 controls, BOM, the Unicode line
 * separators. The library treats some of them specially; the file guard rejects most anyway.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const UNHANDLED_CHARS = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u2028\u2029\uFEFF]/;

const SP = 0x20;
const HASH = 0x23;
const COLON = 0x3a;
const DASH = 0x2d;

// The core schema's plain-scalar forms. Module constants: a regex literal in a function body is a
// new RegExp object on every call, and resolvePlain runs for every key and scalar of the file.
const CORE_NULL = /^(?:~|[Nn]ull|NULL)?$/;
const CORE_OCT = /^0o[0-7]+$/;
const CORE_INT = /^[-+]?[0-9]+$/;
const CORE_HEX = /^0x[0-9a-fA-F]+$/;
const CORE_INF_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const CORE_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const CORE_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

/** YAML 1.2 core schema, as the `yaml` package resolves plain scalars (schema/core/*.js). */
export function resolvePlain(s: string): unknown {
  const c = s.charCodeAt(0);
  // Fast exits: only these first characters can start a non-string core-schema value, and a
  // letter or `~` first can only be null, true or false, spelled exactly.
  if (c === 0x6e || c === 0x4e) return s === "null" || s === "Null" || s === "NULL" ? null : s;
  if (c === 0x74 || c === 0x54) return s === "true" || s === "True" || s === "TRUE" ? true : s;
  if (c === 0x66 || c === 0x46) return s === "false" || s === "False" || s === "FALSE" ? false : s;
  if (c === 0x7e) return s === "~" ? null : s;
  if (!(c === 0x2b || c === DASH || c === 0x2e || (c >= 0x30 && c <= 0x39)) && s !== "") return s;
  if (CORE_NULL.test(s)) return null;
  if (CORE_OCT.test(s)) return parseInt(s.substring(2), 8);
  if (CORE_INT.test(s)) return parseInt(s, 10);
  if (CORE_HEX.test(s)) return parseInt(s.substring(2), 16);
  if (CORE_INF_NAN.test(s)) return s.slice(-3).toLowerCase() === "nan" ? NaN : s[0] === "-" ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (CORE_EXP.test(s)) return parseFloat(s);
  if (CORE_FLOAT.test(s)) return parseFloat(s);
  return s;
}

const ESCAPES: Readonly<Record<string, string>> = {
  "0": "\0",
  a: "\x07",
  b: "\b",
  e: "\x1b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  N: "\u0085",
  _: "\u00a0",
  L: "\u2028",
  P: "\u2029",
  " ": " ",
  '"': '"',
  "/": "/",
  "\\": "\\",
};

/** A conservative plain mapping key, followed by `: `, `:` at a line end, or `:` at the end. */
const PLAIN_KEY = /(?:[^\s:#[\]{},'"?&*!|>%@`-]|-(?=[^\s:#[\]{},]))[^\s:#[\]{},]*(?=:(?: |\n|$))/y;
/** The run of a double-quoted scalar without escapes. */
const DQ_PLAIN_RUN = /[^"\\\n]*/y;
/** The characters of a flow plain scalar up to a flow character, `:`, `#` or the line end. */
const FLOW_PLAIN = /[^,[\]{}:#\n]*/y;
const HEX = /^[0-9a-fA-F]+$/;

/** Characters a plain scalar may not start with (`-`, `?`, `:` are handled by the callers). */
function isIndicator(c: number): boolean {
  // , [ ] { } # & * ! | > ' " % @ ` ? :
  return c === 0x2c || c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d || c === HASH || c === 0x26 || c === 0x2a || c === 0x21 || c === 0x7c || c === 0x3e || c === 0x27 || c === 0x22 || c === 0x25 || c === 0x40 || c === 0x60 || c === 0x3f || c === COLON;
}

/** Whether `c` may follow a leading `-` of a plain scalar (block: any non-space; flow: no `,[]{}` either). */
function plainSafeAfterDash(c: number, block: boolean): boolean {
  if (c === SP || c === 0x09 || c === 0x0a || c === 0x0d) return false;
  return block || !(c === 0x2c || c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d);
}

/** Where a sticky regex's match at `pos` ends (`pos` when it matches nothing there). */
function stickyEnd(re: RegExp, text: string, pos: number): number {
  re.lastIndex = pos;
  return re.test(text) ? re.lastIndex : pos;
}

/**
 * `text.startsWith(word, pos)` for a short word: the builtin call was 40 ns a key (90 ms of a
 * 100,000-rule load), where the loop is inlined into mapKey.
 */
function startsAt(text: string, word: string, pos: number): boolean {
  const n = word.length;
  if (pos + n > text.length) return false;
  for (let j = 0; j < n; j++) if (text.charCodeAt(pos + j) !== word.charCodeAt(j)) return false;
  return true;
}

const hasOwn = (obj: object, key: string): boolean => Object.prototype.hasOwnProperty.call(obj, key);

/** Never written: stand-ins for the unused half of `flow`'s result, so that it allocates one. */
const EMPTY_SEQ: unknown[] = [];
const EMPTY_MAP: Record<string, unknown> = {};

/**
 * Every value's place, in parseYaml's order (pre-order), as parallel arrays of small integers
 * and segments: no object, path or pointer per value while parsing. NodeInfo objects are made
 * from them on demand (FastYaml.nodes, FastYaml.lookup).
 */
class NodeRecords {
  // Int32Arrays, grown by doubling: their storage is outside the JavaScript heap, so a scavenge
  // never copies them, where a pushed array of 150,000 records cost ~60 ms (mostly copying).
  /** Records so far. */
  private count = 0;
  /** Index of the collection that holds the value; NONE for the document. */
  private parent = new Int32Array(256);
  /** Key (mapping entry) or index (sequence item) in the parent; "" for the document. */
  readonly seg: PathSegment[] = [];
  /** Four per record: key start and end (NONE when the value has no key), value start and end. */
  private spans = new Int32Array(1024);
  /** First child and next sibling (NONE when there is none), made on the first lookup. */
  private firstChild: Int32Array | undefined;
  private nextSibling = new Int32Array(0);
  /** Children of a sequence by index, made on the first lookup into it. */
  private readonly items = new Map<number, number[]>();

  /** Keeps a value's place in the pre-order until its span is known (set). */
  reserve(parent: number, seg: PathSegment, keyStart: number, keyEnd: number): number {
    const n = this.count;
    if (n === this.parent.length) {
      this.parent = grown(this.parent, 2 * n);
      this.spans = grown(this.spans, 8 * n);
    }
    this.count = n + 1;
    this.parent[n] = parent;
    this.seg.push(seg);
    const at = 4 * n;
    this.spans[at] = keyStart;
    this.spans[at + 1] = keyEnd;
    this.spans[at + 2] = -1;
    this.spans[at + 3] = -1;
    return n;
  }

  set(n: number, start: number, end: number): void {
    this.spans[4 * n + 2] = start;
    this.spans[4 * n + 3] = end;
  }

  get size(): number {
    return this.count;
  }

  /** The NodeInfo of record n, with `path` its own path (the segments of its ancestors). */
  info(n: number, path: readonly PathSegment[]): NodeInfo {
    const spans = this.spans;
    const value = { start: spans[4 * n + 2] as number, end: spans[4 * n + 3] as number };
    const keyStart = spans[4 * n] as number;
    return keyStart === NONE ? { path, value } : { path, key: { start: keyStart, end: spans[4 * n + 1] as number }, value };
  }

  /** All records as parseYaml's Map: pointer -> NodeInfo, in order. */
  toMap(): Map<string, NodeInfo> {
    const nodes = new Map<string, NodeInfo>();
    const paths: (readonly PathSegment[])[] = [];
    const ptrs: string[] = [];
    for (let n = 0; n < this.size; n++) {
      const parent = this.parent[n] as number;
      const seg = this.seg[n] as PathSegment;
      const path = parent === NONE ? [] : [...(paths[parent] as PathSegment[]), seg];
      const ptr = parent === NONE ? "" : `${ptrs[parent] as string}/${typeof seg === "number" ? seg : escapePointer(seg)}`;
      paths.push(path);
      ptrs.push(ptr);
      // The first writer wins, as in parseYaml: a key a `<<` merge brings in after an explicit one.
      if (!nodes.has(ptr)) nodes.set(ptr, this.info(n, path));
    }
    return nodes;
  }

  /** `toMap().get(pointerOf(path))` without the Map: segments compare as their pointer text. */
  lookup(path: readonly PathSegment[]): NodeInfo | undefined {
    if (this.size === 0) return undefined;
    const firstChild = this.links();
    // Every record with this pointer (a key merged in after an explicit one has two); the first
    // recorded one is the answer, as toMap keeps the first writer.
    let found: number[] = [0];
    for (const seg of path) {
      const want = String(seg);
      const next: number[] = [];
      for (const n of found) {
        const first = firstChild[n] as number;
        if (first === NONE) continue;
        if (typeof this.seg[first] === "number") {
          // A sequence: only a canonical index names an item (`/rules/01` is not `/rules/1`).
          const i = Number(want);
          if (!(Number.isInteger(i) && i >= 0 && String(i) === want)) continue;
          const item = this.itemsOf(n, first)[i];
          if (item !== undefined) next.push(item);
        } else {
          for (let c = first; c !== NONE; c = this.nextSibling[c] as number) if (this.seg[c] === want) next.push(c);
        }
      }
      if (next.length === 0) return undefined;
      found = next;
    }
    const n = Math.min(...found);
    const own: PathSegment[] = [];
    for (let a = n; this.parent[a] !== NONE; a = this.parent[a] as number) own.push(this.seg[a] as PathSegment);
    return this.info(n, own.reverse());
  }

  /**
   * Appends copies of the records below `from` (its subtree ends at `to`) as children of `parent`:
   * what the library records for an alias (below the alias's own record) or a `<<` merge.
   */
  copyChildren(from: number, to: number, parent: number): void {
    const base = this.count;
    for (let r = from + 1; r < to; r++) {
      const p = this.parent[r] as number;
      const at = 4 * r;
      const n = this.reserve(p === from ? parent : base + (p - from - 1), this.seg[r] as PathSegment, this.spans[at] as number, this.spans[at + 1] as number);
      this.set(n, this.spans[at + 2] as number, this.spans[at + 3] as number);
    }
  }

  /** The tree's links from the parent indexes (records are in pre-order: a parent comes first). */
  private links(): Int32Array {
    if (this.firstChild !== undefined) return this.firstChild;
    const size = this.size;
    const firstChild = new Int32Array(size).fill(NONE);
    const lastChild = new Int32Array(size).fill(NONE);
    const nextSibling = new Int32Array(size).fill(NONE);
    for (let n = 1; n < size; n++) {
      const parent = this.parent[n] as number;
      const last = lastChild[parent] as number;
      if (last === NONE) firstChild[parent] = n;
      else nextSibling[last] = n;
      lastChild[parent] = n;
    }
    this.firstChild = firstChild;
    this.nextSibling = nextSibling;
    return firstChild;
  }

  private itemsOf(n: number, first: number): number[] {
    let list = this.items.get(n);
    if (list === undefined) {
      list = [];
      for (let c = first; c !== NONE; c = this.nextSibling[c] as number) list.push(c);
      this.items.set(n, list);
    }
    return list;
  }
}

/**
 * The recorder of the first pass: values only. Most files are valid and never need a position,
 * so the spans are recorded by a second pass over the same text, run only when one is asked for
 * (see parseFastYaml). Not recording saves about a tenth of a cold `validate`.
 */
class NoRecords {
  readonly size = 0;

  reserve(_parent: number, _seg: PathSegment, _keyStart: number, _keyEnd: number): number {
    return NONE;
  }

  set(_n: number, _start: number, _end: number): void {}

  copyChildren(_from: number, _to: number, _parent: number): void {}
}

/** `table` copied into a new one of `size` entries. */
function grown(table: Int32Array, size: number): Int32Array<ArrayBuffer> {
  const out = new Int32Array(size);
  out.set(table);
  return out;
}

class FastParser {
  readonly text: string;
  records: NodeRecords | NoRecords;
  /** Per line: start offset, end offset (the `\n` or the text end), indent; -1 indent: blank or comment. */
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly indents: Int32Array;
  lineCount: number;
  /** Anchors defined so far (a later `&name` replaces an earlier one, as in the library). */
  private readonly anchors = new Map<string, Anchor>();
  /** Values walked so far (the library's walk() calls), and those walked for aliases and merges. */
  private walked = 0;
  private expanded = 0;
  private aliasUses = 0;
  /** Values the aliases and merge keys expanded to so far (FastYaml.aliasValues). */
  get aliasValues(): number {
    return this.expanded;
  }
  /**
   * First pass: the line of each item of a block sequence that is the value of a key of the root
   * mapping (`rules:`), so that the spans of one item can be recorded without a second pass over
   * the whole file (itemRecords).
   */
  readonly rootItems = new Map<string, { readonly col: number; readonly lines: number[]; readonly nameKeys: number[] }>();
  /** While a rootItems sequence is parsed: its `nameKeys`, whose last entry is the item being parsed. */
  private itemNameKeys: number[] | undefined;
  /** Where the alias that mergeAlias read ends. */
  private aliasEnd = 0;
  /** The root mapping's key whose value is being parsed. */
  private rootKey: string | undefined;
  private readonly maxExpansion: number;
  /** Scalar values copied out of the text (tryFastYaml's ownStrings). */
  private readonly ownStrings: boolean;

  constructor(text: string, records: NodeRecords | NoRecords, ownStrings = false) {
    this.text = text;
    this.records = records;
    this.ownStrings = ownStrings;
    // One pass over the text (a counting pass first was a second indexOf per line: 1.5 million
    // calls at 100,000 rules). Tables guessed at a line per 16 characters (rules files average
    // 20-25), doubled when full, and kept as views of their first `lines` entries, not copied:
    // outside the heap, and the room never written is never touched. At 100,000 rules (1.7
    // million lines) the guess of a line per 32 characters was doubled and then copied: 55 MB of
    // memory written for 20 MB of tables, each new page a fault (about 2.6 ms a MB on the
    // benchmark VM).
    let cap = Math.max(256, (text.length >> 4) + 1);
    let starts = new Int32Array(cap);
    let ends = new Int32Array(cap);
    let indents = new Int32Array(cap);
    let lines = 0;
    let start = 0;
    for (;;) {
      if (lines === cap) {
        cap *= 2;
        starts = grown(starts, cap);
        ends = grown(ends, cap);
        indents = grown(indents, cap);
      }
      const nl = text.indexOf("\n", start);
      const end = nl === -1 ? text.length : nl;
      let i = start;
      while (i < end && text.charCodeAt(i) === SP) i++;
      starts[lines] = start;
      ends[lines] = end;
      indents[lines] = i === end || text.charCodeAt(i) === HASH ? -1 : i - start;
      lines++;
      if (nl === -1) break;
      start = nl + 1;
    }
    this.starts = starts.subarray(0, lines);
    this.ends = ends.subarray(0, lines);
    this.indents = indents.subarray(0, lines);
    this.lineCount = lines;
    this.maxExpansion = maxAliasExpansion(text.length);
    this.documentMarkers();
  }

  /** A scalar value, as its own string when ownStrings asks (see ownString). */
  private owned<T>(value: T): T {
    return this.ownStrings && typeof value === "string" && value.length >= SLICED_FROM ? (ownString(value) as T) : value;
  }

  /** `---` / `...` (alone, or before a comment) at column 0 of line k. */
  private isMarker(k: number, marker: string): boolean {
    const start = this.starts[k] as number;
    const end = this.ends[k] as number;
    if (!this.text.startsWith(marker, start)) return false;
    if (start + 3 === end) return true;
    if (this.text.charCodeAt(start + 3) !== SP) return false;
    const i = this.skipSpaces(start + 3, end);
    if (i !== end && this.text.charCodeAt(i) !== HASH) bail("content on a `---` or `...` line");
    return true;
  }

  /**
   * A `---` before the first content line starts the one document; a `...` at column 0 ends it,
   * and only comments may follow. Both are blank lines to the parser (the library's spans are the
   * same with and without them). Any other marker (a second document) is not a mapping key, and
   * falls back when the parser reaches it.
   */
  private documentMarkers(): void {
    let k = 0;
    while (k < this.lineCount && (this.indents[k] as number) < 0) k++;
    if (k < this.lineCount && this.indents[k] === 0 && this.isMarker(k, "---")) this.indents[k] = -1;
    for (k += 1; k < this.lineCount; k++) {
      if (this.indents[k] !== 0 || !this.isMarker(k, "...")) continue;
      for (let after = k + 1; after < this.lineCount; after++) if ((this.indents[after] as number) >= 0) bail("content after a `...` document end");
      this.lineCount = k;
      return;
    }
  }

  /**
   * The first content line from line k on. A comment line it skips that is indented deeper than
   * that line can end up inside the node before it in the library's tree and stretch its range:
   * such files go to the library. (Lines of block scalars and quoted scalars are never skipped
   * here, so a `#` line in those is text, not a comment.)
   */
  nextContent(k: number): number {
    let next = k;
    while (next < this.lineCount && (this.indents[next] as number) < 0) next++;
    if (next > k) {
      const indent = next < this.lineCount ? (this.indents[next] as number) : 0;
      for (let c = k; c < next; c++) {
        const start = this.starts[c] as number;
        const end = this.ends[c] as number;
        const first = this.skipSpaces(start, end);
        if (first < end && first - start > indent) bail("a comment indented deeper than the line after it");
      }
    }
    return next;
  }

  /** Offset after the line's `\n`, or the text end: where the library ends a line-ending value. */
  lineAfter(k: number): number {
    const end = this.ends[k] as number;
    return end < this.text.length ? end + 1 : end;
  }

  skipSpaces(i: number, limit: number): number {
    while (i < limit && this.text.charCodeAt(i) === SP) i++;
    return i;
  }

  isSeqItem(pos: number, limit: number): boolean {
    return this.text.charCodeAt(pos) === DASH && (pos + 1 === limit || this.text.charCodeAt(pos + 1) === SP);
  }

  // Results of the last call, in fields rather than a returned object per value: a cold parse of
  // a large file spent a good part of its time allocating (and collecting) those objects. Each
  // caller reads them right after the call that set them, before any other parse call.
  /** Span of the last inline value (inlineValue, quoted, flow, flowItem). */
  private s0 = 0;
  private s1 = 0;
  /** Span, range end and next line of the last block value (blockNode, entryValue, closed). */
  private bStart = 0;
  private bEnd = 0;
  /** `after` (the library's range[2]); EMPTY_END for an empty value. */
  private bAfter = 0;
  /** First line not consumed by that value. */
  private bNext = 0;
  /** Span of the last key (mapKey, flowKey); its `:` is right after it, at kEnd. */
  private kStart = 0;
  private kEnd = 0;

  /** Keeps a value's place in the records, and counts it as one value the library walks. */
  private reserve(parent: number, seg: PathSegment, keyStart: number, keyEnd: number): number {
    this.walked++;
    return this.records.reserve(parent, seg, keyStart, keyEnd);
  }

  /** Where the last inline value ended: its line (a quoted scalar may span several). */
  private endLine = 0;
  /** Whether the last key read by mapKey was a plain `<<` (a merge key). */
  private kMerge = false;

  /** The key just read spans start..end, its `:` at end; `merge`: it is a plain `<<`. */
  private keyAt(start: number, end: number, merge = false): void {
    this.kMerge = merge;
    this.kStart = start;
    this.kEnd = end;
  }

  /** The document's value; `records` holds the spans afterwards. */
  parseDocument(): unknown {
    const k = this.nextContent(0);
    const root = this.reserve(NONE, "", NONE, NONE);
    if (k === this.lineCount) {
      this.records.set(root, 0, 0);
      return null;
    }
    // A document that starts indented, or with a scalar or flow collection, is rare: library path.
    if (this.indents[k] !== 0) bail();
    const value = this.blockNode(k, 0, root, 0);
    this.records.set(root, this.bStart, this.bEnd);
    if (this.nextContent(this.bNext) !== this.lineCount) bail();
    return value;
  }

  /** The block collection (record `self`) whose first entry starts on line k at column col. */
  blockNode(k: number, col: number, self: number, depth: number): unknown {
    if (depth > MAX_FAST_DEPTH) bail();
    const pos = (this.starts[k] as number) + col;
    const limit = this.ends[k] as number;
    return this.isSeqItem(pos, limit) ? this.blockSeq(k, col, self, depth) : this.blockMap(k, col, self, depth);
  }

  /**
   * A value whose own line ends after it; `null` + nested block when the line has no value. It
   * is the child `seg` of record `parent`, a mapping entry when keyStart is not NONE.
   */
  private entryValue(k: number, col: number, pos: number, parent: number, seg: PathSegment, keyStart: number, keyEnd: number, depth: number): unknown {
    const limit = this.ends[k] as number;
    let p = this.skipSpaces(pos, limit);
    const hasKey = keyStart !== NONE;
    // Reserve the entry's place: parseYaml records a value before its children.
    const slot = this.reserve(parent, seg, keyStart, keyEnd);
    const walkedBefore = this.walked - 1;
    const aliasesBefore = this.aliasUses;
    let anchor: string | undefined;
    if (this.text.charCodeAt(p) === 0x26) {
      // `&name value` or `&name` and the value on the next lines.
      anchor = this.anchorName(p + 1, limit);
      const after = p + 1 + anchor.length;
      p = this.skipSpaces(after, limit);
      if (p === after && p !== limit) bail("an anchor not followed by a space");
    }
    let value: unknown;
    const c = this.text.charCodeAt(p);
    if (p === limit || c === HASH) {
      const nk = this.nextContent(k + 1);
      const indent = nk < this.lineCount ? (this.indents[nk] as number) : -1;
      // A block sequence may sit at the same column as the keys of the mapping that holds it.
      if (indent > col || (hasKey && indent === col && this.isSeqItem((this.starts[nk] as number) + indent, this.ends[nk] as number))) {
        value = this.blockNode(nk, indent, slot, depth);
      } else {
        // Where the library ends an empty value depends on the comments around it; that end only
        // matters when the value closes a collection, and there the collection bails (EMPTY_END).
        if (anchor !== undefined) bail("an anchor on an empty value");
        value = null;
        this.bStart = p;
        this.bEnd = p;
        this.bAfter = EMPTY_END;
        this.bNext = k + 1;
      }
    } else if (c === 0x7c || c === 0x3e) {
      value = this.owned(this.blockScalar(k, col, p, limit));
    } else {
      if (!hasKey && this.isSeqItem(p, limit)) bail();
      this.endLine = k;
      value = this.inlineValue(p, limit, slot, depth, true, k, col);
      const start = this.s0;
      const end = this.s1;
      const line = this.endLine;
      const lineEnd = this.ends[line] as number;
      const q = this.skipSpaces(end, lineEnd);
      if (q !== lineEnd && !(q > end && this.text.charCodeAt(q) === HASH)) bail("text after a value on its line");
      this.bStart = start;
      this.bEnd = end;
      this.bAfter = this.lineAfter(line);
      this.bNext = line + 1;
    }
    this.records.set(slot, this.bStart, this.bEnd);
    if (anchor !== undefined) this.define(anchor, value, slot, walkedBefore, aliasesBefore);
    return value;
  }

  /** The name of `&name` / `*name` at pos; a name the library might read otherwise falls back. */
  private anchorName(pos: number, limit: number): string {
    ANCHOR_NAME.lastIndex = pos;
    if (!ANCHOR_NAME.test(this.text)) bail("an unusual anchor or alias name");
    const end = ANCHOR_NAME.lastIndex;
    if (end < limit) {
      const next = this.text.charCodeAt(end);
      if (!(next === SP || next === 0x2c || next === 0x5d || next === 0x7d)) bail("an unusual anchor or alias name");
    }
    return this.text.slice(pos, end);
  }

  /** Registers `&name` on the value just parsed (record `slot`). */
  private define(name: string, value: unknown, slot: number, walkedBefore: number, aliasesBefore: number): void {
    const isMap = value !== null && typeof value === "object" && !Array.isArray(value);
    this.anchors.set(name, {
      value,
      from: slot,
      to: this.records.size,
      size: this.walked - walkedBefore,
      height: heightOf(value),
      isMap,
      keys: isMap ? Object.keys(value) : [],
      hasAlias: this.aliasUses > aliasesBefore,
    });
  }

  /** `*name` at pos, as the value of record `self` (span to s0..s1): a copy of the anchored value. */
  private alias(pos: number, limit: number, self: number, depth: number): unknown {
    const name = this.anchorName(pos + 1, limit);
    const anchor = this.anchors.get(name);
    if (anchor === undefined) bail("an alias of an unknown anchor");
    this.expand(anchor.size, anchor.height, depth);
    this.aliasUses++;
    this.records.copyChildren(anchor.from, anchor.to, self);
    this.s0 = pos;
    this.s1 = pos + 1 + name.length;
    return cloneValue(anchor.value);
  }

  /** Counts values walked for an alias or a merge; past the library's limits, the library decides. */
  private expand(size: number, height: number, depth: number): void {
    this.walked += size;
    this.expanded += size;
    if (this.expanded > this.maxExpansion) bail("aliases that expand to very many values");
    if (depth + height > MAX_FAST_DEPTH) bail("an alias nested too deeply");
  }

  /**
   * The value of a block scalar whose one content line is `line` (indented `indent`), when the
   * next content line ends it (indented `col` or less, or none) and no blank line follows it
   * before that: the usual one-line `metadata: |-`. One slice of the text, with its line break
   * for clip chomping, where the general path built and joined an array (a fifth of a 100,000-rule
   * file's block scalars' cost). Undefined for any other shape.
   */
  private oneLineScalar(line: number, indent: number, col: number, clip: boolean): string | undefined {
    const next = line + 1;
    if (next < this.lineCount) {
      const nextIndent = this.indents[next] as number;
      // A blank or comment line (-1) may be a blank line of the scalar: the general path decides.
      if (nextIndent < 0 || nextIndent > col) return undefined;
    }
    const start = (this.starts[line] as number) + indent;
    const end = this.ends[line] as number;
    if (!clip) return this.text.slice(start, end);
    return end < this.text.length ? this.text.slice(start, end + 1) : `${this.text.slice(start, end)}\n`;
  }

  /** The span of a block scalar whose header is at p and whose last line is endLine, and the line after it. */
  private endBlockScalar(p: number, endLine: number): void {
    this.bStart = p;
    this.bEnd = this.lineAfter(endLine);
    this.bAfter = this.bEnd;
    this.bNext = endLine + 1;
  }

  /**
   * A block scalar (`|` or `>`, chomping `-` / `+`) whose header is at p on line k, in a
   * collection at column col. Span: the header to the end of its last line (with the trailing
   * blank lines for `+`). Explicit indentation, more-indented folded lines and leading blank lines
   * of a folded scalar, and whitespace-only lines longer than the indentation, fall back.
   */
  private blockScalar(k: number, col: number, p: number, limit: number): string {
    const text = this.text;
    const folded = text.charCodeAt(p) === 0x3e;
    let i = p + 1;
    let chomp = 0; // -1 strip, 0 clip, 1 keep
    const ch = text.charCodeAt(i);
    if (ch === DASH || ch === 0x2b) {
      chomp = ch === DASH ? -1 : 1;
      i++;
    }
    if (i < limit && text.charCodeAt(i) !== SP) bail("a block scalar header with an indentation indicator or more");
    const h = this.skipSpaces(i, limit);
    if (h !== limit && (h === i || text.charCodeAt(h) !== HASH)) bail("a block scalar header followed by text");
    // Leading blank lines, then the first content line sets the indentation.
    let line = k + 1;
    let leading = 0;
    let longestBlank = 0;
    let indent = -1;
    for (; line < this.lineCount; line++) {
      const start = this.starts[line] as number;
      const end = this.ends[line] as number;
      const first = this.skipSpaces(start, end);
      if (first === end) {
        leading++;
        longestBlank = Math.max(longestBlank, end - start);
        continue;
      }
      indent = first - start;
      break;
    }
    if (indent <= col) {
      // No content: an empty scalar, its span the header line.
      if (leading > 0 || chomp === 1) bail("an empty block scalar with blank lines or keep chomping");
      this.endBlockScalar(p, k);
      return "";
    }
    if (longestBlank > indent || (folded && leading > 0)) bail("a block scalar with unusual leading blank lines");
    if (leading === 0 && chomp !== 1) {
      const one = this.oneLineScalar(line, indent, col, chomp === 0);
      if (one !== undefined) {
        this.endBlockScalar(p, line);
        return one;
      }
    }
    // The pieces of the value, joined once at the end: a string built by `+=` is a rope (a V8
    // ConsString) about 2.5 times the size of the flat string, kept as long as the value is.
    const pieces: string[] = leading > 0 ? ["\n".repeat(leading)] : [];
    let lastContent = line;
    let blanks = 0;
    let seen = false;
    for (; line < this.lineCount; line++) {
      const start = this.starts[line] as number;
      const end = this.ends[line] as number;
      // The empty "line" after a final line break is no line of the scalar.
      if (start === text.length) break;
      const first = this.skipSpaces(start, end);
      if (first === end) {
        if (end - start > indent) bail("a whitespace-only line longer than the block scalar's indentation");
        blanks++;
        continue;
      }
      if (first - start < indent) break;
      const content = text.slice(start + indent, end);
      if (folded) {
        if (first - start > indent) bail("a more-indented line in a folded block scalar");
        if (seen) pieces.push(blanks === 0 ? " " : "\n".repeat(blanks));
      } else if (seen) {
        pieces.push("\n".repeat(1 + blanks));
      }
      pieces.push(content);
      seen = true;
      blanks = 0;
      lastContent = line;
    }
    let endLine = lastContent;
    if (chomp === 1) {
      pieces.push("\n".repeat(1 + blanks));
      // The blank lines after the content are the scalar's; a comment after them: library path.
      endLine = lastContent + blanks;
      if (endLine + 1 < this.lineCount && (this.indents[endLine + 1] as number) < 0) bail("a keep-chomped block scalar before a comment");
      if (lastContent === this.lineCount - 1 && this.ends[lastContent] === text.length) bail("a keep-chomped block scalar at the end of the text");
    } else if (chomp === 0) pieces.push("\n");
    const out = pieces.join("");
    this.endBlockScalar(p, endLine);
    return out;
  }

  blockMap(k: number, col: number, self: number, depth: number): unknown {
    const out: Record<string, unknown> = {};
    let line = k;
    let pos = (this.starts[k] as number) + col;
    let start = -1;
    let merges: Anchor[] | undefined;
    for (;;) {
      const limit = this.ends[line] as number;
      const name = this.mapKey(pos, limit);
      if (name === undefined) bail("a line that is not a plain `key: value` entry");
      if (start < 0) start = this.kStart;
      if (this.kMerge) {
        // `<<: *a` or `<<: [*a, *b]`: merged once the explicit keys are known (library order).
        if (merges !== undefined) bail("two merge keys in one mapping");
        merges = this.mergeSources(line, this.kEnd + 1, limit);
      } else {
        // Every key seen so far is an own property of `out` (setOwn), so that is the duplicate check.
        if (name === "<<" || hasOwn(out, name)) bail("a duplicate or quoted `<<` key");
        if (depth === 0) this.rootKey = name;
        // The item's own `name:` key (not one a `<<` merge brings in): rule positions without the text.
        else if (depth === 2 && name === "name" && this.itemNameKeys !== undefined) this.itemNameKeys[this.itemNameKeys.length - 1] = this.kStart;
        const value = this.entryValue(line, col, this.kEnd + 1, self, name, this.kStart, this.kEnd, depth + 1);
        setOwn(out, name, value);
      }
      const end = this.bAfter;
      const nk = this.nextContent(this.bNext);
      if (nk === this.lineCount || (this.indents[nk] as number) < col) {
        if (merges !== undefined) this.merge(out, merges, self, depth);
        return this.closed(out, start, end, nk);
      }
      const indent = this.indents[nk] as number;
      if (indent > col) bail("a line indented deeper than its mapping's keys");
      line = nk;
      pos = (this.starts[nk] as number) + col;
      if (this.isSeqItem(pos, this.ends[nk] as number)) bail();
    }
  }

  /** The anchors named by a merge key's value on line k from pos: `*a` or `[*a, *b]`, then a comment or nothing. */
  private mergeSources(k: number, pos: number, limit: number): Anchor[] {
    const text = this.text;
    let i = this.skipSpaces(pos, limit);
    // No closure, name list or mapped copy per merge key: there is one in every rule of a file
    // written with `<<: *defaults`, and those were 38 MB of garbage at 100,000 rules.
    let sources: Anchor[];
    if (text.charCodeAt(i) === 0x5b) {
      sources = [];
      i = this.skipSpaces(i + 1, limit);
      for (;;) {
        sources.push(this.mergeAlias(i, limit));
        i = this.skipSpaces(this.aliasEnd, limit);
        const c = text.charCodeAt(i);
        if (i < limit && c === 0x2c) i = this.skipSpaces(i + 1, limit);
        else if (i < limit && c === 0x5d) break;
        else bail("a merge key whose value is not an alias or a list of aliases");
      }
      i += 1;
    } else {
      sources = [this.mergeAlias(i, limit)];
      i = this.aliasEnd;
    }
    const q = this.skipSpaces(i, limit);
    if (q !== limit && !(q > i && text.charCodeAt(q) === HASH)) bail("text after a merge key's value");
    this.bAfter = this.lineAfter(k);
    this.bNext = k + 1;
    return sources;
  }

  /** The anchor of the alias `*name` at `at` in a merge key's value; aliasEnd: where the name ends. */
  private mergeAlias(at: number, limit: number): Anchor {
    if (this.text.charCodeAt(at) !== 0x2a) bail("a merge key whose value is not an alias or a list of aliases");
    const name = this.anchorName(at + 1, limit);
    const anchor = this.anchors.get(name);
    if (anchor === undefined || !anchor.isMap || anchor.hasAlias) bail("a merge key of an unknown anchor, of a value that is no mapping, or of one holding aliases");
    this.aliasEnd = at + 1 + name.length;
    return anchor;
  }

  /** `<<` merges: keys not set explicitly come from the sources, earlier sources first (parseYaml's mergeInto). */
  private merge(out: Record<string, unknown>, sources: readonly Anchor[], self: number, depth: number): void {
    for (const source of sources) {
      // The library walks the source's entries (not the mapping itself) and records them below this mapping.
      this.expand(source.size - 1, source.height, depth);
      this.records.copyChildren(source.from, source.to, self);
      const from = source.value as Record<string, unknown>;
      const keys = source.keys;
      for (let j = 0; j < keys.length; j++) {
        const key = keys[j] as string;
        if (!hasOwn(out, key)) setOwn(out, key, cloneValue(from[key]));
      }
    }
  }

  blockSeq(k: number, col: number, self: number, depth: number): unknown {
    const out: unknown[] = [];
    let line = k;
    const start = (this.starts[k] as number) + col;
    // depth 1 is the value of a root mapping key (rootKey); a root sequence leaves rootKey unset.
    let tracked: { readonly col: number; readonly lines: number[]; readonly nameKeys: number[] } | undefined;
    if (depth === 1 && this.rootKey !== undefined && !this.rootItems.has(this.rootKey)) {
      tracked = { col, lines: [], nameKeys: [] };
      this.rootItems.set(this.rootKey, tracked);
      this.itemNameKeys = tracked.nameKeys;
    }
    for (;;) {
      if (tracked !== undefined) {
        tracked.lines.push(line);
        tracked.nameKeys.push(NONE);
      }
      const lineStart = this.starts[line] as number;
      const limit = this.ends[line] as number;
      const dash = lineStart + col;
      const i = out.length;
      const p = this.skipSpaces(dash + 1, limit);
      let value: unknown;
      if (p < limit && this.text.charCodeAt(p) !== HASH && this.mapKey(p, limit) !== undefined) {
        // `- key: value`: a mapping whose keys line up with this first key.
        const slot = this.reserve(self, i, NONE, NONE);
        value = this.blockNode(line, p - lineStart, slot, depth + 1);
        this.records.set(slot, this.bStart, this.bEnd);
      } else {
        value = this.entryValue(line, col, dash + 1, self, i, NONE, NONE, depth + 1);
      }
      out.push(value);
      const end = this.bAfter;
      const nk = this.nextContent(this.bNext);
      // An exact-size copy of the list (see flow()). Not an item: the mapping that holds this
      // sequence (at the same column) goes on.
      if (nk === this.lineCount || (this.indents[nk] as number) < col || ((this.indents[nk] as number) === col && !this.isSeqItem((this.starts[nk] as number) + col, this.ends[nk] as number))) {
        // Past the tracked sequence, no mapping is one of its items.
        if (tracked !== undefined) this.itemNameKeys = undefined;
        return this.closed(out.slice(), start, end, nk);
      }
      if ((this.indents[nk] as number) > col) bail();
      line = nk;
    }
  }

  /**
   * The records of item `i` of the root key `key`'s block sequence alone, below a document record
   * and a record for `key` (their own spans unknown: only paths below the item may be read from
   * them): what the whole-file pass records for that item, as long as the item holds no alias or
   * merge of an anchor defined outside it (those copies are left out, and a lookup of them misses).
   * Undefined when the first pass saw no such item, or the item does not parse alone.
   */
  itemRecords(key: string, i: number): NodeRecords | undefined {
    const seq = this.rootItems.get(key);
    const line = seq?.lines[i];
    if (seq === undefined || line === undefined) return undefined;
    const saved = { records: this.records, anchors: [...this.anchors], walked: this.walked, expanded: this.expanded, aliasUses: this.aliasUses };
    // The first pass's name keys are complete: this pass records none.
    this.itemNameKeys = undefined;
    const records = new NodeRecords();
    this.records = records;
    this.walked = 0;
    this.expanded = 0;
    this.aliasUses = 0;
    // Anchors of the first pass have no records here (NoRecords): an alias of one copies none.
    try {
      const root = this.reserve(NONE, "", NONE, NONE);
      const holder = this.reserve(root, key, NONE, NONE);
      // As blockSeq (at depth 1) parses item i.
      const lineStart = this.starts[line] as number;
      const limit = this.ends[line] as number;
      const dash = lineStart + seq.col;
      const p = this.skipSpaces(dash + 1, limit);
      if (p < limit && this.text.charCodeAt(p) !== HASH && this.mapKey(p, limit) !== undefined) {
        const slot = this.reserve(holder, i, NONE, NONE);
        this.blockNode(line, p - lineStart, slot, 2);
        this.records.set(slot, this.bStart, this.bEnd);
      } else {
        this.entryValue(line, seq.col, dash + 1, holder, i, NONE, NONE, 2);
      }
      return records;
    } catch {
      return undefined;
    } finally {
      this.records = saved.records;
      this.anchors.clear();
      for (const [name, anchor] of saved.anchors) this.anchors.set(name, anchor);
      this.walked = saved.walked;
      this.expanded = saved.expanded;
      this.aliasUses = saved.aliasUses;
    }
  }

  /** A finished block collection: it ends where its last value's line (or comment) ends. */
  private closed(value: unknown, start: number, end: number, next: number): unknown {
    if (end === EMPTY_END) bail();
    this.bStart = start;
    this.bEnd = end;
    this.bAfter = end;
    this.bNext = next;
    return value;
  }

  /**
   * Plain keys read so far, two by their first two characters (the last two read): a rules file
   * repeats a few dozen keys on every rule, and a key found here again needs no regex, no slice
   * and no resolution (the same text at the same kind of place reads the same). Two, because the
   * keys a rule repeats pair up on their first characters (`roomPrefix` and `roomConfig`,
   * `agents` and `agentName`): with one each, a third of a realistic rule's keys missed.
   */
  private readonly keyCache: (string | undefined)[] = new Array<string | undefined>(2048);

  /** Whether the cached key `known` is the key at pos (kStart... set when it is). */
  private isCachedKey(known: string | undefined, pos: number, limit: number): known is string {
    if (known === undefined || !startsAt(this.text, known, pos)) return false;
    // PLAIN_KEY would match exactly `known` here: it holds none of the characters that end a
    // plain key, and a `:` followed by a space or the line end comes right after it.
    const end = pos + known.length;
    if (!(this.text.charCodeAt(end) === COLON && (end + 1 === limit || this.text.charCodeAt(end + 1) === SP))) return false;
    this.keyAt(pos, end);
    return true;
  }

  /** `key:` at pos (followed by a space or the line end), or undefined when the line is no entry. */
  mapKey(pos: number, limit: number): string | undefined {
    const text = this.text;
    const c = text.charCodeAt(pos);
    const c1 = text.charCodeAt(pos + 1);
    const slot = ((c * 31 + c1) & 1023) << 1;
    const known = this.keyCache[slot];
    if (this.isCachedKey(known, pos, limit)) return known;
    const other = this.keyCache[slot + 1];
    if (this.isCachedKey(other, pos, limit)) return other;
    // `<<: ` (a merge key, in every rule of a file that shares settings): what PLAIN_KEY reads.
    if (c === 0x3c && c1 === 0x3c && text.charCodeAt(pos + 2) === COLON && (pos + 3 === limit || text.charCodeAt(pos + 3) === SP)) {
      this.keyAt(pos, pos + 2, true);
      return "<<";
    }
    if (c === 0x22 || c === 0x27) {
      const name = this.quoted(pos, limit);
      const end = this.s1;
      const colon = this.skipSpaces(end, limit);
      if (colon === end && colon < limit && text.charCodeAt(colon) === COLON && (colon + 1 === limit || text.charCodeAt(colon + 1) === SP)) {
        this.keyAt(pos, end);
        return name;
      }
      return undefined;
    }
    // Conservative plain keys: no spaces, no `:` `#` or flow characters, no indicator first.
    // test() with a sticky regex leaves lastIndex at the match's end: no match array to allocate.
    PLAIN_KEY.lastIndex = pos;
    if (!PLAIN_KEY.test(text)) return undefined;
    const end = PLAIN_KEY.lastIndex;
    if (end > limit) return undefined;
    const raw = text.slice(pos, end);
    if (raw.length > MAX_KEY_LENGTH) bail();
    // A plain `<<` key was read above: mapKey's limit is always its line's end, so PLAIN_KEY only
    // matches a `<<` followed by `:` and a space or the line end, which that test takes.
    const resolved = resolvePlain(raw);
    // A key YAML reads as no text (`007`, `yes`, `~`) is an error: the library path reports it.
    if (typeof resolved !== "string" || nonTextKey(raw, resolved) !== undefined) bail();
    // A plain key that reads as its own text, as every cached key must.
    if (resolved === raw) {
      this.keyCache[slot + 1] = known;
      this.keyCache[slot] = raw;
    }
    this.keyAt(pos, end);
    return resolved;
  }

  /**
   * A scalar, alias or flow collection that starts at pos; its span goes to s0..s1. In a block
   * entry (`line`, in a collection at column `col`) a quoted scalar may go on over more lines
   * (endLine says where it ended).
   */
  inlineValue(pos: number, limit: number, self: number, depth: number, block: boolean, line = -1, col = -1): unknown {
    if (depth > MAX_FAST_DEPTH) bail();
    const text = this.text;
    const c = text.charCodeAt(pos);
    if (c === 0x5b || c === 0x7b) return this.flow(pos, limit, self, depth);
    if (c === 0x22 || c === 0x27) return this.owned(line < 0 ? this.quoted(pos, limit) : this.quoted(pos, limit, line, col));
    if (c === 0x2a) return this.alias(pos, limit, self, depth);
    // A plain scalar may start with `-` only when a "safe" character follows (YAML 1.2
    // ns-plain-first): not a space, and in a flow collection not a flow indicator (`[ -]`).
    if (isIndicator(c) || (c === DASH && (pos + 1 >= limit || !plainSafeAfterDash(text.charCodeAt(pos + 1), block)))) bail();
    let last: number;
    if (block) {
      // Up to a ` #` comment; a `: ` (or `:` at the end) inside is a nested mapping: an error.
      // One loop over the value's few characters, where a lazy regex and an indexOf per colon
      // (which ran on into the next line's key) cost a call each per scalar.
      last = limit;
      for (let i = pos; i < limit; i++) {
        const ch = text.charCodeAt(i);
        if (ch === COLON) {
          if (i + 1 === limit || text.charCodeAt(i + 1) === SP) bail();
        } else if (ch === SP && text.charCodeAt(i + 1) === HASH) {
          last = i;
          break;
        }
      }
    } else {
      // Flow scalars stop at flow characters; `:` and `#` have rules of their own there.
      last = stickyEnd(FLOW_PLAIN, text, pos);
      if (last > limit) last = limit;
      const stop = text.charCodeAt(last);
      if (last < limit && (stop === COLON || stop === HASH)) bail();
    }
    while (last > pos && text.charCodeAt(last - 1) === SP) last--;
    if (last === pos) bail();
    this.s0 = pos;
    this.s1 = last;
    return this.owned(resolvePlain(text.slice(pos, last)));
  }

  /**
   * A quoted scalar (span to s0..s1); any escape the library would reject bails. On one line, or
   * with `line` (a block entry in a collection at column `col`) over several (multiLine).
   */
  quoted(pos: number, limit: number, line = -1, col = -1): string {
    const text = this.text;
    this.s0 = pos;
    if (text.charCodeAt(pos) === 0x27) {
      let out = "";
      let from = pos + 1;
      for (;;) {
        const q = text.indexOf("'", from);
        if (q === -1 || q >= limit) {
          if (line >= 0) return this.multiLine(pos, line, col, false);
          bail();
        }
        out += text.slice(from, q);
        if (text.charCodeAt(q + 1) === 0x27 && q + 1 < limit) {
          out += "'";
          from = q + 2;
          continue;
        }
        this.s1 = q + 1;
        return out;
      }
    }
    const close = stickyEnd(DQ_PLAIN_RUN, text, pos + 1);
    if (close < limit && text.charCodeAt(close) === 0x22) {
      this.s1 = close + 1;
      return text.slice(pos + 1, close);
    }
    if (line >= 0 && this.closingQuote(pos + 1, limit, true) === -1) return this.multiLine(pos, line, col, true);
    return this.dqDecode(pos + 1, limit, true);
  }

  /**
   * Double-quoted text from `from`: up to the closing quote (when `closes`; s1 is set after it) or
   * to `to` (a whole line piece), escapes decoded. Escapes the library would reject bail.
   */
  private dqDecode(from: number, to: number, closes: boolean): string {
    const text = this.text;
    const limit = to;
    let out = "";
    for (let i = from; i < limit; i++) {
      const ch = text.charCodeAt(i);
      if (ch === 0x22) {
        if (!closes) bail();
        this.s1 = i + 1;
        return out + text.slice(from, i);
      }
      if (ch !== 0x5c) continue;
      out += text.slice(from, i);
      const next = text[i + 1];
      if (next === undefined || i + 1 >= limit) bail();
      const simple = ESCAPES[next];
      if (simple !== undefined) {
        out += simple;
        i += 1;
      } else if (next === "x" || next === "u" || next === "U") {
        const length = next === "x" ? 2 : next === "u" ? 4 : 8;
        const hex = text.slice(i + 2, i + 2 + length);
        if (hex.length !== length || i + 2 + length > limit || !HEX.test(hex)) bail();
        const code = parseInt(hex, 16);
        if (code > 0x10ffff) bail();
        out += String.fromCodePoint(code);
        i += 1 + length;
      } else bail();
      from = i + 1;
    }
    if (closes) return bail();
    return out + text.slice(from, limit);
  }

  /** The offset of the quote that closes a quoted scalar in [from, limit), or -1. */
  private closingQuote(from: number, limit: number, dq: boolean): number {
    const text = this.text;
    for (let i = from; i < limit; i++) {
      const ch = text.charCodeAt(i);
      if (dq) {
        if (ch === 0x5c) i++;
        else if (ch === 0x22) return i;
      } else if (ch === 0x27) {
        if (i + 1 < limit && text.charCodeAt(i + 1) === 0x27) i++;
        else return i;
      }
    }
    return -1;
  }

  /**
   * A quoted scalar that starts at pos on line k and ends on a later line (span to s0..s1, its
   * last line to endLine). Lines fold as YAML folds flow scalars: a line break between text is a
   * space, n blank lines are n line breaks, spaces around a line break are dropped. Escaped line
   * breaks, an empty first or last piece, and continuation lines not indented past `col` fall back.
   */
  private multiLine(pos: number, k: number, col: number, dq: boolean): string {
    const text = this.text;
    const piece = (from: number, to: number): string => {
      if (dq) {
        if (to > from && text.charCodeAt(to - 1) === 0x5c) bail("an escaped line break in a double-quoted scalar");
        return this.dqDecode(from, to, false);
      }
      return text.slice(from, to).replaceAll("''", "'");
    };
    const trimEnd = (from: number, to: number): number => {
      while (to > from && text.charCodeAt(to - 1) === SP) to--;
      return to;
    };
    let end = trimEnd(pos + 1, this.ends[k] as number);
    if (end === pos + 1) bail("a multi-line quoted scalar with an empty first line");
    let out = piece(pos + 1, end);
    for (let line = k + 1; ; line++) {
      let blanks = 0;
      while (line < this.lineCount && this.skipSpaces(this.starts[line] as number, this.ends[line] as number) === this.ends[line]) {
        blanks++;
        line++;
      }
      if (line >= this.lineCount) bail("an unterminated quoted scalar");
      const start = this.starts[line] as number;
      const lineEnd = this.ends[line] as number;
      const first = this.skipSpaces(start, lineEnd);
      if (first - start <= col) bail("a quoted scalar's line not indented past its collection");
      const fold = blanks === 0 ? " " : "\n".repeat(blanks);
      const close = this.closingQuote(first, lineEnd, dq);
      if (close !== -1) {
        if (close === first) bail("a multi-line quoted scalar with an empty last line");
        out += fold + piece(first, close);
        this.s1 = close + 1;
        this.endLine = line;
        return out;
      }
      end = trimEnd(first, lineEnd);
      out += fold + piece(first, end);
    }
  }

  /** `[a, "b"]` or `{ k: v }` on one line (span to s0..s1); nested flow collections allowed. */
  flow(pos: number, limit: number, self: number, depth: number): unknown {
    const text = this.text;
    const isMap = text.charCodeAt(pos) === 0x7b;
    const close = isMap ? 0x7d : 0x5d;
    const seq: unknown[] = isMap ? EMPTY_SEQ : [];
    const map: Record<string, unknown> = isMap ? {} : EMPTY_MAP;
    let i = this.skipSpaces(pos + 1, limit);
    for (;;) {
      if (i >= limit) bail();
      if (text.charCodeAt(i) === close) {
        this.s0 = pos;
        this.s1 = i + 1;
        // An exact-size copy: a list grown by push keeps room for 17 items (about 150 bytes more
        // for a one-item list, as trunkIds and numbers mostly are).
        return isMap ? map : seq.slice();
      }
      if (isMap) {
        const name = this.flowKey(i, limit);
        if (hasOwn(map, name) || name === "<<") bail();
        const colon = this.kEnd + 1;
        const at = this.skipSpaces(colon, limit);
        if (at === colon || at >= limit) bail();
        setOwn(map, name, this.flowItem(at, limit, self, depth, close, name, this.kStart, this.kEnd));
      } else {
        seq.push(this.flowItem(i, limit, self, depth, close, seq.length, NONE, NONE));
      }
      i = this.skipSpaces(this.s1, limit);
      const c = text.charCodeAt(i);
      if (i < limit && c === 0x2c) {
        i = this.skipSpaces(i + 1, limit);
        if (text.charCodeAt(i) === 0x2c) bail();
      } else if (i >= limit || c !== close) bail();
    }
  }

  /** One entry's value of a flow collection (span to s0..s1), recorded as child `seg` of `self`. */
  private flowItem(at: number, limit: number, self: number, depth: number, close: number, seg: PathSegment, keyStart: number, keyEnd: number): unknown {
    const c = this.text.charCodeAt(at);
    const slot = this.reserve(self, seg, keyStart, keyEnd);
    let value: unknown;
    if (keyStart !== NONE && (c === close || c === 0x2c)) {
      // A key with no value (`{ k: }`, `{ k: , }`): null, placed where the next token starts.
      value = null;
      this.s0 = at;
      this.s1 = at;
    } else {
      value = this.inlineValue(at, limit, slot, depth + 1, false);
    }
    this.records.set(slot, this.s0, this.s1);
    return value;
  }

  /** A flow mapping key (its span to the k fields, its `:` right after it): quoted, or plain up to `: `; spaces before `:` and odd keys bail. */
  flowKey(pos: number, limit: number): string {
    const text = this.text;
    const c = text.charCodeAt(pos);
    if (c === 0x22 || c === 0x27) {
      const name = this.quoted(pos, limit);
      const end = this.s1;
      if (text.charCodeAt(end) !== COLON || end + 1 >= limit || text.charCodeAt(end + 1) !== SP) bail();
      this.keyAt(pos, end);
      return name;
    }
    if (isIndicator(c) || c === DASH) bail();
    let i = pos;
    while (i < limit) {
      const ch = text.charCodeAt(i);
      if (ch === COLON || ch === SP || ch === 0x2c || ch === 0x5b || ch === 0x5d || ch === 0x7b || ch === 0x7d || ch === HASH) break;
      i++;
    }
    if (i === pos || i + 1 >= limit || text.charCodeAt(i) !== COLON || text.charCodeAt(i + 1) !== SP) bail();
    if (i - pos > MAX_KEY_LENGTH) bail();
    const raw = text.slice(pos, i);
    const resolved = resolvePlain(raw);
    if (typeof resolved !== "string" || nonTextKey(raw, resolved) !== undefined) bail();
    this.keyAt(pos, i);
    return resolved;
  }
}

function escapePointer(seg: string): string {
  return seg.includes("~") || seg.includes("/") ? pointerOf([seg]).slice(1) : seg;
}

/** The value and spans of `text` when it is in the fast subset; `undefined` sends it to the library. */
export function parseFastYaml(text: string): FastYaml | undefined {
  const result = tryFastYaml(text);
  return "fallback" in result ? undefined : result;
}

/** parseFastYaml, or why the text goes to the library path (for a debug-level note). */
export function tryFastYaml(
  text: string,
  options: {
    readonly unhandledChars?: boolean;
    /**
     * Copy every scalar value of 13 characters or more out of the text, for a value kept after
     * the load (plan, apply, watch): a substring is otherwise a view that keeps the whole text.
     */
    readonly ownStrings?: boolean;
  } = {},
): FastYaml | { readonly fallback: string } {
  // The loader has already scanned for these characters (a 40 MB file takes ~30 ms a scan).
  if (options.unhandledChars ?? UNHANDLED_CHARS.test(text)) return { fallback: "a tab, CR, BOM or control character" };
  let value: unknown;
  let first: FastParser;
  try {
    first = new FastParser(text, new NoRecords(), options.ownStrings === true);
    value = first.parseDocument();
  } catch (err) {
    // Unsupported, or a surprise such as a stack overflow: the library path decides and reports.
    return { fallback: err instanceof Unsupported ? err.message : "the fast parser gave up" };
  }
  // The spans, from a second pass that records them, on the first question about a position. The
  // parser is deterministic: the second pass takes the same path through the same text.
  let records: NodeRecords | undefined;
  const spans = (): NodeRecords => {
    if (records === undefined) {
      records = new NodeRecords();
      try {
        new FastParser(text, records).parseDocument();
      } catch {
        // Cannot happen (the first pass succeeded on the same text); if it did, no position is known.
        records = new NodeRecords();
      }
    }
    return records;
  };
  // A path below one item of a root-level sequence (`rules[i]...`, what a plan's changed rules ask
  // for) is answered from that item's records alone: no second pass over a large file.
  const items = new Map<string, NodeRecords | null>();
  const fromItem = (path: readonly PathSegment[]): NodeInfo | undefined => {
    if (path.length < 2) return undefined;
    const key = String(path[0]);
    const seg = path[1];
    const i = typeof seg === "number" ? seg : /^(?:0|[1-9][0-9]{0,8})$/.test(seg as string) ? Number(seg) : -1;
    if (!(i >= 0) || !first.rootItems.has(key)) return undefined;
    let itemRecords = items.get(`${i}:${key}`);
    if (itemRecords === undefined) {
      itemRecords = first.itemRecords(key, i) ?? null;
      items.set(`${i}:${key}`, itemRecords);
    }
    // The item is the only child of the key's record here: index 0, reported with its own index.
    return itemRecords?.lookup([key, 0, ...path.slice(2)]);
  };
  let nodes: Map<string, NodeInfo> | undefined;
  const nodesOf = (): Map<string, NodeInfo> => (nodes ??= spans().toMap());
  const result = {
    value,
    get nodes(): Map<string, NodeInfo> {
      return nodesOf();
    },
  };
  Object.defineProperty(result, "nodesOf", { value: nodesOf, enumerable: false });
  Object.defineProperty(result, "lineStarts", { value: first.starts, enumerable: false });
  // Read once by parseYaml, which keeps the array it gets, never this function (whose scope holds `first`).
  const nameKeys = new Map([...first.rootItems].map(([key, seq]) => [key, seq.nameKeys]));
  Object.defineProperty(result, "nameKeys", { value: (rootKey: string) => nameKeys.get(rootKey), enumerable: false });
  Object.defineProperty(result, "lookup", { value: (path: readonly PathSegment[]) => fromItem(path) ?? spans().lookup(path), enumerable: false });
  Object.defineProperty(result, "aliasValues", { value: first.aliasValues, enumerable: false });
  return result as FastYaml;
}

// Pure. A fast parser for the plain YAML subset rules files use: block mappings and sequences,
// one-line scalars and flow collections, comments. It yields exactly what the `yaml`-library path
// of parseYaml yields (the value and the span of every value), and `undefined` for anything
// outside the subset or in any doubt, so that the library path (and its messages) handles it.
import { pointerOf, type NodeInfo, type PathSegment, type Span } from "./positions.js";

export interface FastYaml {
  readonly value: unknown;
  /** By JSON pointer, in the order parseYaml records them (pre-order, document order). */
  readonly nodes: Map<string, NodeInfo>;
}

/** Deeper files go to the library path, which reports `too-deep` past MAX_DEPTH (64). */
const MAX_FAST_DEPTH = 48;
/** The library flags implicit keys over 1024 characters in strict mode. */
const MAX_KEY_LENGTH = 1000;

/** `after` of an empty value: a collection may not end with one (see entryValue). */
const EMPTY_END = -1;

/** Placeholder that keeps a value's place in `nodes` until its span is known. */
const RESERVED: NodeInfo = { path: [], value: { start: -1, end: -1 } };

/** Thrown inside this module only: "not in the subset", caught by parseFastYaml. */
class Unsupported extends Error {}
const UNSUPPORTED = new Unsupported("outside the fast YAML subset");
function bail(): never {
  throw UNSUPPORTED;
}

/**
 * Characters the fast path never handles: tabs, CR, C0/C1 controls, BOM, the Unicode line
 * separators. The library treats some of them specially; the file guard rejects most anyway.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNHANDLED_CHARS = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u2028\u2029\uFEFF]/;

const SP = 0x20;
const HASH = 0x23;
const COLON = 0x3a;
const DASH = 0x2d;

/** A parsed value with its span: `end` is the library's range[1], `after` its range[2]. */
interface Parsed {
  readonly value: unknown;
  readonly start: number;
  readonly end: number;
  readonly after: number;
  /** First line not consumed by this node (block nodes and line-ending values). */
  readonly next: number;
}

interface Key {
  readonly name: string;
  readonly start: number;
  readonly end: number;
  /** Offset just after the `:` indicator. */
  readonly colon: number;
}

/** YAML 1.2 core schema, as the `yaml` package resolves plain scalars (schema/core/*.js). */
export function resolvePlain(s: string): unknown {
  const c = s.charCodeAt(0);
  // Fast exit: only these first characters can start a non-string core-schema value.
  if (!(c === 0x7e || c === 0x6e || c === 0x4e || c === 0x74 || c === 0x54 || c === 0x66 || c === 0x46 || c === 0x2b || c === DASH || c === 0x2e || (c >= 0x30 && c <= 0x39)) && s !== "") return s;
  if (/^(?:~|[Nn]ull|NULL)?$/.test(s)) return null;
  if (/^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/.test(s)) return s[0] === "t" || s[0] === "T";
  if (/^0o[0-7]+$/.test(s)) return parseInt(s.substring(2), 8);
  if (/^[-+]?[0-9]+$/.test(s)) return parseInt(s, 10);
  if (/^0x[0-9a-fA-F]+$/.test(s)) return parseInt(s.substring(2), 16);
  if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(s)) return s.slice(-3).toLowerCase() === "nan" ? NaN : s[0] === "-" ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(s)) return parseFloat(s);
  if (/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(s)) return parseFloat(s);
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
/** A block plain scalar's line up to a ` #` comment or the line end (trailing spaces included). */
const BLOCK_PLAIN = /[^\n]*?(?= #|\n|$)/y;
/** The run of a double-quoted scalar without escapes. */
const DQ_PLAIN_RUN = /[^"\\\n]*/y;
/** The characters of a flow plain scalar up to a flow character, `:`, `#` or the line end. */
const FLOW_PLAIN = /[^,[\]{}:#\n]*/y;

/** Characters a plain scalar may not start with (`-`, `?`, `:` are handled by the callers). */
function isIndicator(c: number): boolean {
  // , [ ] { } # & * ! | > ' " % @ ` ? :
  return c === 0x2c || c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d || c === HASH || c === 0x26 || c === 0x2a || c === 0x21 || c === 0x7c || c === 0x3e || c === 0x27 || c === 0x22 || c === 0x25 || c === 0x40 || c === 0x60 || c === 0x3f || c === COLON;
}

function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  // defineProperty for `__proto__`, as parseYaml does: it must be plain data, never a prototype.
  if (key === "__proto__") Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

class FastParser {
  readonly text: string;
  /** Pointers and infos in parseYaml's order (pre-order); the Map is built once at the end. */
  readonly ptrs: string[] = [];
  readonly infos: NodeInfo[] = [];
  /** Per line: start offset, end offset (the `\n` or the text end), indent; -1 indent: blank or comment. */
  readonly starts: number[] = [];
  readonly ends: number[] = [];
  readonly indents: number[] = [];
  readonly lineCount: number;

  constructor(text: string) {
    this.text = text;
    let start = 0;
    for (;;) {
      const nl = text.indexOf("\n", start);
      const end = nl === -1 ? text.length : nl;
      let i = start;
      while (i < end && text.charCodeAt(i) === SP) i++;
      this.starts.push(start);
      this.ends.push(end);
      this.indents.push(i === end || text.charCodeAt(i) === HASH ? -1 : i - start);
      if (nl === -1) break;
      start = nl + 1;
    }
    this.lineCount = this.starts.length;
    this.checkComments();
  }

  /**
   * A comment line indented deeper than the next content line can end up inside the node before
   * it in the library's tree and stretch its range: leave such files to the library.
   */
  private checkComments(): void {
    let nextIndent = 0;
    for (let k = this.lineCount - 1; k >= 0; k--) {
      const indent = this.indents[k] as number;
      if (indent >= 0) {
        nextIndent = indent;
        continue;
      }
      const start = this.starts[k] as number;
      const end = this.ends[k] as number;
      let i = start;
      while (i < end && this.text.charCodeAt(i) === SP) i++;
      if (i < end && i - start > nextIndent) bail();
    }
  }

  /** Keeps a value's place in the pre-order until its span is known. */
  reserve(ptr: string): number {
    this.ptrs.push(ptr);
    return this.infos.push(RESERVED) - 1;
  }

  nextContent(k: number): number {
    while (k < this.lineCount && (this.indents[k] as number) < 0) k++;
    return k;
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

  parseDocument(): FastYaml {
    const k = this.nextContent(0);
    if (k === this.lineCount) {
      return { value: null, nodes: new Map([["", { path: [], value: { start: 0, end: 0 } }]]) };
    }
    // A document that starts indented, or with a scalar or flow collection, is rare: library path.
    if (this.indents[k] !== 0) bail();
    const slot = this.reserve("");
    const node = this.blockNode(k, 0, [], "", 0);
    this.infos[slot] = { path: [], value: { start: node.start, end: node.end } };
    if (this.nextContent(node.next) !== this.lineCount) bail();
    const nodes = new Map<string, NodeInfo>();
    for (let i = 0; i < this.ptrs.length; i++) nodes.set(this.ptrs[i] as string, this.infos[i] as NodeInfo);
    return { value: node.value, nodes };
  }

  /** The block collection whose first entry starts on line k at column col; the caller records it. */
  blockNode(k: number, col: number, path: readonly PathSegment[], ptr: string, depth: number): Parsed {
    if (depth > MAX_FAST_DEPTH) bail();
    const pos = (this.starts[k] as number) + col;
    const limit = this.ends[k] as number;
    const node = this.isSeqItem(pos, limit) ? this.blockSeq(k, col, path, ptr, depth) : this.blockMap(k, col, path, ptr, depth);
    return node;
  }

  /** A value whose own line ends after it; `null` + nested block when the line has no value. */
  private entryValue(k: number, col: number, pos: number, path: readonly PathSegment[], ptr: string, key: Span | undefined, depth: number): Parsed {
    const limit = this.ends[k] as number;
    const p = this.skipSpaces(pos, limit);
    // Reserve the entry's place: parseYaml records a value before its children.
    const slot = this.reserve(ptr);
    let v: Parsed;
    if (p === limit || this.text.charCodeAt(p) === HASH) {
      const nk = this.nextContent(k + 1);
      const indent = nk < this.lineCount ? (this.indents[nk] as number) : -1;
      // A block sequence may sit at the same column as the keys of the mapping that holds it.
      if (indent > col || (key !== undefined && indent === col && this.isSeqItem((this.starts[nk] as number) + indent, this.ends[nk] as number))) {
        v = this.blockNode(nk, indent, path, ptr, depth);
      } else {
        // Where the library ends an empty value depends on the comments around it; that end only
        // matters when the value closes a collection, and there the collection bails (EMPTY_END).
        v = { value: null, start: p, end: p, after: EMPTY_END, next: k + 1 };
      }
    } else {
      if (key === undefined && this.isSeqItem(p, limit)) bail();
      const inline = this.inlineValue(p, limit, path, ptr, depth, true);
      const q = this.skipSpaces(inline.end, limit);
      if (q !== limit && !(q > inline.end && this.text.charCodeAt(q) === HASH)) bail();
      v = { value: inline.value, start: inline.start, end: inline.end, after: this.lineAfter(k), next: k + 1 };
    }
    const value = { start: v.start, end: v.end };
    this.infos[slot] = key === undefined ? { path, value } : { path, key, value };
    return v;
  }

  blockMap(k: number, col: number, path: readonly PathSegment[], ptr: string, depth: number): Parsed {
    const out: Record<string, unknown> = {};
    const seen = new Set<string>();
    let line = k;
    let pos = (this.starts[k] as number) + col;
    let start = -1;
    let end: number;
    for (;;) {
      const limit = this.ends[line] as number;
      const key = this.mapKey(pos, limit);
      if (key === undefined || key.name === "<<" || seen.has(key.name)) bail();
      seen.add(key.name);
      if (start < 0) start = key.start;
      const childPath = [...path, key.name];
      const childPtr = `${ptr}/${escapePointer(key.name)}`;
      const v = this.entryValue(line, col, key.colon, childPath, childPtr, { start: key.start, end: key.end }, depth + 1);
      setOwn(out, key.name, v.value);
      end = v.after;
      const nk = this.nextContent(v.next);
      if (nk === this.lineCount || (this.indents[nk] as number) < col) return this.closed(out, start, end, nk);
      const indent = this.indents[nk] as number;
      if (indent > col) bail();
      line = nk;
      pos = (this.starts[nk] as number) + col;
      if (this.isSeqItem(pos, this.ends[nk] as number)) bail();
    }
  }

  blockSeq(k: number, col: number, path: readonly PathSegment[], ptr: string, depth: number): Parsed {
    const out: unknown[] = [];
    let line = k;
    const start = (this.starts[k] as number) + col;
    let end: number;
    for (;;) {
      const lineStart = this.starts[line] as number;
      const limit = this.ends[line] as number;
      const dash = lineStart + col;
      const i = out.length;
      const childPath = [...path, i];
      const childPtr = `${ptr}/${i}`;
      const p = this.skipSpaces(dash + 1, limit);
      let v: Parsed;
      if (p < limit && this.text.charCodeAt(p) !== HASH && this.mapKey(p, limit) !== undefined) {
        // `- key: value`: a mapping whose keys line up with this first key.
        const slot = this.reserve(childPtr);
        v = this.blockNode(line, p - lineStart, childPath, childPtr, depth + 1);
        this.infos[slot] = { path: childPath, value: { start: v.start, end: v.end } };
      } else {
        v = this.entryValue(line, col, dash + 1, childPath, childPtr, undefined, depth + 1);
      }
      out.push(v.value);
      end = v.after;
      const nk = this.nextContent(v.next);
      if (nk === this.lineCount || (this.indents[nk] as number) < col) return this.closed(out, start, end, nk);
      if ((this.indents[nk] as number) > col) bail();
      // Not an item: the mapping that holds this sequence (at the same column) goes on.
      if (!this.isSeqItem((this.starts[nk] as number) + col, this.ends[nk] as number)) return this.closed(out, start, end, nk);
      line = nk;
    }
  }

  /** A finished block collection: it ends where its last value's line (or comment) ends. */
  private closed(value: unknown, start: number, end: number, next: number): Parsed {
    if (end === EMPTY_END) bail();
    return { value, start, end, after: end, next };
  }

  /** `key:` at pos (followed by a space or the line end), or undefined when the line is no entry. */
  mapKey(pos: number, limit: number): Key | undefined {
    const text = this.text;
    const c = text.charCodeAt(pos);
    if (c === 0x22 || c === 0x27) {
      const q = this.quoted(pos, limit);
      const colon = this.skipSpaces(q.end, limit);
      if (colon === q.end && colon < limit && text.charCodeAt(colon) === COLON && (colon + 1 === limit || text.charCodeAt(colon + 1) === SP)) {
        return { name: q.value, start: pos, end: q.end, colon: colon + 1 };
      }
      return undefined;
    }
    // Conservative plain keys: no spaces, no `:` `#` or flow characters, no indicator first.
    PLAIN_KEY.lastIndex = pos;
    const m = PLAIN_KEY.exec(text);
    if (m === null) return undefined;
    const raw = m[0];
    const end = pos + raw.length;
    if (end > limit) return undefined;
    if (raw.length > MAX_KEY_LENGTH || raw === "<<") bail();
    const resolved = resolvePlain(raw);
    if (resolved === null) bail();
    return { name: typeof resolved === "string" ? resolved : String(resolved), start: pos, end, colon: end + 1 };
  }

  /** A scalar or flow collection that starts at pos; `end` is after its last character. */
  inlineValue(pos: number, limit: number, path: readonly PathSegment[], ptr: string, depth: number, block: boolean): { value: unknown; start: number; end: number } {
    if (depth > MAX_FAST_DEPTH) bail();
    const text = this.text;
    const c = text.charCodeAt(pos);
    if (c === 0x5b || c === 0x7b) return this.flow(pos, limit, path, ptr, depth);
    if (c === 0x22 || c === 0x27) return this.quoted(pos, limit);
    if (isIndicator(c) || (c === DASH && (pos + 1 === limit || text.charCodeAt(pos + 1) === SP))) bail();
    let last: number;
    if (block) {
      // Up to a ` #` comment; a `: ` (or `:` at the end) inside is a nested mapping: an error.
      BLOCK_PLAIN.lastIndex = pos;
      last = pos + (BLOCK_PLAIN.exec(text)?.[0].length ?? 0);
      for (let colon = text.indexOf(":", pos); colon !== -1 && colon < last; colon = text.indexOf(":", colon + 1)) {
        if (colon + 1 === limit || text.charCodeAt(colon + 1) === SP) bail();
      }
    } else {
      // Flow scalars stop at flow characters; `:` and `#` have rules of their own there.
      FLOW_PLAIN.lastIndex = pos;
      last = pos + (FLOW_PLAIN.exec(text)?.[0].length ?? 0);
      if (last > limit) last = limit;
      const stop = text.charCodeAt(last);
      if (last < limit && (stop === COLON || stop === HASH)) bail();
    }
    while (last > pos && text.charCodeAt(last - 1) === SP) last--;
    if (last === pos) bail();
    return { value: resolvePlain(text.slice(pos, last)), start: pos, end: last };
  }

  /** A one-line quoted scalar; any escape the library would reject, or a line break, bails. */
  quoted(pos: number, limit: number): { value: string; start: number; end: number } {
    const text = this.text;
    if (text.charCodeAt(pos) === 0x27) {
      let out = "";
      let from = pos + 1;
      for (;;) {
        const q = text.indexOf("'", from);
        if (q === -1 || q >= limit) bail();
        out += text.slice(from, q);
        if (text.charCodeAt(q + 1) === 0x27 && q + 1 < limit) {
          out += "'";
          from = q + 2;
          continue;
        }
        return { value: out, start: pos, end: q + 1 };
      }
    }
    DQ_PLAIN_RUN.lastIndex = pos + 1;
    const close = pos + 1 + (DQ_PLAIN_RUN.exec(text)?.[0].length ?? 0);
    if (close < limit && text.charCodeAt(close) === 0x22) return { value: text.slice(pos + 1, close), start: pos, end: close + 1 };
    let out = "";
    let from = pos + 1;
    for (let i = from; i < limit; i++) {
      const ch = text.charCodeAt(i);
      if (ch === 0x22) return { value: out + text.slice(from, i), start: pos, end: i + 1 };
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
        if (hex.length !== length || i + 2 + length > limit || !/^[0-9a-fA-F]+$/.test(hex)) bail();
        const code = parseInt(hex, 16);
        if (code > 0x10ffff) bail();
        out += String.fromCodePoint(code);
        i += 1 + length;
      } else bail();
      from = i + 1;
    }
    return bail();
  }

  /** `[a, "b"]` or `{ k: v }` on one line; nested flow collections allowed. */
  flow(pos: number, limit: number, path: readonly PathSegment[], ptr: string, depth: number): { value: unknown; start: number; end: number } {
    const text = this.text;
    const isMap = text.charCodeAt(pos) === 0x7b;
    const close = isMap ? 0x7d : 0x5d;
    const seq: unknown[] = [];
    const map: Record<string, unknown> = {};
    const seen = new Set<string>();
    let i = this.skipSpaces(pos + 1, limit);
    const item = (at: number, childPath: PathSegment[], childPtr: string, key: Span | undefined): { value: unknown; start: number; end: number } => {
      const c = text.charCodeAt(at);
      const slot = this.reserve(childPtr);
      // A key with no value (`{ k: }`, `{ k: , }`): null, placed where the next token starts.
      const v = key !== undefined && (c === close || c === 0x2c) ? { value: null, start: at, end: at } : this.inlineValue(at, limit, childPath, childPtr, depth + 1, false);
      const value = { start: v.start, end: v.end };
      this.infos[slot] = key === undefined ? { path: childPath, value } : { path: childPath, key, value };
      return v;
    };
    for (;;) {
      if (i >= limit) bail();
      if (text.charCodeAt(i) === close) return { value: isMap ? map : seq, start: pos, end: i + 1 };
      let end: number;
      if (isMap) {
        const key = this.flowKey(i, limit);
        if (seen.has(key.name) || key.name === "<<") bail();
        seen.add(key.name);
        const at = this.skipSpaces(key.colon, limit);
        if (at === key.colon || at >= limit) bail();
        const v = item(at, [...path, key.name], `${ptr}/${escapePointer(key.name)}`, { start: key.start, end: key.end });
        setOwn(map, key.name, v.value);
        end = v.end;
      } else {
        const v = item(i, [...path, seq.length], `${ptr}/${seq.length}`, undefined);
        seq.push(v.value);
        end = v.end;
      }
      i = this.skipSpaces(end, limit);
      const c = text.charCodeAt(i);
      if (i < limit && c === 0x2c) {
        i = this.skipSpaces(i + 1, limit);
        if (text.charCodeAt(i) === 0x2c) bail();
      } else if (i >= limit || c !== close) bail();
    }
  }

  /** A flow mapping key: quoted, or plain up to `: `; spaces before `:` and odd keys bail. */
  flowKey(pos: number, limit: number): Key {
    const text = this.text;
    const c = text.charCodeAt(pos);
    if (c === 0x22 || c === 0x27) {
      const q = this.quoted(pos, limit);
      if (text.charCodeAt(q.end) !== COLON || q.end + 1 >= limit || text.charCodeAt(q.end + 1) !== SP) bail();
      return { name: q.value, start: pos, end: q.end, colon: q.end + 1 };
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
    const resolved = resolvePlain(text.slice(pos, i));
    if (resolved === null) bail();
    return { name: String(resolved), start: pos, end: i, colon: i + 1 };
  }
}

function escapePointer(seg: string): string {
  return seg.includes("~") || seg.includes("/") ? pointerOf([seg]).slice(1) : seg;
}

/** The value and spans of `text` when it is in the fast subset; `undefined` sends it to the library. */
export function parseFastYaml(text: string): FastYaml | undefined {
  if (UNHANDLED_CHARS.test(text)) return undefined;
  try {
    return new FastParser(text).parseDocument();
  } catch {
    // UNSUPPORTED, or a surprise such as a stack overflow: the library path decides and reports.
    return undefined;
  }
}

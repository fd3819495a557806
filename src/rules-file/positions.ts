// Pure. Where each value of the parsed file came from: JSON-pointer -> source spans, and
// offset -> 1-based line/column, so every later check can name `file:line:column`.
import { toDotPath, type Diagnostic } from "../model/index.js";

export type PathSegment = string | number;

/** Character offsets into the decoded text, end exclusive. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

export interface NodeInfo {
  readonly path: readonly PathSegment[];
  /** The mapping key that holds this value, when it is a mapping entry. */
  readonly key?: Span;
  readonly value: Span;
}

export interface SourceIndex {
  readonly file: string;
  readonly text: string;
  /** By JSON pointer (`/rules/0/name`, RFC 6901 escaping, as ajv's instancePath). */
  readonly nodes: ReadonlyMap<string, NodeInfo>;
  /** `nodes.get(pointerOf(path))` without building `nodes`, when the parser can (see nodeAt). */
  readonly lookup?: (path: readonly PathSegment[]) => NodeInfo | undefined;
  /** 1-based line and column of an offset. */
  locate(offset: number): { readonly line: number; readonly column: number };
  /**
   * The fast YAML path's first-pass record of the offset of each rule's own `name:` key (-1 where
   * none was recorded) and its line table: rule positions that hold neither the text nor the index.
   */
  readonly ruleNames?: { readonly keys: readonly number[]; readonly lineStarts: Int32Array };
}

export function pointerOf(path: readonly PathSegment[]): string {
  let out = "";
  for (const seg of path) {
    const s = String(seg);
    out += s.includes("~") || s.includes("/") ? `/${s.replace(/~/g, "~0").replace(/\//g, "~1")}` : `/${s}`;
  }
  return out;
}

/** Line starts of a text, for offset -> line/column by binary search. */
export function makeLocator(text: string, lineStarts?: ArrayLike<number>): (offset: number) => { line: number; column: number } {
  // The fast YAML path has the line starts already (its line table): no second scan of the text.
  let starts: ArrayLike<number>;
  if (lineStarts !== undefined) starts = lineStarts;
  else {
    const found = [0];
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) found.push(i + 1);
    starts = found;
  }
  return (offset: number) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (starts[lo] as number) + 1 };
  };
}

export interface DiagnosticInit {
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
  readonly severity?: Diagnostic["severity"];
  readonly related?: Diagnostic["related"];
}

/** A diagnostic at an offset of the file (or at line 0 when `offset` is undefined). */
export function diagnosticAt(index: Pick<SourceIndex, "file" | "locate">, offset: number | undefined, path: readonly PathSegment[], init: DiagnosticInit): Diagnostic {
  const pos = offset === undefined ? { line: 0, column: 0 } : index.locate(offset);
  return {
    code: init.code,
    severity: init.severity ?? "error",
    message: init.message,
    ...(init.hint === undefined ? {} : { hint: init.hint }),
    file: index.file,
    line: pos.line,
    column: pos.column,
    path: toDotPath(path),
    ...(init.related === undefined ? {} : { related: init.related }),
  };
}

/** The node at `path`: `index.nodes.get(pointerOf(path))`, through `lookup` when there is one. */
export function nodeAt(index: SourceIndex, path: readonly PathSegment[]): NodeInfo | undefined {
  return index.lookup === undefined ? index.nodes.get(pointerOf(path)) : index.lookup(path);
}

/** The key position of a value if it has one, else the value's own position. */
export function keyOrValueOffset(index: SourceIndex, path: readonly PathSegment[]): number | undefined {
  const info = nodeAt(index, path);
  if (info === undefined) return undefined;
  return (info.key ?? info.value).start;
}

/** The value position, falling back to the nearest ancestor that has one. */
export function valueOffset(index: SourceIndex, path: readonly PathSegment[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const info = nodeAt(index, path.slice(0, n));
    if (info !== undefined) return info.value.start;
  }
  return undefined;
}

/** Sorted by line, column, then code: stable output for tests and humans. */
export function sortDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  return [...list].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.code.localeCompare(b.code) || a.message.localeCompare(b.message));
}

/** Drops exact repeats (an aliased node can yield one problem at several paths). */
export function dedupeDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return list.filter((d) => {
    const k = `${d.line}:${d.column}:${d.code}:${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

// Pure. YAML text -> a plain JSON-like value plus the source span of every value (SourceIndex).
// Anchors, aliases and `<<` merge keys are expanded here; duplicate keys, alias bombs, cycles,
// unsupported tags and over-deep nesting become diagnostics, never exceptions. The YAML people
// write takes the fast path (fast-yaml.ts); the rest, and every error message, come from the
// `yaml` package.
import { createRequire } from "node:module";
import type * as Yaml from "yaml";
import type { Document, Node as YamlNode, YAMLError } from "yaml";
import { safeText, setOwn, toDotPath, type Diagnostic } from "../model/index.js";
import { maxAliasExpansion, tryFastYaml } from "./fast-yaml.js";
import { nonTextKey, quoteKeyHint } from "./plain-key.js";
import { diagnosticAt, makeLocator, pointerOf, type NodeInfo, type PathSegment, type SourceIndex, type Span } from "./positions.js";

/**
 * The `yaml` package, loaded on first use: loading it takes about as long as starting Node, and
 * the fast path does not need it. createRequire keeps loadRulesText synchronous (yaml ships CJS).
 */
let yamlModule: typeof Yaml | undefined;
function yaml(): typeof Yaml {
  yamlModule ??= createRequire(import.meta.url)("yaml") as typeof Yaml;
  return yamlModule;
}

/**
 * Nodes aliases may expand to in total, at least: a real file needs a few thousand; a bomb needs
 * millions. Larger files may expand to a sixteenth of their length (maxAliasExpansion), so that a
 * `<<: *defaults` in each of 100,000 rules is not taken for a bomb.
 */
export const MAX_ALIAS_EXPANSION = 100_000;
/** Nesting depth of the file's values; a rules file needs about 12. */
export const MAX_DEPTH = 64;

export type ParseYamlResult =
  /** `diagnostics` here are soft problems (duplicate keys, bad merges): the value is still usable for further checks. */
  | {
      readonly ok: true;
      readonly value: unknown;
      readonly index: SourceIndex;
      readonly diagnostics: readonly Diagnostic[];
      /** Why the text took the library path (what the fast path does not read), when it did. */
      readonly fallback?: string;
      /** Values the aliases and merge keys expanded to (what maxAliasExpansion bounds). */
      readonly aliasValues: number;
    }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

const SYNTAX_HINTS: Partial<Record<YAMLError["code"], string>> = {
  TAB_AS_INDENT: "indent with spaces: YAML does not allow tabs for indentation",
  BAD_INDENT: "align this line with the other keys of its mapping, using spaces",
  MULTIPLE_DOCS: "keep one YAML document per file: remove the extra `---`",
  DUPLICATE_KEY: "remove one of the two keys",
  BAD_ALIAS: "define the anchor (`&name`) before the alias (`*name`) that uses it",
  TAG_RESOLVE_FAILED: "remove the tag (`!...`): only plain YAML values are supported",
  MISSING_CHAR: "close the quote or bracket that was opened here",
  BLOCK_AS_IMPLICIT_KEY: "put a space after the colon, or quote the key",
  MULTILINE_IMPLICIT_KEY: "put the key on one line and end it with `: `",
  UNEXPECTED_TOKEN: "check the indentation and the `key: value` syntax on this line",
  BAD_DQ_ESCAPE: "fix the escape sequence in this double-quoted string, or use single quotes",
  KEY_OVER_1024_CHARS: "shorten the key",
  RESOURCE_EXHAUSTION: "reduce the use of aliases",
};

class Abort extends Error {}

interface WalkState {
  readonly index: Pick<SourceIndex, "file" | "locate">;
  readonly text: string;
  readonly nodes: Map<string, NodeInfo>;
  readonly anchors: Map<string, YamlNode>;
  readonly diagnostics: Diagnostic[];
  /** Anchored nodes being expanded right now, to stop `&a [*a]` cycles. */
  readonly expanding: Set<YamlNode>;
  aliasDepth: number;
  expanded: number;
  readonly maxExpansion: number;
}

function spanOf(node: YamlNode | null | undefined, fallback: Span): Span {
  const r = node?.range;
  return r ? { start: r[0], end: r[1] } : fallback;
}

function record(st: WalkState, path: readonly PathSegment[], info: NodeInfo): void {
  const ptr = pointerOf(path);
  // The first writer wins: explicit keys are walked before `<<` merges, which never override them.
  if (!st.nodes.has(ptr)) st.nodes.set(ptr, info);
}

function fail(st: WalkState, offset: number, path: readonly PathSegment[], code: string, message: string, hint: string): void {
  st.diagnostics.push(diagnosticAt(st.index, offset, path, { code, message, hint }));
}

function isMergeKey(key: unknown): boolean {
  return yaml().isScalar(key) && typeof key.value === "symbol" && key.value.description === "<<";
}

function scalarValue(st: WalkState, node: YamlNode & { value: unknown }, path: readonly PathSegment[], span: Span): unknown {
  const v = node.value;
  if (v === null || typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  fail(st, span.start, path, "yaml-unsupported-value", "unsupported YAML value (binary, timestamp or another tagged type)", "write a plain string, number, true/false, list or mapping");
  return null;
}

function walk(st: WalkState, node: YamlNode | null | undefined, path: readonly PathSegment[], key: Span | undefined, fallback: Span, depth: number): unknown {
  const span = spanOf(node, fallback);
  record(st, path, key === undefined ? { path, value: span } : { path, key, value: span });
  if (st.aliasDepth > 0 && ++st.expanded > st.maxExpansion) {
    fail(st, span.start, path, "alias-bomb", `aliases expand to more than ${st.maxExpansion} values`, "use fewer or smaller aliased nodes (this looks like a YAML alias bomb)");
    throw new Abort();
  }
  if (depth > MAX_DEPTH) {
    fail(st, span.start, path, "too-deep", `values are nested more than ${MAX_DEPTH} levels deep`, "flatten the structure; a rules file needs far less nesting");
    throw new Abort();
  }
  if (node === null || node === undefined) return null;
  if (node.anchor) st.anchors.set(node.anchor, node);
  const { isAlias, isMap, isScalar, isSeq } = yaml();
  if (isAlias(node)) {
    const target = st.anchors.get(node.source);
    if (target === undefined) {
      fail(st, span.start, path, "yaml-syntax", `unknown alias *${node.source}`, "define the anchor (`&name`) before the alias (`*name`) that uses it");
      return null;
    }
    if (st.expanding.has(target)) {
      fail(st, span.start, path, "alias-cycle", `alias *${node.source} refers to a value that contains it`, "an alias must not point into its own anchor");
      return null;
    }
    st.expanding.add(target);
    st.aliasDepth += 1;
    try {
      // Children report the anchor's positions (where the content is written).
      const ptr = pointerOf(path);
      st.nodes.delete(ptr);
      const value = walk(st, target, path, key, span, depth);
      st.nodes.set(ptr, key === undefined ? { path, value: span } : { path, key, value: span });
      return value;
    } finally {
      st.aliasDepth -= 1;
      st.expanding.delete(target);
    }
  }
  if (isScalar(node)) return scalarValue(st, node, path, span);
  if (isSeq(node)) return node.items.map((item, i) => walk(st, item as YamlNode | null, [...path, i], undefined, span, depth + 1));
  if (isMap(node)) return walkMap(st, node.items, path, span, depth);
  fail(st, span.start, path, "yaml-unsupported-value", "unsupported YAML node", "write a plain string, number, true/false, list or mapping");
  return null;
}

function walkMap(st: WalkState, items: readonly unknown[], path: readonly PathSegment[], span: Span, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const firstKey = new Map<string, Span>();
  const merges: unknown[] = [];
  const { isPair, isScalar } = yaml();
  for (const pair of items) {
    if (!isPair(pair)) continue;
    const keyNode = pair.key as YamlNode | null;
    if (isMergeKey(keyNode)) {
      merges.push(pair.value);
      continue;
    }
    const keySpan = spanOf(keyNode, span);
    if (isScalar(keyNode) && keyNode.type === "PLAIN" && keyNode.tag === undefined) {
      // Keys are text as written: a key YAML reads as a number, boolean or null is never re-spelled.
      const raw = st.text.slice(keySpan.start, keySpan.end).trim();
      const reading = nonTextKey(raw, keyNode.value);
      if (reading !== undefined) {
        fail(st, keySpan.start, [...path, raw], "non-text-key", `the key \`${safeText(raw, 40)}\` is read by YAML as ${reading}, not as the text written`, quoteKeyHint(safeText(raw, 40)));
        continue;
      }
    }
    if (!isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === "object" || typeof keyNode.value === "symbol") {
      fail(st, keySpan.start, path, "bad-key", "a mapping key must be a plain, non-empty string", "write `key: value` with a simple key");
      continue;
    }
    if (typeof keyNode.value !== "string") {
      // A tagged key (`!!int 7: x`) or another non-text key.
      fail(st, keySpan.start, path, "non-text-key", "a mapping key must be text", "quote the key and remove any tag: `\"key\": value`");
      continue;
    }
    const name = keyNode.value;
    const childPath = [...path, name];
    const first = firstKey.get(name);
    if (first !== undefined) {
      const at = st.index.locate(first.start);
      st.diagnostics.push(
        diagnosticAt(st.index, keySpan.start, childPath, {
          code: "duplicate-key",
          message: `duplicate key \`${name}\` (first at line ${at.line})`,
          hint: "remove one of the two keys; YAML mappings cannot repeat a key",
          related: [{ file: st.index.file, line: at.line, column: at.column, path: toDotPath(childPath) }],
        }),
      );
      continue;
    }
    firstKey.set(name, keySpan);
    setOwn(out, name, walk(st, pair.value as YamlNode | null, childPath, keySpan, keySpan, depth + 1));
  }
  for (const source of merges) mergeInto(st, out, source, path, span, depth);
  return out;
}

/** `<<: *a` or `<<: [*a, *b]`: keys not set explicitly come from the sources, earlier sources first. */
function mergeInto(st: WalkState, out: Record<string, unknown>, source: unknown, path: readonly PathSegment[], span: Span, depth: number): void {
  const { isAlias, isMap, isSeq } = yaml();
  const resolve = (n: unknown): YamlNode | undefined => (isAlias(n) ? st.anchors.get(n.source) : (n as YamlNode | undefined));
  const top = resolve(source);
  const list = isSeq(top) ? top.items.map(resolve) : [top];
  for (const item of list) {
    if (!isMap(item)) {
      fail(st, spanOf(source as YamlNode, span).start, path, "bad-merge", "a merge key `<<` needs a mapping or a list of mappings", "write `<<: *anchor` where `&anchor` names a mapping");
      continue;
    }
    if (st.expanding.has(item)) {
      fail(st, spanOf(source as YamlNode, span).start, path, "alias-cycle", "a merge key `<<` refers to the mapping that contains it", "merge a different mapping");
      continue;
    }
    st.expanding.add(item);
    st.aliasDepth += 1;
    try {
      const merged = walkMap(st, item.items, path, spanOf(item, span), depth);
      for (const k of Object.keys(merged)) if (!Object.prototype.hasOwnProperty.call(out, k)) setOwn(out, k, merged[k]);
    } finally {
      st.aliasDepth -= 1;
      st.expanding.delete(item);
    }
  }
}

/** Parses one YAML document. Never throws for any input text. */
export function parseYaml(text: string, file: string, options: { readonly unhandledChars?: boolean; readonly ownStrings?: boolean } = {}): ParseYamlResult {
  const fast = tryFastYaml(text, options);
  if ("fallback" in fast) {
    const slow = parseYamlWithLibrary(text, file);
    return slow.ok ? { ...slow, fallback: fast.fallback } : slow;
  }
  // makeLocator gives what the library's LineCounter gives for a text with one-line scalars only.
  // Both it and the spans are made on first use: a valid file needs neither.
  // The index holds what positions need, never `fast` itself: that would keep the parse tree
  // (`fast.value`) alive as long as any rule's lazy `loc`, beside the specs made from it.
  let locate: SourceIndex["locate"] | undefined;
  const { nodesOf, lookup, lineStarts } = fast;
  const ruleNameKeys = fast.nameKeys("rules");
  const index: SourceIndex = {
    file,
    text,
    get nodes() {
      return nodesOf();
    },
    lookup,
    locate: (offset) => (locate ??= makeLocator(text, lineStarts))(offset),
    ...(ruleNameKeys === undefined ? {} : { ruleNames: { keys: ruleNameKeys, lineStarts } }),
  };
  return { ok: true, value: fast.value, index, diagnostics: [], aliasValues: fast.aliasValues };
}

/** The `yaml`-package path of parseYaml; exported so tests can hold the fast path to it. */
export function parseYamlWithLibrary(text: string, file: string): ParseYamlResult {
  const { LineCounter, parseDocument } = yaml();
  const lineCounter = new LineCounter();
  const locate = (offset: number) => {
    const p = lineCounter.linePos(offset);
    return { line: Math.max(p.line, 1), column: Math.max(p.col, 1) };
  };
  const index = { file, locate };
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, { lineCounter, merge: true, uniqueKeys: false, prettyErrors: false, strict: true, keepSourceTokens: false });
  } catch (err) {
    // The parser recurses per nesting level; absurd nesting overflows the stack (RangeError).
    const message = err instanceof RangeError ? "the document is nested too deeply to parse" : "the YAML parser failed on this file";
    return { ok: false, diagnostics: [diagnosticAt(index, 0, [], { code: "too-deep", message, hint: "reduce the nesting of lists and mappings" })] };
  }
  const problems = firstPerLine([...doc.errors, ...doc.warnings], locate);
  // An unclosed `[` or `{` is reported by the parser on a later line, as an indentation problem:
  // point at the bracket itself instead (the rest is the same mistake).
  const unclosed = problems.length > 0 ? unclosedBracket(text, problems) : undefined;
  if (unclosed !== undefined) {
    const close = unclosed.char === "[" ? "]" : "}";
    return {
      ok: false,
      diagnostics: [
        diagnosticAt(index, unclosed.offset, [], {
          code: "yaml-unclosed-bracket",
          message: `unclosed \`${unclosed.char}\`: the ${unclosed.char === "[" ? "list" : "mapping"} opened here is never closed with \`${close}\``,
          hint: `add \`${close}\` after its last item (on this line, or on a later line indented deeper than the key)`,
        }),
      ],
    };
  }
  if (problems.length > 0) {
    return {
      ok: false,
      diagnostics: problems.map((e) =>
        // The parser turns its own stack overflow (absurd nesting) into an error; name it plainly.
        /call stack/i.test(e.message)
          ? diagnosticAt(index, Math.min(e.pos[0], text.length), [], { code: "too-deep", message: "the document is nested too deeply to parse", hint: "reduce the nesting of lists and mappings" })
          : diagnosticAt(index, Math.min(e.pos[0], text.length), [], {
              code: e.code === "MULTIPLE_DOCS" ? "multiple-documents" : "yaml-syntax",
              // The library's own wording names its API (`YAML.parseAllDocuments()`): say it plainly.
              message: e.code === "MULTIPLE_DOCS" ? "the file holds more than one YAML document (a second `---` or `...`)" : firstLine(e.message),
              hint: SYNTAX_HINTS[e.code] ?? "fix the YAML syntax here",
            }),
      ),
    };
  }
  const st: WalkState = { index, text, nodes: new Map(), anchors: new Map(), diagnostics: [], expanding: new Set(), aliasDepth: 0, expanded: 0, maxExpansion: maxAliasExpansion(text.length) };
  let value: unknown;
  try {
    value = walk(st, doc.contents as YamlNode | null, [], undefined, { start: 0, end: 0 }, 0);
  } catch (err) {
    if (err instanceof Abort) return { ok: false, diagnostics: st.diagnostics };
    if (err instanceof RangeError) {
      return { ok: false, diagnostics: [...st.diagnostics, diagnosticAt(index, 0, [], { code: "too-deep", message: "the document is nested too deeply", hint: "reduce the nesting of lists and mappings" })] };
    }
    throw err;
  }
  return { ok: true, value, index: { file, text, nodes: st.nodes, locate }, diagnostics: st.diagnostics, aliasValues: st.expanded };
}

/**
 * The `[` or `{` left open before the first error the parser reports about a flow collection's
 * end ("... must be sufficiently indented and end with a ]", "Expected flow sequence to end with ]"):
 * a scan of the text up to that error that skips quoted strings and comments.
 */
export function unclosedBracket(text: string, errors: readonly YAMLError[]): { offset: number; char: "[" | "{" } | undefined {
  const first = errors.find((e) => /end with an? [\]}]|flow (sequence|mapping|collection)/i.test(e.message));
  if (first === undefined) return undefined;
  const stop = Math.min(first.pos[0], text.length);
  const open: { offset: number; char: "[" | "{" }[] = [];
  for (let i = 0; i < stop; i++) {
    const ch = text[i];
    if (ch === '"') {
      for (i++; i < stop && text[i] !== '"'; i++) if (text[i] === "\\") i++;
    } else if (ch === "'") {
      for (i++; i < stop; i++) {
        if (text[i] === "'" && text[i + 1] === "'") i++;
        else if (text[i] === "'") break;
      }
    } else if (ch === "#" && (i === 0 || /\s/.test(text[i - 1] as string))) {
      while (i < stop && text[i] !== "\n") i++;
    } else if (ch === "[" || ch === "{") open.push({ offset: i, char: ch });
    else if ((ch === "]" || ch === "}") && open.length > 0) open.pop();
  }
  return open[open.length - 1];
}

/** One syntax error reaches the next lines as a cascade: keep the first per line, at most a few. */
const MAX_SYNTAX_ERRORS = 5;
function firstPerLine(errors: readonly YAMLError[], locate: (offset: number) => { line: number }): YAMLError[] {
  const lines = new Set<number>();
  const out: YAMLError[] = [];
  for (const e of [...errors].sort((a, b) => a.pos[0] - b.pos[0])) {
    const line = locate(e.pos[0]).line;
    if (lines.has(line)) continue;
    lines.add(line);
    out.push(e);
    if (out.length === MAX_SYNTAX_ERRORS) break;
  }
  return out;
}

function firstLine(message: string): string {
  const line = message.split("\n")[0] ?? message;
  return line.replace(/ at line \d+, column \d+:?$/, "").trim();
}

// Pure. Text (or raw bytes) of a rules file -> the desired state, or every problem at once:
// decode and guard (size, UTF-8, control characters), YAML, interpolation, schema, conversion,
// then the offline checks. Never throws for any input.
import type { DesiredRule, DesiredState, Diagnostic, RuleSpec, SourceLocation } from "../model/index.js";
import { checkRules, type RuleEntry } from "./check-rules.js";
import { checkSchema } from "./check-schema.js";
import { environmentNamesOf, interpolationInput, restoreUninterpolated, selectEnvironment, trunkNamePlaceholder } from "./environments.js";
import { DEFAULT_MAX_FILE_BYTES, fileTooLarge } from "./file-limit.js";
import { lintRules } from "./lint-rules.js";
import { interpolateValue, type Env } from "./interpolate.js";
import { UNHANDLED_CHARS } from "./fast-yaml.js";
import { parseYaml } from "./parse-yaml.js";
import { dedupeDiagnostics, diagnosticAt, makeLocator, sortDiagnostics, type SourceIndex } from "./positions.js";
import { nameLocation, toDesiredState, toRuleSpec } from "./to-desired-rules.js";

export interface LoadOptions {
  readonly env: Env;
  /** The environment to load the file for (SPEC §8: --env / $DISPATCH_ENV); needed when the file defines any. */
  readonly environment?: string | undefined;
  /** The size cap in bytes (--max-file-size / $DISPATCH_MAX_FILE_SIZE); DEFAULT_MAX_FILE_BYTES when absent. */
  readonly maxFileBytes?: number;
  /**
   * The state outlives the load (plan, apply, watch): its long strings are copied out of the
   * file's text, which can then be freed (V8 keeps a substring as a view of its whole parent).
   * Left off for a load only checked (validate), which would only pay for the copies.
   */
  readonly ownStrings?: boolean;
}

export type LoadResult =
  | {
      readonly ok: true;
      readonly state: DesiredState;
      readonly warnings: readonly Diagnostic[];
      /** Why the YAML took the slower library path (what the fast path does not read), when it did: for a debug-level note. */
      readonly yamlFallback?: string;
    }
  | {
      readonly ok: false;
      readonly diagnostics: readonly Diagnostic[];
      /**
       * The names under the file's `environments:` when the load stopped because none was chosen
       * (SPEC §8): `validate` then loads each, without a second parse just to find them.
       */
      readonly environments?: readonly string[];
    };

/** Larger files are refused before parsing unless the cap is raised (file-limit.ts). */
export const MAX_FILE_BYTES = DEFAULT_MAX_FILE_BYTES;

/** YAML 1.2 forbids these C0 controls in a stream; they mean a binary or corrupted file. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

function failure(diagnostics: readonly Diagnostic[], environments?: readonly string[]): LoadResult {
  return { ok: false, diagnostics: sortDiagnostics(dedupeDiagnostics(diagnostics)), ...(environments === undefined ? {} : { environments }) };
}

function atLine0(file: string, code: string, message: string, hint: string): Diagnostic {
  return { code, severity: "error", message, hint, file, line: 0, column: 0, path: "" };
}

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

/** The text of well-formed UTF-8 bytes (a BOM dropped), or undefined for any other bytes. */
export function strictUtf8(bytes: Uint8Array): string | undefined {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Any of the three markers' text, anywhere. One regex: V8 looks ahead over the alternatives
 * (Boyer-Moore) and skips most of the text, where three `includes` stopped at every `<` and `>`
 * (each `<<: *defaults` and `key: >`): 9-10 ms on 37 MiB against about 60.
 */
const MARKER_TEXT = /<<<<<<<|>>>>>>>|=======/;

/** Whether the text may hold a Git merge-conflict marker (cheap: the markers' own text). */
export function mayHoldMergeMarker(text: string): boolean {
  return MARKER_TEXT.test(text);
}

/**
 * Old Mac line endings (CR alone) as LF: YAML counts a lone CR as a line break, the parser does
 * not. One character for one, so offsets, lines and columns stay those of the file.
 */
function crLines(text: string): string {
  return text.includes("\r") ? text.replace(/\r(?!\n)/g, "\n") : text;
}

/** Offset of the first byte that is not part of a well-formed UTF-8 sequence. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
    }
    // Overlongs, surrogates and > U+10FFFF (RFC 3629).
    const b1 = bytes[i + 1] as number;
    if ((b === 0xe0 && b1 < 0xa0) || (b === 0xed && b1 > 0x9f) || (b === 0xf0 && b1 < 0x90) || (b === 0xf4 && b1 > 0x8f)) return i;
    i += need + 1;
  }
  return -1;
}

function decode(input: string | Uint8Array, file: string, limit: number): { text: string } | { diagnostic: Diagnostic } {
  const size = typeof input === "string" ? input.length : input.byteLength;
  if (size > limit) return { diagnostic: fileTooLarge(file, size, limit) };
  if (typeof input === "string") return { text: crLines(input.replace(/^\uFEFF/, "")) };
  // The native decoder rejects exactly what firstInvalidUtf8 finds (RFC 3629); only a failure
  // needs the byte offset, so the byte-by-byte scan runs only then.
  // Not UTF-8: located below.
  const strict = strictUtf8(input);
  if (strict !== undefined) return { text: crLines(strict) };
  const bad = firstInvalidUtf8(input);
  if (bad !== -1) {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < bad; i++) if (input[i] === 0x0a) {
      line += 1;
      lineStart = i + 1;
    }
    return {
      diagnostic: { code: "not-utf8", severity: "error", message: `the file is not valid UTF-8 (byte ${bad})`, hint: "save the file as UTF-8 text", file, line, column: bad - lineStart + 1, path: "" },
    };
  }
  return { text: new TextDecoder("utf-8").decode(input) };
}

/** Git's unresolved-conflict markers at the start of a line (`<<<<<<< HEAD`, `=======`, `>>>>>>> b`). */
const CONFLICT_MARKER = /^(?:<{7}|={7}|>{7})(?:[ \t]|\r?$)/gm;

/** One error per marker: YAML would report them as puzzling syntax errors. */
function conflictMarkers(text: string, file: string): Diagnostic[] {
  const found = [...text.matchAll(CONFLICT_MARKER)];
  if (found.length === 0) return [];
  // Line starts only when there is something to place (most files have no marker).
  const locate = makeLocator(text);
  return found.map((m) =>
    diagnosticAt({ file, locate }, m.index, [], {
      code: "merge-conflict",
      message: `unresolved merge conflict marker \`${m[0].trim()}\``,
      hint: "resolve the merge conflict: keep one side, delete the <<<<<<<, ======= and >>>>>>> lines",
    }),
  );
}

/**
 * Rules whose `name` key the fast YAML path did not record (a name a `<<` merge brings in, a flow
 * mapping item) located at once; past this many, they are located when first read instead.
 */
const MAX_EAGER_UNRECORDED = 64;

/**
 * Each rule's `loc` (its `name` key). On the fast YAML path, from the first pass's record of the
 * key offsets and the line table, all at once (a walk of the line table: a few ms at 100,000
 * rules): the locations then hold two small arrays, not the file's text (tens of MB at 100,000
 * rules) nor the parser, and a plan needs no pass over the file for the rules it changes. The few
 * rules without a record are located through the index now; a file with many of them, and the
 * library path, keep the index and locate a rule when its `loc` is first read (locating all
 * 10,000 rules of a large file through the index cost about 100 ms and 40 MB of garbage).
 */
export function nameLocations(index: SourceIndex, count: number, needed: (ruleIndex: number) => boolean): (ruleIndex: number) => SourceLocation {
  const lazy = (ruleIndex: number): SourceLocation => nameLocation(index, ruleIndex);
  const recorded = index.ruleNames;
  if (recorded === undefined || recorded.keys.length !== count) return lazy;
  const { keys, lineStarts } = recorded;
  const unrecorded: number[] = [];
  for (let i = 0; i < count; i++) if ((keys[i] as number) < 0 && needed(i)) unrecorded.push(i);
  if (unrecorded.length > MAX_EAGER_UNRECORDED) return lazy;
  const lines = new Int32Array(count);
  const columns = new Int32Array(count);
  // Items are in text order, so their keys ascend: one walk of the line table finds every line.
  let line = 0;
  for (let i = 0; i < count; i++) {
    const offset = keys[i] as number;
    if (offset < 0) continue;
    if (offset < (lineStarts[line] as number)) line = 0;
    while (line + 1 < lineStarts.length && (lineStarts[line + 1] as number) <= offset) line++;
    lines[i] = line + 1;
    columns[i] = offset - (lineStarts[line] as number) + 1;
  }
  for (const i of unrecorded) {
    const at = nameLocation(index, i);
    lines[i] = at.line;
    columns[i] = at.column;
  }
  return locatedAt(index.file, lines, columns);
}

/** Its own function: a closure made in nameLocations would share its scope, and keep `index` alive. */
function locatedAt(file: string, lines: Int32Array, columns: Int32Array): (ruleIndex: number) => SourceLocation {
  return (ruleIndex) => ({ file, line: lines[ruleIndex] as number, column: columns[ruleIndex] as number });
}

/** The one `loc` accessor of every FileRule (set in its static block, where its private fields are in reach). */
let fileRuleLoc: PropertyDescriptor;

/**
 * A DesiredRule whose `loc` is computed when first read, by a locator shared by every rule of the
 * load and an argument of the rule's own (its index). `loc` is an own, enumerable accessor, so
 * that spreads, JSON and key lists see it as data; it is one accessor shared by all rules, so that
 * V8 gives them one shape. An object literal with its own getter was kept in dictionary mode, with
 * a closure and a context per rule: about 450 bytes a rule more (45 MB at 100,000 rules).
 */
class FileRule<A> {
  declare readonly spec: RuleSpec;
  declare readonly trunks?: readonly string[];
  declare readonly loc: SourceLocation;
  readonly #locate: (at: A) => SourceLocation;
  readonly #at: A;
  #loc: SourceLocation | undefined;
  static {
    fileRuleLoc = {
      get(this: FileRule<unknown>): SourceLocation {
        return (this.#loc ??= this.#locate(this.#at));
      },
      enumerable: true,
      configurable: true,
    };
  }
  constructor(spec: RuleSpec, trunks: readonly string[] | undefined, locate: (at: A) => SourceLocation, at: A) {
    this.#locate = locate;
    this.#at = at;
    // In the order of the object literal this replaces: spec, trunks (only when there are names), loc.
    (this as { spec: RuleSpec }).spec = spec;
    if (trunks !== undefined) (this as { trunks?: readonly string[] }).trunks = trunks;
    Object.defineProperty(this, "loc", fileRuleLoc);
  }
}

/** A DesiredRule whose `loc` is `locate(at)`, computed when first read. */
export function desiredRule<A>(spec: RuleSpec, trunks: readonly string[] | undefined, locate: (at: A) => SourceLocation, at: A): DesiredRule {
  return new FileRule(spec, trunks, locate, at);
}

/**
 * Pure: text (or raw bytes, to detect non-UTF-8) -> desired state or every problem. Never throws:
 * an unexpected failure (a bug, or memory) is a diagnostic too, so that `watch` keeps the last
 * good file and a one-shot command prints a clear error.
 */
export function loadRulesText(input: string | Uint8Array, file: string, options: LoadOptions): LoadResult {
  return loadRulesTextCounted(input, file, options).result;
}

/**
 * loadRulesText, with the values the file's aliases and merge keys expanded to (0 when it was not
 * parsed), which the load bounds by maxAliasExpansion of the text: the incremental loader adds
 * them up over edits, where each changed rule is loaded alone.
 */
export function loadRulesTextCounted(input: string | Uint8Array, file: string, options: LoadOptions): { readonly result: LoadResult; readonly aliasValues: number } {
  const counted = { aliasValues: 0 };
  try {
    return { result: loadRulesTextUnguarded(input, file, options, counted), aliasValues: counted.aliasValues };
  } catch (err) {
    const why = err instanceof RangeError ? "the file is too large or too deeply structured to check" : "the file could not be checked (an internal error)";
    return { result: failure([atLine0(file, "load-failed", why, "nothing was applied; simplify the file, and please report this with the file's shape")]), aliasValues: counted.aliasValues };
  }
}

function loadRulesTextUnguarded(input: string | Uint8Array, file: string, options: LoadOptions, counted: { aliasValues: number }): LoadResult {
  const decoded = decode(input, file, options.maxFileBytes ?? MAX_FILE_BYTES);
  if ("diagnostic" in decoded) return failure([decoded.diagnostic]);
  const text = decoded.text;
  // One scan of the text for the characters the fast YAML path leaves to the library (a superset
  // of the controls refused here): most files have none, and then neither needs its own scan.
  const unhandledChars = UNHANDLED_CHARS.test(text);
  const control = unhandledChars ? CONTROL_CHAR.exec(text) : null;
  if (control !== null) {
    const code = (control[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0");
    return failure([diagnosticAt({ file, locate: makeLocator(text) }, control.index, [], { code: "control-character", message: `the file contains the control character U+${code}`, hint: "a rules file is UTF-8 text: is this a binary file?" })]);
  }
  // `\S` is what trim() keeps: no copy of the whole text just to test it.
  if (!/\S/.test(text)) return failure([atLine0(file, "empty-file", "the file is empty", "write `version: 1` and `rules:`; an empty file is never taken as an empty rule set")]);

  const markers = mayHoldMergeMarker(text) ? conflictMarkers(text, file) : [];
  if (markers.length > 0) return failure(markers);

  const parsed = parseYaml(text, file, { unhandledChars, ownStrings: options.ownStrings === true });
  if (!parsed.ok) return failure(parsed.diagnostics);
  counted.aliasValues = parsed.aliasValues;
  if (parsed.value === null && parsed.diagnostics.length === 0)
    return failure([atLine0(file, "empty-file", "the file has no content (only comments or `null`)", "write `version: 1` and `rules:`; an empty file is never taken as an empty rule set")]);

  const { index } = parsed;
  // SPEC §8: the environment picks the variables and the rules; other environments' rules are
  // neither interpolated nor checked (their variables need not be set).
  const selection = selectEnvironment(parsed.value, options.environment, options.env, index);
  if (selection.fatal) {
    const names = options.environment === undefined ? environmentNamesOf(parsed.value) : undefined;
    return failure([...parsed.diagnostics, ...selection.diagnostics], names);
  }
  const { excluded } = selection;
  // Only `${` starts a reference (a lone `$`, e.g. a comment's `$schema`, stays as written). No
  // value can hold one when the text has none and no backslash: only a double-quoted escape
  // (`\x24{`, `$\x7b`, an escaped line break between `$` and `{`) writes one. Then no walk.
  const mayInterpolate = text.includes("${") || text.includes("\\");
  const interpolated = mayInterpolate ? interpolateValue(interpolationInput(parsed.value, excluded), selection.env, index) : { value: parsed.value, diagnostics: [] };
  const root = restoreUninterpolated(parsed.value, interpolated.value, excluded);
  // A value the parser could not take (`!!binary`, a timestamp) is reported there once; the
  // schema would only add a second, misleading error about the null left in its place.
  const unsupported = new Set(parsed.diagnostics.filter((d) => d.code === "yaml-unsupported-value").map((d) => d.path));
  // A reference that cannot be resolved is reported as such; the text left in its place is not
  // a second problem (a number field would also say "must be a whole number, not a string").
  for (const d of interpolated.diagnostics) unsupported.add(d.path);
  const schemaProblems = checkSchema(root, index).filter(
    (d) => !unsupported.has(d.path) && (excluded.size === 0 || !excluded.has(Number(/^rules\[(\d+)\]/.exec(d.path)?.[1] ?? -1))),
  );
  const problems: Diagnostic[] = [...parsed.diagnostics, ...selection.diagnostics, ...interpolated.diagnostics, ...schemaProblems];

  const rawRules = root !== null && typeof root === "object" && Array.isArray((root as Record<string, unknown>).rules) ? ((root as Record<string, unknown>).rules as unknown[]) : [];
  const badRules = new Set(problems.map((d) => /^rules\[(\d+)\]/.exec(d.path)?.[1]).filter((i): i is string => i !== undefined).map(Number));
  const entries: RuleEntry[] = [];
  const desired: DesiredRule[] = [];
  const locations = nameLocations(index, rawRules.length, (i) => !excluded.has(i));
  rawRules.forEach((raw, i) => {
    if (excluded.has(i)) return;
    const rule = raw !== null && typeof raw === "object" && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
    const name = typeof rule.name === "string" && rule.name !== "" ? rule.name : undefined;
    if (badRules.has(i)) {
      entries.push({ index: i, name, spec: undefined });
      return;
    }
    const converted = toRuleSpec(rule, i, index);
    for (const d of converted.diagnostics) problems.push(d);
    const trunks = Array.isArray(rule.trunks) ? (rule.trunks as string[]) : undefined;
    // Offline, a trunk name stands for one unknown trunk: two rules naming the same trunk
    // conflict as if they named its ID; the check runs again on IDs once names are resolved.
    const checked = trunks === undefined ? converted.spec : { ...converted.spec, trunkIds: [...(converted.spec.trunkIds ?? []), ...trunks.map(trunkNamePlaceholder)] };
    entries.push({ index: i, name, spec: checked });
    desired.push(desiredRule(converted.spec, trunks, locations, i));
  });
  // A loop, not push(...list): 150,000 conflicts as call arguments overflow the stack.
  for (const d of checkRules({ rules: entries, source: index })) problems.push(d);
  // Lints (warnings) only for a file without errors: they are about valid rules.
  if (!problems.some((d) => d.severity === "error")) {
    const manage = Array.isArray((root as Record<string, unknown>).manage) ? ((root as Record<string, unknown>).manage as string[]) : ["*"];
    for (const d of lintRules({ rules: entries, manage, source: index })) problems.push(d);
  }

  const errors = problems.filter((d) => d.severity === "error");
  if (errors.length > 0) return failure(problems);
  const state = toDesiredState(root as Record<string, unknown>, file, desired);
  const withEnvironment = selection.environment === undefined ? state : { ...state, environment: selection.environment };
  return { ok: true, state: withEnvironment, warnings: sortDiagnostics(problems), ...(parsed.fallback === undefined ? {} : { yamlFallback: parsed.fallback }) };
}

// Pure. `${VAR}`, `${VAR:-default}` and `$${` in string values, from an env passed in (SPEC §2).
// A missing variable without a default, and a variable that is set but empty (an undefined CI
// secret arrives as ""), are diagnostics at their line: only `${VAR:-}` yields an empty string.
// Defaults may hold references and are resolved; values (pins) never appear in a message.
import { mapStrings, safeText, type Diagnostic } from "../model/index.js";
import { diagnosticAt, nodeAt, type PathSegment, type SourceIndex } from "./positions.js";

export type Env = Readonly<Record<string, string | undefined>>;

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface InterpolationProblem {
  /** Index in the string of the `${` the problem is about, for the column. */
  readonly at: number;
  readonly code: string;
  readonly message: string;
  readonly hint: string;
}

/** Defaults nest (`${A:-${B:-x}}`); deeper than this is an error, not a recursion without end. */
const MAX_DEFAULT_DEPTH = 8;

/**
 * Index of the `}` that closes the reference whose body starts at `from`, counting nested `${`
 * (a default may hold references) and skipping `$${` escapes; -1 when it is never closed.
 */
function closingBrace(input: string, from: number): number {
  let depth = 0;
  for (let i = from; i < input.length; i++) {
    const c = input.charCodeAt(i);
    if (c === 0x24 /* $ */) {
      if (input.startsWith("$${", i)) i += 2;
      else if (input.charCodeAt(i + 1) === 0x7b /* { */) {
        depth += 1;
        i += 1;
      }
    } else if (c === 0x7d /* } */) {
      if (depth === 0) return i;
      depth -= 1;
    }
  }
  return -1;
}

/** Replaces every reference in one string; problems are listed with their index in the string. */
export function interpolateString(input: string, env: Env): { readonly value: string; readonly problems: readonly InterpolationProblem[] } {
  if (!input.includes("$")) return { value: input, problems: [] };
  const problems: InterpolationProblem[] = [];
  const value = expand(input, env, problems, 0, 0);
  return { value, problems };
}

/** `input` with its references replaced; problems get `base` added to their index. */
function expand(input: string, env: Env, problems: InterpolationProblem[], base: number, depth: number): string {
  let out = "";
  let i = 0;
  while (i < input.length) {
    const dollar = input.indexOf("$", i);
    if (dollar === -1) {
      out += input.slice(i);
      break;
    }
    out += input.slice(i, dollar);
    if (input.startsWith("$${", dollar)) {
      out += "${";
      i = dollar + 3;
      continue;
    }
    if (!input.startsWith("${", dollar)) {
      out += "$";
      i = dollar + 1;
      continue;
    }
    const at = base + dollar;
    const close = closingBrace(input, dollar + 2);
    if (close === -1) {
      problems.push({ at, code: "bad-interpolation", message: "unterminated `${`: missing `}`", hint: "close it as `${NAME}`, or write `$${` for a literal `${`" });
      break;
    }
    const body = input.slice(dollar + 2, close);
    const sep = body.indexOf(":-");
    const name = sep === -1 ? body : body.slice(0, sep);
    i = close + 1;
    if (!VAR_NAME.test(name)) {
      problems.push({
        at,
        code: "bad-interpolation",
        message: `\`\${${safeText(name, 40)}}\` is not a valid variable reference`,
        hint: "use `${NAME}` or `${NAME:-default}` with NAME made of letters, digits and _, or write `$${` for a literal `${`",
      });
      continue;
    }
    const value = env[name];
    if (value !== undefined && value !== "") {
      if (value.includes("${")) {
        // Never a value that still reads as a reference (a pin stored as the text `${OTHER}`).
        problems.push({
          at,
          code: "bad-interpolation",
          message: `the value of environment variable \`${name}\` contains \`\${\`; values are not interpolated again`,
          hint: `set ${name} to the final value itself`,
        });
        continue;
      }
      out += value;
    } else if (sep !== -1) {
      // Like the shell's `:-`: unset or empty takes the default, which may hold references itself.
      if (depth >= MAX_DEFAULT_DEPTH) {
        problems.push({ at, code: "bad-interpolation", message: `defaults are nested more than ${MAX_DEFAULT_DEPTH} levels deep`, hint: "use fewer nested `${A:-${B}}` defaults" });
        continue;
      }
      const start = dollar + 2 + sep + 2;
      out += expand(input.slice(start, close), env, problems, base + start, depth + 1);
    } else if (value === "") {
      problems.push({
        at,
        code: "empty-env",
        message: `environment variable \`${name}\` is set but empty`,
        hint: `set ${name} to a value (an undefined CI secret arrives as ""); for an intended empty value write \`\${${name}:-}\``,
      });
    } else {
      problems.push({
        at,
        code: "missing-env",
        message: `environment variable \`${name}\` is not set`,
        hint: `set ${name}, or give a default: \`\${${name}:-default}\``,
      });
    }
  }
  return out;
}

/** Offset of the n-th `${` of a scalar in the source, or the scalar's start when it cannot be found. */
function offsetOf(index: SourceIndex, path: readonly PathSegment[], nth: number): number | undefined {
  const info = nodeAt(index, path);
  if (info === undefined) return undefined;
  const source = index.text.slice(info.value.start, info.value.end);
  let at = -1;
  for (let k = 0; k <= nth; k++) {
    at = source.indexOf("${", at + 1);
    if (at === -1) return info.value.start;
    // `$${` is an escape, not a reference: skip it.
    if (at > 0 && source[at - 1] === "$") k -= 1;
  }
  return info.value.start + at;
}

/**
 * `value` with every string value interpolated (mapping keys are left alone). Never mutates its
 * input: a list or mapping with a changed value is copied, an unchanged one is returned as is.
 */
export function interpolateValue(value: unknown, env: Env, index: SourceIndex): { readonly value: unknown; readonly diagnostics: readonly Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const interpolated = mapStrings(
    value,
    (s) => s.includes("$"),
    (s, path) => {
      const r = interpolateString(s, env);
      for (const p of r.problems) {
        // The references before this one tell which `${` of the source it is.
        const nth = countRefsBefore(s, p.at);
        const at = [...path];
        diagnostics.push(diagnosticAt(index, offsetOf(index, at, nth), at, { code: p.code, message: p.message, hint: p.hint }));
      }
      return r.value;
    },
  );
  return { value: interpolated, diagnostics };
}

function countRefsBefore(text: string, at: number): number {
  let n = 0;
  for (let i = text.indexOf("${"); i !== -1 && i < at; i = text.indexOf("${", i + 1)) if (i === 0 || text[i - 1] !== "$") n += 1;
  return n;
}

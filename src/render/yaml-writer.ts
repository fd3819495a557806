// Pure. JSON-like data (what a rules file holds: mappings, sequences, strings, numbers, booleans,
// null) as block YAML that reads back as the same data, for `export`. Faster than a general YAML
// emitter: no document model, one pass, one string builder. A string is written plain only when
// it cannot read back as anything else (a number, a boolean, null, an alias, a comment, a
// mapping...); every other string is double-quoted with JSON's escapes, which are YAML's too.

/**
 * A plain scalar that every YAML 1.1/1.2 reader takes as this very string: starts with a letter,
 * digit or `_`, holds only word characters, `.`, `/`, `@`, `+`, `-` and single inner spaces; then
 * checked against the core schema's null/bool/number forms (and YAML 1.1's yes/no/on/off).
 */
const SAFE_PLAIN = /^[A-Za-z0-9_](?:[A-Za-z0-9_./@+-]| (?=[A-Za-z0-9_./@+-]))*$/;
const NOT_A_STRING = /^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N|[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?|0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*)$/;

/** Characters JSON.stringify leaves raw that a rules file must not hold raw (DEL, C1, separators, BOM). */
const RAW_UNSAFE = /[\u007F-\u009F\u2028\u2029\uFEFF]/g;

/** A `${VAR}` placeholder (export's pins and secrets): plain in block context, as people write it. */
const PLACEHOLDER = /^\$\{[A-Z0-9_]+\}$/;

/** `s` as a scalar that reads back as `s`; `flow`: inside a flow collection, where `{` `}` are indicators. */
export function yamlString(s: string, flow = false): string {
  if (s.length > 0 && s.length <= 1000 && SAFE_PLAIN.test(s) && !NOT_A_STRING.test(s)) return s;
  if (!flow && PLACEHOLDER.test(s)) return s;
  const quoted = JSON.stringify(s);
  return RAW_UNSAFE.test(quoted) ? quoted.replace(RAW_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`) : quoted;
}

function scalar(v: unknown, flow = false): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "string") return yamlString(v, flow);
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return Number.isNaN(v) ? ".nan" : v > 0 ? ".inf" : "-.inf";
    return Object.is(v, -0) ? "-0" : String(v);
  }
  if (typeof v === "boolean") return v ? "true" : "false";
  throw new TypeError(`cannot write a ${typeof v} as YAML`);
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * Keys as written, by key: an export repeats a few dozen keys on every rule, each tested against
 * two regular expressions otherwise. Bounded: a file of many distinct keys starts it over.
 */
const KEY_TEXT = new Map<string, string>();
function keyText(key: string): string {
  let text = KEY_TEXT.get(key);
  if (text === undefined) {
    if (KEY_TEXT.size >= 4096) KEY_TEXT.clear();
    text = `${yamlString(key)}:`;
    KEY_TEXT.set(key, text);
  }
  return text;
}

/** Two more spaces than `indent`, made once per depth. */
const DEEPER = new Map<string, string>();
function deeper(indent: string): string {
  let next = DEEPER.get(indent);
  if (next === undefined) {
    next = `${indent}  `;
    DEEPER.set(indent, next);
  }
  return next;
}

/** `key: value` lines of a mapping at `indent`, appended to out; the first line's prefix is `first`. */
function writeMap(map: Record<string, unknown>, indent: string, out: string[], first: string): void {
  let lead = first;
  let written = 0;
  for (const key of Object.keys(map)) {
    const v = map[key];
    if (v === undefined) continue;
    writeEntry(lead, keyText(key), v, indent, out);
    lead = indent;
    written++;
  }
  if (written === 0) out.push(`${first}{}`);
}

function writeSeq(seq: readonly unknown[], indent: string, out: string[], first: string): void {
  if (seq.length === 0) {
    out.push(`${first}[]`);
    return;
  }
  let lead = first;
  const inner = deeper(indent);
  for (const item of seq) {
    if (isMap(item) && Object.keys(item).some((k) => item[k] !== undefined)) writeMap(item, inner, out, `${lead}- `);
    else if (Array.isArray(item) && item.length > 0) writeSeq(item, inner, out, `${lead}- `);
    else out.push(`${lead}- ${isMap(item) ? "{}" : Array.isArray(item) ? "[]" : scalar(item)}`);
    lead = indent;
  }
}

/** One `lead key: value` entry: a scalar (or an empty collection) on its line, else a nested block. */
function writeEntry(lead: string, key: string, v: unknown, indent: string, out: string[]): void {
  if (isMap(v) && Object.keys(v).some((k) => v[k] !== undefined)) {
    out.push(lead + key);
    const inner = deeper(indent);
    writeMap(v, inner, out, inner);
  } else if (Array.isArray(v) && v.length > 0) {
    // Sequences of scalars stay on one line, as people write trunkIds and numbers.
    if (v.every((x) => x === null || typeof x !== "object")) out.push(`${lead}${key} [${v.map((x) => scalar(x, true)).join(", ")}]`);
    else {
      out.push(lead + key);
      const inner = deeper(indent);
      writeSeq(v, inner, out, inner);
    }
  } else out.push(`${lead}${key} ${isMap(v) ? "{}" : Array.isArray(v) ? "[]" : scalar(v)}`);
}

/** A document of a top-level mapping, ending in a line break. */
export function writeYamlDocument(doc: Record<string, unknown>): string {
  const out: string[] = [];
  writeMap(doc, "", out, "");
  return `${out.join("\n")}\n`;
}

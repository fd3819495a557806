// Pure. Validates the interpolated value against schemas/dispatch-rules.schema.json and turns
// every ajv error into a positioned Diagnostic with a human message and a hint (closest key for
// typos, the allowed values for enums, a specific message for server-owned fields).
import { RULE_KINDS, UNPRINTABLE_CHAR, codePointName, safeText, type Diagnostic } from "../model/index.js";
import { diagnosticAt, keyOrValueOffset, valueOffset, type PathSegment, type SourceIndex } from "./positions.js";
import { closest } from "./suggest.js";
import { FULL_ONLY_KEY, getCoreValidator, getFullValidator, type SchemaError } from "./validator.js";

/** Fields of SIPDispatchRuleInfo that the server sets (livekit-sip-api.md §2.2). */
export const SERVER_OWNED_FIELDS = ["sipDispatchRuleId", "createdAt", "updatedAt", "sip_dispatch_rule_id", "created_at", "updated_at"] as const;

/** Wire-shaped keys people paste from `lk sip dispatch list --json` or the API docs. */
const WIRE_KEY_HINTS: Readonly<Record<string, string>> = {
  rule: "write the rule type directly under the rule: `direct:`, `individual:` or `callee:`",
  dispatchRuleDirect: "did you mean `direct`?",
  dispatchRuleIndividual: "did you mean `individual`?",
  dispatchRuleCallee: "did you mean `callee`?",
  dispatch_rule_direct: "did you mean `direct`?",
  dispatch_rule_individual: "did you mean `individual`?",
  dispatch_rule_callee: "did you mean `callee`?",
};

/** A table's own entry: `constructor` or `__proto__` must not find Object.prototype's members. */
function ownHint(table: Readonly<Record<string, string>>, key: string): string | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** Keys that name JavaScript built-ins: never a setting, and never "did you mean" one. */
const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype", "toString", "valueOf", "hasOwnProperty", "__defineGetter__", "__lookupGetter__"]);

export function checkSchema(value: unknown, index: SourceIndex): Diagnostic[] {
  const validate = needsFullValidator(value) ? getFullValidator() : getCoreValidator();
  if (validate(value)) return [];
  const out: Diagnostic[] = [];
  for (const err of validate.errors ?? []) {
    const d = toDiagnostic(err, value, index);
    if (d !== undefined) out.push(d);
  }
  return out;
}

/**
 * Whether the value has what only the full validator checks: in the schema, `$defs.egress` is
 * reached from `rules[i].roomConfig.egress` alone (a property test holds the core validator with
 * this choice to the full one's answers for any value). A few reads a rule, where a walk of every
 * node cost 70 ms at 100,000 rules.
 */
export function needsFullValidator(value: unknown): boolean {
  if (value === null || typeof value !== "object" || !Object.hasOwn(value, "rules")) return false;
  const rules = (value as { rules?: unknown }).rules;
  if (!Array.isArray(rules)) return false;
  // Indexed: a for-of in code run once allocated an iterator result per rule.
  for (let i = 0; i < rules.length; i++) {
    const rule: unknown = rules[i];
    if (rule === null || typeof rule !== "object" || !Object.hasOwn(rule, "roomConfig")) continue;
    const roomConfig = (rule as { roomConfig?: unknown }).roomConfig;
    if (roomConfig !== null && typeof roomConfig === "object" && Object.hasOwn(roomConfig, FULL_ONLY_KEY)) return true;
  }
  return false;
}

/** `/rules/0/name` -> ["rules", 0, "name"], using the data to tell list indexes from keys. */
export function segmentsOf(pointer: string, root: unknown): PathSegment[] {
  if (pointer === "") return [];
  const out: PathSegment[] = [];
  let cur: unknown = root;
  for (const raw of pointer.slice(1).split("/")) {
    const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(cur)) {
      const i = Number(seg);
      out.push(i);
      cur = cur[i];
    } else {
      out.push(seg);
      cur = cur !== null && typeof cur === "object" ? (cur as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out;
}

/** The last key of a path with its indexes: `trunkIds[1]`, `rules[3]`, or "the file". */
export function labelOf(path: readonly PathSegment[]): string {
  let start = path.length - 1;
  while (start > 0 && typeof path[start] === "number") start -= 1;
  if (start < 0) return "the file";
  let out = String(path[start]);
  for (const seg of path.slice(start + 1)) out += `[${String(seg)}]`;
  return out;
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: "a string",
  integer: "a whole number",
  number: "a number",
  boolean: "true or false",
  object: "a mapping",
  array: "a list",
  null: "empty",
};

export function describeValue(v: unknown): string {
  if (v === null) return "empty";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  if (typeof v === "number") return Number.isInteger(v) ? "a whole number" : Number.isFinite(v) ? "a number" : "a non-finite number";
  if (typeof v === "boolean") return "true/false";
  return "a string";
}

function short(v: unknown): string {
  const text = typeof v === "string" ? v : JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/**
 * The value as written in the file (one line, without a trailing comment): `+14155550100`, which
 * YAML read as the number 14155550100. Hints quote this text, so that following them keeps it.
 */
function sourceText(index: SourceIndex, path: readonly PathSegment[], data: unknown): string {
  const offset = valueOffset(index, path);
  const text = (index as { text?: string }).text;
  if (offset === undefined || text === undefined || typeof data === "object") return short(data);
  const line = text.slice(offset, text.indexOf("\n", offset) < 0 ? text.length : text.indexOf("\n", offset));
  const token = line.replace(/\s+#.*$/, "").replace(/[,\]}]\s*$/, "").split(/,\s/)[0]?.trim() ?? "";
  return token === "" ? short(data) : short(token);
}

/** A string as a YAML double-quoted scalar (JSON's escaping is valid there). */
function quoted(text: string): string {
  return /^(["']).*\1$/s.test(text) ? `"${text.slice(1, -1).replace(/\\?"/g, '\\"')}"` : JSON.stringify(text);
}

function typeHint(expected: readonly string[], data: unknown, path: readonly PathSegment[], written: string): string {
  const last = path[path.length - 1];
  if (data === null && expected.includes("object")) {
    if (typeof last === "string" && (RULE_KINDS as readonly string[]).includes(last)) return `write \`${last}: {}\` for a rule with default settings`;
    return "write `{}` for an empty mapping, or remove the key";
  }
  if (data === null && expected.includes("array")) return "write `[]` for an empty list, or remove the key";
  // A pin is a secret: its value is never repeated in a message (it would reach logs and CI output).
  if (last === "pin" && expected.includes("string")) return 'quote it, e.g. pin: "0123" (unquoted digits are read as a number, and a leading 0 is lost)';
  // A duration needs its unit as well as the quotes: "30" would be the next error.
  if (last === "mediaTimeout" && typeof data === "number") return `write seconds as a quoted string with an \`s\`: ${JSON.stringify(`${data}s`)}`;
  if (expected.includes("string") && (typeof data === "number" || typeof data === "boolean")) return `quote it: ${quoted(written)} (YAML reads it as ${describeValue(data)})`;
  // SPEC §2: `${VAR}` is replaced in string values only; what it gives is text.
  if ((expected.includes("integer") || expected.includes("number")) && typeof data === "string" && written.includes("${")) return "`${...}` gives text, and this field takes a number: write the number itself (interpolation applies to string values only)";
  if ((expected.includes("integer") || expected.includes("number")) && typeof data === "string" && data.trim() !== "" && Number.isFinite(Number(data))) return "write the number without quotes";
  if (expected.includes("boolean") && typeof data === "string") return "write true or false without quotes";
  // Quoted inside the brackets: `[+14155550100]` would be a list of one number.
  if (expected.includes("array") && (typeof data === "string" || typeof data === "number")) return `write a list: [${quoted(written)}]`;
  if (expected.includes("array") && data !== null && typeof data === "object") return "write a list: each item on its own line starting with `- `";
  if (path.length === 0) return "the file must be a mapping with `version: 1` and `rules:`";
  return `change the value to ${expected.map((t) => ownHint(TYPE_NAMES, t) ?? t).join(" or ")}`;
}

const REQUIRED_HINTS: Readonly<Record<string, string>> = {
  version: "add `version: 1` at the top of the file",
  rules: "add `rules:` with a list of rules (`rules: []` for none)",
  name: "every rule needs a unique `name`: it is the key that matches the rule on the server",
  roomName: "set `roomName` to the room every call joins",
};

/** Where a diagnostic about `path` points: its key when `key` (and it has one), else its value. */
function offsetOf(index: SourceIndex, path: readonly PathSegment[], key: boolean): number | undefined {
  return (key ? keyOrValueOffset(index, path) : undefined) ?? valueOffset(index, path);
}

function toDiagnostic(err: SchemaError, root: unknown, index: SourceIndex): Diagnostic | undefined {
  const path = segmentsOf(err.instancePath, root);
  const label = labelOf(path);
  const at = (p: readonly PathSegment[], key = false) => offsetOf(index, p, key);
  const make = (offset: number | undefined, p: readonly PathSegment[], code: string, message: string, hint: string) => diagnosticAt(index, offset, p, { code, message, hint });
  switch (err.keyword) {
    case "additionalProperties": {
      const key = String(err.params.additionalProperty);
      const keyPath = [...path, key];
      if ((SERVER_OWNED_FIELDS as readonly string[]).includes(key))
        return make(at(keyPath, true), keyPath, "server-owned-field", `\`${key}\` is set by the server and cannot be written in the file`, "remove it: rules are matched by `name`, and the server sets IDs and timestamps");
      const allowed = Object.keys((err.parentSchema?.properties as Record<string, unknown> | undefined) ?? {});
      const guess = closest(key, allowed);
      // At the top level, `rule:` is a typo of `rules:`, not a wire-shaped rule type.
      const wire = path.length === 0 ? undefined : ownHint(WIRE_KEY_HINTS, key);
      const builtIn = PROTOTYPE_KEYS.has(key) ? `\`${key}\` is not a setting here; allowed keys: ${allowed.join(", ")}` : undefined;
      const hint = wire ?? builtIn ?? (guess !== undefined ? `did you mean \`${guess}\`?` : allowed.length > 0 ? `allowed keys here: ${allowed.join(", ")}` : "remove it");
      return make(at(keyPath, true), keyPath, "unknown-key", `unknown key \`${short(key)}\``, hint);
    }
    case "required": {
      // The end of the rule-type chain (schema: `else: { required: [callee] }`): no rule type.
      if (err.schemaPath.includes("/else/")) return ruleTypeDiagnostic(path, err.data, index);
      const missing = String(err.params.missingProperty);
      const isRule = path.length === 2 && path[0] === "rules";
      const hint = missing === "name" && !isRule ? "add `name`, e.g. `name: PCMU`" : (ownHint(REQUIRED_HINTS, missing) ?? `add \`${missing}\``);
      return make(at(path, true), path, "missing-key", `missing required key \`${missing}\`${path.length > 0 ? ` in ${label}` : ""}`, hint);
    }
    case "if":
      // The rule-type chain's own failures: its last `required` (above) says what is wrong.
      return undefined;
    case "not":
      // dependentSchemas: a second rule type next to the first (for three, two errors with the
      // same diagnostic; the loader keeps one).
      if (err.schemaPath.includes("/dependentSchemas/")) return ruleTypeDiagnostic(path, err.data, index);
      {
        // An egress oneof (schema: `not: { anyOf: [{ required: [a, b] }, ...] }`, generated).
        const pairs = ((err.parentSchema?.not as { anyOf?: { required?: string[] }[] } | undefined)?.anyOf ?? []).map((p) => p.required ?? []);
        const data = err.data as Record<string, unknown> | undefined;
        const both = pairs.find((p) => p.length === 2 && data !== undefined && p.every((k) => Object.hasOwn(data, k)));
        if (both !== undefined) {
          return make(at(path), path, "oneof", `\`${label}\` sets both \`${both[0]}\` and \`${both[1]}\`, which are one choice (a protobuf oneof)`, `keep only one of \`${both[0]}\` and \`${both[1]}\`; the server rejects both`);
        }
      }
      return make(at(path), path, "schema", `\`${label}\` ${err.message ?? "is invalid"}`, "see schemas/dispatch-rules.schema.json for the allowed values");
    case "dependentSchemas":
      return undefined;
    case "type": {
      const expected = Array.isArray(err.params.type) ? (err.params.type as string[]) : [String(err.params.type)];
      const want = expected.map((t) => ownHint(TYPE_NAMES, t) ?? t).join(" or ");
      const subject = path.length === 0 ? "the file" : `\`${label}\``;
      return make(at(path), path, "wrong-type", `${subject} must be ${want}, not ${describeValue(err.data)}`, typeHint(expected, err.data, path, sourceText(index, path, err.data)));
    }
    case "enum": {
      const allowed = ((err.params.allowedValues as unknown[]) ?? []).filter((v): v is string => typeof v === "string" && !v.startsWith("SIP_MEDIA_ENCRYPT_"));
      const guess = typeof err.data === "string" ? closest(err.data, allowed) : undefined;
      const hint = `use one of: ${allowed.join(", ")}${guess !== undefined ? ` (did you mean \`${guess}\`?)` : ""}`;
      return make(at(path), path, "invalid-value", path[path.length - 1] === "pin" ? `\`${label}\` has an invalid value` : `\`${label}\` has an invalid value \`${short(err.data)}\``, hint);
    }
    case "const":
      return make(at(path), path, "invalid-value", `\`${label}\` must be ${JSON.stringify(err.params.allowedValue)}`, label === "version" ? "set `version: 1`: it is the only format version" : `set it to ${JSON.stringify(err.params.allowedValue)}`);
    case "minLength":
      return make(at(path), path, "empty-value", `\`${label}\` must not be empty`, label === "name" ? "give the rule a unique, non-empty name" : "remove the empty entry or give it a value");
    case "maxLength":
      return make(at(path), path, "too-long", `\`${label}\` is longer than ${String(err.params.limit)} characters`, isRuleName(path) ? "shorten the rule name (at most 256 characters)" : `shorten it to at most ${String(err.params.limit)} characters`);
    case "pattern":
      // An empty rule name is reported once, by minLength.
      if (isRuleName(path) && err.data === "") return undefined;
      return patternDiagnostic(err, path, label, at(path), index);
    case "minimum":
    case "maximum": {
      const limit = Number(err.params.limit);
      const word = err.keyword === "minimum" ? "at least" : "at most";
      return make(at(path), path, "out-of-range", `\`${label}\` must be ${word} ${limit}`, `use a value ${word} ${limit}`);
    }
    default:
      return make(at(path), path, "schema", `\`${label}\` ${err.message ?? "is invalid"}`, "see schemas/dispatch-rules.schema.json for the allowed values");
  }
}

/** A rule with no rule type, or with more than one (at the second one's key). */
function ruleTypeDiagnostic(path: readonly PathSegment[], rule: unknown, index: SourceIndex): Diagnostic {
  const data = rule !== null && typeof rule === "object" ? (rule as Record<string, unknown>) : {};
  const kinds = RULE_KINDS.filter((k) => Object.prototype.hasOwnProperty.call(data, k));
  const what = typeof data.name === "string" && data.name !== "" ? `rule \`${short(data.name)}\`` : labelOf(path);
  if (kinds.length === 0) {
    return diagnosticAt(index, offsetOf(index, path, true), path, {
      code: "missing-rule-type",
      message: `${what} has no rule type`,
      hint: "add exactly one of `direct: {roomName: ...}`, `individual: {}` or `callee: {}`",
    });
  }
  const second = [...path, kinds[1] as string];
  return diagnosticAt(index, offsetOf(index, second, true), second, {
    code: "multiple-rule-types",
    message: `${what} has more than one rule type: ${kinds.map((k) => `\`${k}\``).join(" and ")}`,
    hint: "a rule has exactly one type: keep one of direct, individual, callee and make separate rules for the others",
  });
}

/** A rule's `name` (`rules[i].name`), not a codec's or a room configuration's. */
function isRuleName(path: readonly PathSegment[]): boolean {
  return path.length === 3 && path[0] === "rules" && path[2] === "name";
}

/** Why a rule name fails the schema's pattern: the first unprintable character, or only whitespace. */
function ruleNameDiagnostic(name: string, path: readonly PathSegment[], offset: number | undefined, index: SourceIndex): Diagnostic {
  const bad = UNPRINTABLE_CHAR.exec(name);
  if (bad === null)
    return diagnosticAt(index, offset, path, { code: "invalid-name", message: "the rule name is only whitespace", hint: "give the rule a name with visible characters, e.g. `support-line`" });
  const position = [...name.slice(0, bad.index)].length + 1;
  return diagnosticAt(index, offset, path, {
    code: "invalid-name",
    message: `the rule name \`${safeText(name, 60)}\` contains the invisible or control character ${codePointName(bad[0])} (character ${position})`,
    hint: "rule names are printable text: remove control, bidi-override and zero-width characters (they hide in plans, terminals and Markdown)",
  });
}

function patternDiagnostic(err: SchemaError, path: readonly PathSegment[], label: string, offset: number | undefined, index: SourceIndex): Diagnostic {
  const last = path[path.length - 1];
  if (isRuleName(path) && typeof err.data === "string") return ruleNameDiagnostic(err.data, path, offset, index);
  if (last === "mediaTimeout")
    return diagnosticAt(index, offset, path, {
      code: "invalid-duration",
      message: `\`mediaTimeout\` must be a duration in seconds like "30s", not \`${short(err.data)}\``,
      hint: 'write seconds with an `s` suffix, e.g. "30s" or "1.5s" (10 minutes is "600s", the maximum)',
    });
  if (last === "name" && path.includes("codecs")) {
    const empty = err.data === "";
    return diagnosticAt(index, offset, path, {
      code: "invalid-codec",
      message: empty ? "codec name must not be empty" : "codec name must not contain whitespace or '/'",
      hint: "write the codec name only, e.g. PCMU or opus; the clock rate goes in `rate`",
    });
  }
  return diagnosticAt(index, offset, path, { code: "invalid-value", message: `\`${label}\` does not match ${String(err.params.pattern)}`, hint: "see schemas/dispatch-rules.schema.json for the allowed form" });
}

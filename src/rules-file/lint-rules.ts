// Pure. Lints: rules that are valid but likely mistakes (SPEC §2), reported as warnings
// (`--strict` makes them errors). Users of LiveKit SIP trip over these again and again
// (livekit/sip#362, #520, #825, livekit/protocol#1162). `# sip-dispatch-sync: ignore[CODE]` on
// the rule's line (its `- ` line or its `name:` line) silences one for that rule.
import { normalizeNumber, pinOf, type Diagnostic } from "../model/index.js";
import { NUMBER_FIELDS, type RuleEntry } from "./check-rules.js";
import { diagnosticAt, keyOrValueOffset, valueOffset, type PathSegment, type SourceIndex } from "./positions.js";

export const LINT_CODES = ["catch-all-rule", "number-not-e164", "number-in-both", "name-outside-manage"] as const;
export type LintCode = (typeof LINT_CODES)[number];

/** E.164: "+", a country code that does not start with 0, at most 15 digits in all. */
const E164 = /^\+[1-9]\d{1,14}$/;

const NONE: readonly string[] = [];

const IGNORE = /#\s*sip-dispatch-sync:\s*ignore\[([^\]]*)\]/;

/** `*` any run of characters, `?` one; the same globs as `manage` (SPEC §2). */
function globMatcher(globs: readonly string[]): (name: string) => boolean {
  if (globs.includes("*")) return (name) => name !== "";
  const res = globs.map((g) => new RegExp(`^${[...g].map((ch) => (ch === "*" ? "[\\s\\S]*" : ch === "?" ? "[\\s\\S]" : ch.replace(/[\\^$.|+()[\]{}]/g, "\\$&"))).join("")}$`, "u"));
  return (name) => name !== "" && res.some((re) => re.test(name));
}

interface LintContext {
  readonly rules: readonly RuleEntry[];
  readonly manage: readonly string[];
  readonly source: SourceIndex;
}

/** The codes silenced on a line of the text (1-based); empty when none. */
function ignoredOnLine(text: string, line: number, lineStarts: () => readonly number[]): readonly string[] {
  const starts = lineStarts();
  const start = starts[line - 1];
  if (start === undefined) return [];
  const end = starts[line] ?? text.length;
  const m = IGNORE.exec(text.slice(start, end));
  return m === null ? [] : (m[1] ?? "").split(",").map((c) => c.trim());
}

export function lintRules(ctx: LintContext): Diagnostic[] {
  const out: { d: Diagnostic; rule: number }[] = [];
  const managed = globMatcher(ctx.manage);
  const warn = (rule: number, path: PathSegment[], code: LintCode, message: string, hint: string, atKey = false) => {
    const offset = (atKey ? keyOrValueOffset(ctx.source, path) : undefined) ?? valueOffset(ctx.source, path);
    out.push({ rule, d: diagnosticAt(ctx.source, offset, path, { code, severity: "warning", message, hint: `${hint}; or silence it with \`# sip-dispatch-sync: ignore[${code}]\` on the rule's line` }) });
  };
  // Indexed loops, a shared empty list and no closure per rule: this runs once over every rule
  // of the file, and a for-of, a `?? []` and a forEach each allocated per rule (28 MB at 100,000).
  const rules = ctx.rules;
  for (let at = 0; at < rules.length; at++) {
    const r = rules[at] as RuleEntry;
    const spec = r.spec;
    if (spec === undefined) continue;
    const i = r.index;
    const trunks = spec.trunkIds ?? NONE;
    const numbers = spec.numbers ?? NONE;
    const inbound = spec.inboundNumbers ?? NONE;
    if (trunks.length === 0 && numbers.length === 0 && inbound.length === 0 && pinOf(spec) === "") {
      warn(i, ["rules", i, "name"], "catch-all-rule", `rule ${JSON.stringify(spec.name)} is a catch-all: no trunkIds, numbers, inboundNumbers or pin, so it takes every call no other rule takes`, "limit it with `trunkIds` or `numbers` unless a catch-all is meant", true);
    }
    for (const field of NUMBER_FIELDS) {
      const list = spec[field] ?? NONE;
      for (let k = 0; k < list.length; k++) {
        const n = list[k] as string;
        const normal = normalizeNumber(n);
        if (E164.test(normal)) continue;
        warn(i, ["rules", i, field, k], "number-not-e164", `${field}[${k}] ${JSON.stringify(n)} is not an E.164 number${normal !== n ? ` (the server reads it as ${JSON.stringify(normal)})` : ""}`, "write it as + country code and number, digits only, e.g. \"+14155550100\"");
      }
    }
    if (numbers.length > 0 && inbound.length > 0) {
      const called = new Set(numbers.map(normalizeNumber));
      inbound.forEach((n, k) => {
        if (!called.has(normalizeNumber(n))) return;
        warn(i, ["rules", i, "inboundNumbers", k], "number-in-both", `rule ${JSON.stringify(spec.name)} has ${JSON.stringify(n)} in both \`numbers\` (the called number) and \`inboundNumbers\` (the caller)`, "keep it in one: `numbers` are the numbers dialled (to), `inboundNumbers` the callers allowed (from)");
      });
    }
    if (!managed(spec.name)) {
      warn(i, ["rules", i, "name"], "name-outside-manage", `rule ${JSON.stringify(spec.name)} is outside manage ${JSON.stringify(ctx.manage)}: it is never planned`, "add a glob matching it to `manage`, or rename the rule", true);
    }
  }
  if (out.length === 0) return [];
  const text = ctx.source.text;
  if (!text.includes("sip-dispatch-sync:")) return out.map((o) => o.d);
  let starts: number[] | undefined;
  const lineStarts = () => {
    if (starts === undefined) {
      starts = [0];
      for (let k = text.indexOf("\n"); k >= 0; k = text.indexOf("\n", k + 1)) starts.push(k + 1);
    }
    return starts;
  };
  return out
    .filter(({ d, rule }) => {
      const lines = new Set<number>();
      for (const path of [["rules", rule], ["rules", rule, "name"]] as PathSegment[][]) {
        const offset = path.length === 3 ? keyOrValueOffset(ctx.source, path) : valueOffset(ctx.source, path);
        if (offset !== undefined) lines.add(ctx.source.locate(offset).line);
      }
      // A block-style item starts with `- ` on the line of its first key: the `- ` line is that line.
      return ![...lines].some((line) => ignoredOnLine(text, line, lineStarts).includes(d.code));
    })
    .map((o) => o.d);
}

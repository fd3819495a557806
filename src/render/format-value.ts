// Pure. Shared text helpers for the plan renderers: values, field lines, names, summary line.
import { SENSITIVE, diffFields } from "../core/index.js";
import { escapeUnprintable, jsonLine, type FieldChange, type JsonValue, type PlanSummary, type RuleSpec } from "../model/index.js";

/** A value as one line: JSON (control characters escaped), "(unset)", or a masked pin as "(sensitive)". */
export function formatValue(value: JsonValue | undefined): string {
  if (value === undefined) return "(unset)";
  return value === SENSITIVE ? SENSITIVE : jsonLine(value);
}

/** What a sensitive change is called: the plan says that a secret changed, never its value. */
export function sensitiveNote(f: FieldChange): string {
  if (f.sensitive !== true) return "";
  return f.path.startsWith("roomConfig") ? " (egress credential changed)" : " (pin changed)";
}

/** `path: before -> after`, with "(pin changed)" when the change is a pin (values are masked). */
export function fieldLine(f: FieldChange): string {
  return `${escapeUnprintable(f.path)}: ${formatValue(f.before)} -> ${formatValue(f.after)}${sensitiveNote(f)}`;
}

/** Fields that are sets of strings: diffed element by element in text and Markdown. */
const SET_FIELDS: ReadonlySet<string> = new Set(["trunkIds", "numbers", "inboundNumbers", "trunks"]);

/** The elements a set field gains and loses, in their sorted order; undefined for other fields. */
export function setChange(f: FieldChange): { added: string[]; removed: string[] } | undefined {
  if (!SET_FIELDS.has(f.path)) return undefined;
  const list = (v: JsonValue | undefined): string[] | undefined =>
    v === undefined ? [] : Array.isArray(v) && v.every((x) => typeof x === "string") ? (v as string[]) : undefined;
  const before = list(f.before);
  const after = list(f.after);
  if (before === undefined || after === undefined) return undefined;
  const had = new Set(before);
  const has = new Set(after);
  return { added: after.filter((x) => !had.has(x)), removed: before.filter((x) => !has.has(x)) };
}

/**
 * A changed field as lines: `path: before -> after`, or for a set the path and one line per
 * added (`+ "x"`) and removed (`- "y"`) element, not both whole lists.
 */
export function fieldLines(f: FieldChange): string[] {
  const set = setChange(f);
  if (set === undefined) return [fieldLine(f)];
  return [`${f.path}:`, ...set.added.map((x) => `  + ${jsonLine(x)}`), ...set.removed.map((x) => `  - ${jsonLine(x)}`)];
}

/** The set fields of a rule to create, as `path: value` (its diff from an empty rule of the same name). */
export function createFields(spec: RuleSpec): FieldChange[] {
  return diffFields({ name: spec.name }, spec);
}

export function createLine(f: FieldChange): string {
  return `${escapeUnprintable(f.path)}: ${formatValue(f.after)}`;
}

/** Names longer than a file may hold (256) come only from a server: shown cut, with the rest counted. */
export function shortName(name: string): string {
  return name.length > 256 ? `${name.slice(0, 256)}… (${name.length - 256} more characters)` : name;
}

/** A rule name as printed: as-is when plain, else JSON-quoted (no control characters reach a terminal); cut past 256. */
export function displayName(nameText: string): string {
  const name = shortName(nameText);
  return /^[\p{L}\p{N}\p{P}\p{S}]+$/u.test(name) ? name : jsonLine(name);
}

/** The kept rules by why: `prune: false`, and rules held opaque (never pruned, SPEC §4). */
function keptParts(s: PlanSummary): { n: number; why: string }[] {
  const opaque = s.keptOpaque ?? 0;
  return [
    { n: s.kept - opaque, why: "prune: false" },
    { n: opaque, why: "held opaque, never pruned" },
  ].filter((k) => k.n > 0);
}

export function summaryLine(s: PlanSummary): string {
  const extra = [
    ...keptParts(s).map((k) => `, ${k.n} kept (${k.why})`),
    s.outsideManage > 0 ? `, ${s.outsideManage} in the file outside manage (not planned)` : "",
    s.outsideNames > 0 ? `, ${s.outsideNames} outside --names` : "",
  ].join("");
  return `Plan: ${s.create} to create, ${s.update} to update, ${s.delete} to delete, ${s.unchanged} unchanged, ${s.unmanaged} unmanaged left alone${extra}.`;
}

/**
 * What a plan without changes says: "No changes" only when the server equals the file; rules
 * kept by `prune: false` and file rules outside `manage` are differences the plan leaves.
 */
export function noChangesLines(s: PlanSummary): string[] {
  const differences = [
    ...keptParts(s).map((k) => `${k.n} managed rule${k.n === 1 ? "" : "s"} on the server not in the file, kept (${k.why})`),
    s.outsideManage > 0 ? `${s.outsideManage} rule${s.outsideManage === 1 ? "" : "s"} of the file outside manage, never planned` : "",
  ].filter((d) => d !== "");
  const scope = s.outsideNames > 0 ? ` among the rules matching --names (${s.outsideNames} left out)` : "";
  if (differences.length === 0) return [s.outsideNames > 0 ? `No changes${scope}.` : "No changes. The server matches the file."];
  return [`Nothing to create, update or delete${scope}, but the server does not match the file:`, ...differences.map((d) => `  - ${d}`)];
}

export function hasChanges(s: PlanSummary): boolean {
  return s.create + s.update + s.delete > 0;
}

/** The first line of a text plan and of the approval prompt: which file is planned against which server. */
export function planHeader(ctx: { readonly config: string; readonly server: string; readonly environment?: string }): string {
  const env = ctx.environment === undefined ? "" : ` (environment ${displayName(ctx.environment)})`;
  return `Planning ${displayName(ctx.config)}${env} against ${displayName(ctx.server)}`;
}

/** The approval prompt's question: how many changes, from which file (and environment), to which server. */
export function approvalQuestion(total: number, ctx: { readonly config: string; readonly server: string; readonly environment?: string }): string {
  const env = ctx.environment === undefined ? "" : ` (environment ${displayName(ctx.environment)})`;
  return `Apply these ${total} change(s) from ${displayName(ctx.config)}${env} to ${displayName(ctx.server)}?`;
}

/** The line naming the fields an update keeps but does not manage (SPEC §4), or none. */
export function keptLine(kept: readonly string[] | undefined): string[] {
  if (kept === undefined || kept.length === 0) return [];
  return [`kept (not managed by this version, carried unchanged): ${kept.join(", ")}`];
}

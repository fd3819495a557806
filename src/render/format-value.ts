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

export function summaryLine(s: PlanSummary): string {
  return `Plan: ${s.create} to create, ${s.update} to update, ${s.delete} to delete, ${s.unchanged} unchanged, ${s.unmanaged} unmanaged left alone.`;
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

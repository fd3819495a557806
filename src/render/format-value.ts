// Pure. Shared text helpers for the plan renderers: values, field lines, names, summary line.
import { SENSITIVE, diffFields } from "../core/index.js";
import type { FieldChange, JsonValue, PlanSummary, RuleSpec } from "../model/index.js";

/** A value as one line: JSON (control characters escaped), "(unset)", or a masked pin as "(sensitive)". */
export function formatValue(value: JsonValue | undefined): string {
  if (value === undefined) return "(unset)";
  return value === SENSITIVE ? SENSITIVE : JSON.stringify(value);
}

/** `path: before -> after`, with "(pin changed)" when the change is a pin (values are masked). */
export function fieldLine(f: FieldChange): string {
  return `${f.path}: ${formatValue(f.before)} -> ${formatValue(f.after)}${f.sensitive ? " (pin changed)" : ""}`;
}

/** The set fields of a rule to create, as `path: value` (its diff from an empty rule of the same name). */
export function createFields(spec: RuleSpec): FieldChange[] {
  return diffFields({ name: spec.name }, spec);
}

export function createLine(f: FieldChange): string {
  return `${f.path}: ${formatValue(f.after)}`;
}

/** A rule name as printed: as-is when plain, else JSON-quoted (no control characters reach a terminal). */
export function displayName(name: string): string {
  return /^[\p{L}\p{N}\p{P}\p{S}]+$/u.test(name) ? name : JSON.stringify(name);
}

export function summaryLine(s: PlanSummary): string {
  return `Plan: ${s.create} to create, ${s.update} to update, ${s.delete} to delete, ${s.unchanged} unchanged, ${s.unmanaged} unmanaged left alone.`;
}

export function hasChanges(s: PlanSummary): boolean {
  return s.create + s.update + s.delete > 0;
}

/** The line naming the fields an update keeps but does not manage (SPEC §4), or none. */
export function keptLine(kept: readonly string[] | undefined): string[] {
  if (kept === undefined || kept.length === 0) return [];
  return [`kept (not managed by this version, carried unchanged): ${kept.join(", ")}`];
}

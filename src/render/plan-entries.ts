// Pure. The plan's changes as JSON values in the file's camelCase form, pins masked: the shape of
// SPEC §3 `changes`, shared by the JSON renderer and the saved-plan digest.
import { canonicalJson, maskSpec, normalizeRule } from "../core/index.js";
import { assertNever, type Change, type FieldChange, type JsonValue, type Plan, type RuleSpec } from "../model/index.js";

export interface FieldEntry {
  readonly path: string;
  readonly before: JsonValue;
  readonly after: JsonValue;
  readonly sensitive?: true;
}

export type ChangeEntry =
  | { readonly action: "create"; readonly name: string; readonly rule: RuleSpec }
  | {
      readonly action: "update";
      readonly name: string;
      readonly id: string;
      readonly method: "replace" | "recreate";
      readonly rule: RuleSpec;
      readonly fields: readonly FieldEntry[];
      /** Fields of the server's rule this version does not manage, carried by the update (SPEC §4). */
      readonly kept?: readonly string[];
    }
  | { readonly action: "delete"; readonly name: string; readonly id: string; readonly reason: "not-in-file" | "duplicate" };

/** The desired rule as shown anywhere outside the process: canonical and with pins masked. */
export function shownRule(spec: RuleSpec): RuleSpec {
  return maskSpec(normalizeRule(spec));
}

/** A field change as JSON; unset is null (normalised values are never null themselves). */
export function fieldEntry(f: FieldChange): FieldEntry {
  return {
    path: f.path,
    before: f.before ?? null,
    after: f.after ?? null,
    ...(f.sensitive ? { sensitive: true as const } : {}),
  };
}

export function changeEntry(c: Change): ChangeEntry {
  switch (c.action) {
    case "create":
      return { action: "create", name: c.name, rule: shownRule(c.desired) };
    case "update":
      return {
        action: "update",
        name: c.name,
        id: c.id,
        method: c.method,
        rule: shownRule(c.desired),
        fields: c.fields.map(fieldEntry),
        ...(c.kept === undefined ? {} : { kept: [...c.kept] }),
      };
    case "delete":
      return { action: "delete", name: c.name, id: c.id, reason: c.reason };
    default:
      return assertNever(c, "change");
  }
}

/**
 * Canonical JSON of the plan's masked changes. `apply PLAN.json` compares it with the digest of
 * the saved file's `changes` (savedPlanChangesDigest) to check it applies exactly what was reviewed.
 */
export function planChangesDigest(plan: Plan): string {
  return canonicalJson(plan.changes.map(changeEntry));
}

// Reference copy of src/core/diff-fields.ts as it was before the planner speed-up (commit 415d88c), kept
// unchanged so that the property tests can check the fast planner against it. Not product code.
// Pure. Field-level differences between two rules after normalisation, with dotted paths like
// `roomConfig.agents[0].agentName`; pins are reported masked and flagged `sensitive`.
import { RULE_KINDS, pinOf, type FieldChange, type JsonValue, type RuleSpec } from "../../../src/model/index.js";
import { deepEqual, isPlainObject } from "./canonical-json.js";
import { SENSITIVE, maskVariantValue } from "./mask-secrets.js";
import { metadataEqual, normalizeRule, parseStructuredMetadata } from "./normalize.js";

/** Top-level fields compared as a whole: sets are shown before/after, metadata as one value. */
const WHOLE_VALUE_KEYS = new Set(["trunkIds", "inboundNumbers", "numbers", "metadata"]);
const VARIANT_KEYS: ReadonlySet<string> = new Set(RULE_KINDS);
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function keyPath(parent: string, key: string): string {
  if (!IDENTIFIER.test(key)) return `${parent}[${JSON.stringify(key)}]`;
  return parent === "" ? key : `${parent}.${key}`;
}

function unionKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = Object.keys(b);
  for (const k of Object.keys(a)) if (!Object.hasOwn(b, k)) keys.push(k);
  return keys;
}

function change(path: string, before: unknown, after: unknown, sensitive = false): FieldChange {
  return {
    path,
    ...(before === undefined ? {} : { before: before as JsonValue }),
    ...(after === undefined ? {} : { after: after as JsonValue }),
    ...(sensitive ? { sensitive: true } : {}),
  };
}

function walk(path: string, a: unknown, b: unknown, out: FieldChange[], inVariant: boolean): void {
  if (deepEqual(a, b)) return;
  if (inVariant && path.endsWith(".pin")) {
    out.push(change(path, a === undefined ? undefined : SENSITIVE, b === undefined ? undefined : SENSITIVE, true));
    return;
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    for (const key of unionKeys(a, b)) {
      walk(keyPath(path, key), a[key], b[key], out, inVariant);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) walk(`${path}[${i}]`, a[i], b[i], out, inVariant);
    return;
  }
  out.push(change(path, a, b));
}

/** The changed fields from `before` to `after` (both normalised first). Empty when the rules are equal. */
export function diffFields(before: RuleSpec, after: RuleSpec): FieldChange[] {
  const a = normalizeRule(before) as unknown as Record<string, unknown>;
  const b = normalizeRule(after) as unknown as Record<string, unknown>;
  const out: FieldChange[] = [];
  for (const key of unionKeys(a, b)) {
    const x = a[key];
    const y = b[key];
    if (key === "metadata") {
      if (metadataEqual(x, y, deepEqual)) continue;
      // Show a JSON string parsed when the other side is a mapping, so the two read alike.
      const shown = (v: unknown, other: unknown) =>
        typeof v === "string" && typeof other === "object" ? parseStructuredMetadata(v) ?? v : v;
      out.push(change(key, shown(x, y), shown(y, x)));
    } else if (WHOLE_VALUE_KEYS.has(key)) {
      if (!deepEqual(x, y)) out.push(change(key, x, y));
    } else if (VARIANT_KEYS.has(key) && (x === undefined || y === undefined)) {
      // The rule kind changed: show the whole variant, pin masked; flag it when the pin differs.
      const pinChanged = pinOf(before) !== pinOf(after);
      out.push(change(key, maskVariantValue(x as JsonValue), maskVariantValue(y as JsonValue), pinChanged));
    } else {
      walk(key, x, y, out, VARIANT_KEYS.has(key));
    }
  }
  return out;
}

/** True when the two rules are equal after normalisation (metadata compared as parsed JSON). */
export function rulesEqual(a: RuleSpec, b: RuleSpec): boolean {
  return diffFields(a, b).length === 0;
}

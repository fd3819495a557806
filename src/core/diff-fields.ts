// Pure. Field-level differences between two rules after normalisation, with dotted paths like
// `roomConfig.agents[0].agentName`; pins and egress credentials are reported masked and flagged
// `sensitive`.
import { RULE_KINDS, pinOf, type FieldChange, type JsonValue, type RuleSpec } from "../model/index.js";
import { deepEqual, isPlainObject } from "./canonical-json.js";
import { SENSITIVE, maskEgressChange, maskVariantValue } from "./mask-secrets.js";
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

function change(path: string, beforeRaw: unknown, afterRaw: unknown, sensitiveRaw = false): FieldChange {
  // Egress credentials are masked like pins, and flagged when they differ.
  const { before, after, sensitive: egressSecretChanged } = maskEgressChange(path, beforeRaw, afterRaw);
  const sensitive = sensitiveRaw || egressSecretChanged;
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
  return diffNormalized(normalizeRule(before), normalizeRule(after), before, after);
}

/**
 * diffFields for rules already normalised: `a` = normalizeRule(before), `b` = normalizeRule(after).
 * `before` and `after` are the specs as given (the pin flag of a changed rule kind reads them).
 */
export function diffNormalized(a: RuleSpec, b: RuleSpec, before: RuleSpec, after: RuleSpec): FieldChange[] {
  const x0 = a as unknown as Record<string, unknown>;
  const y0 = b as unknown as Record<string, unknown>;
  const out: FieldChange[] = [];
  for (const key of unionKeys(x0, y0)) {
    const x = x0[key];
    const y = y0[key];
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

/**
 * True when two normalised rules have no field change (diffNormalized would be empty), without
 * building the changes: metadata compares as in metadataEqual, every other field by deepEqual.
 * Both must come from normalizeRule or normalizeRuleSorted: only the fields those write are read,
 * a field is present exactly when its value is defined, and the variants and sets hold only
 * strings and `true`, so they compare field by field and element by element.
 */
export function equalNormalized(a: RuleSpec, b: RuleSpec): boolean {
  return (
    a.name === b.name &&
    variantEqual(a.direct, b.direct) &&
    variantEqual(a.individual, b.individual) &&
    variantEqual(a.callee, b.callee) &&
    setEqual(a.trunkIds, b.trunkIds) &&
    setEqual(a.inboundNumbers, b.inboundNumbers) &&
    setEqual(a.numbers, b.numbers) &&
    a.hidePhoneNumber === b.hidePhoneNumber &&
    a.roomPreset === b.roomPreset &&
    a.krispEnabled === b.krispEnabled &&
    (a.metadata === b.metadata || metadataEqual(a.metadata, b.metadata, deepEqual)) &&
    stringMapEqual(a.attributes, b.attributes) &&
    deepEqual(a.roomConfig, b.roomConfig) &&
    deepEqual(a.media, b.media)
  );
}

/** The fields of any of the three rule kinds. */
interface AnyVariant {
  readonly pin?: string;
  readonly roomName?: string;
  readonly roomPrefix?: string;
  readonly randomize?: boolean;
  readonly noRandomness?: boolean;
}

/** Normalised variants (livekit-sip-api.md §2.2): present on both sides or neither, the same values. */
function variantEqual(x: AnyVariant | undefined, y: AnyVariant | undefined): boolean {
  if (x === undefined || y === undefined) return x === y;
  return x.pin === y.pin && x.roomName === y.roomName && x.roomPrefix === y.roomPrefix && x.randomize === y.randomize && x.noRandomness === y.noRandomness;
}

/** Normalised string maps (stringMap): the same keys with the same string values. */
function stringMapEqual(x: Readonly<Record<string, string>> | undefined, y: Readonly<Record<string, string>> | undefined): boolean {
  if (x === undefined || y === undefined) return x === y;
  let count = 0;
  for (const key in x) {
    if (!Object.hasOwn(x, key)) continue;
    if (!Object.hasOwn(y, key) || x[key] !== y[key]) return false;
    count += 1;
  }
  for (const key in y) if (Object.hasOwn(y, key)) count -= 1;
  return count === 0;
}

/** Normalised string sets: sorted and deduplicated, so equal sets are equal arrays. */
function setEqual(x: readonly string[] | undefined, y: readonly string[] | undefined): boolean {
  if (x === undefined || y === undefined) return x === y;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** True when the two rules are equal after normalisation (metadata compared as parsed JSON). */
export function rulesEqual(a: RuleSpec, b: RuleSpec): boolean {
  return equalNormalized(normalizeRule(a), normalizeRule(b));
}

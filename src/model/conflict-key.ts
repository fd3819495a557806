// Pure. The server's dispatch-rule conflict key (livekit-sip-api.md §5.2): two rules conflict iff
// they share a (pin, trunk, inbound number, number) tuple, where an empty list contributes the
// single value "" and numbers are normalised as the server's NormalizeNumber does.
import type { RuleSpec } from "./rule.js";
import { pinOf } from "./rule.js";

const NUMBER_LIKE = /^\+?[\d\- ()]+$/;
const NUMBER_PUNCTUATION = /[\s\-()+]/g;
/** What normalizeNumber returns unchanged: "+" and digits only (the usual E.164 form). */
const E164 = /^\+\d+$/;

/** livekit/protocol sip.NormalizeNumber: "+1 (555) 123-4567" and "15551234567" -> "+15551234567". */
export function normalizeNumber(num: string): string {
  if (E164.test(num) || !NUMBER_LIKE.test(num)) return num;
  return `+${num.replace(NUMBER_PUNCTUATION, "")}`;
}

export interface ConflictKey {
  readonly pin: string;
  readonly trunk: string;
  readonly inboundNumber: string;
  readonly number: string;
}

const NO_ENTRY: readonly string[] = [""];

/** A key list as the server reads it: an absent or empty list counts as the one value "". */
export function keyListOf(list: readonly string[] | undefined): readonly string[] {
  return list && list.length > 0 ? list : NO_ENTRY;
}

/**
 * Whether three lists from keyListOf give exactly one key: one entry each. (Arrays only: the
 * key loops also take whatever else a malformed rule holds, and so must a one-key fast path.)
 */
export function isSingleKey(trunks: readonly string[], inbounds: readonly string[], numbers: readonly string[]): boolean {
  return trunks.length === 1 && inbounds.length === 1 && numbers.length === 1 && Array.isArray(trunks) && Array.isArray(inbounds) && Array.isArray(numbers);
}

/** Every conflict tuple of a rule, deduplicated, as structured keys. */
export function conflictKeysOf(spec: RuleSpec): ConflictKey[] {
  const pin = pinOf(spec);
  const trunks = keyListOf(spec.trunkIds);
  const inbounds = keyListOf(spec.inboundNumbers);
  const numbers = keyListOf(spec.numbers);
  // The usual rule has at most one of each: one key, nothing to deduplicate.
  if (isSingleKey(trunks, inbounds, numbers)) {
    return [{ pin, trunk: trunks[0] as string, inboundNumber: normalizeNumber(inbounds[0] as string), number: normalizeNumber(numbers[0] as string) }];
  }
  const seen = new Set<string>();
  const out: ConflictKey[] = [];
  for (const trunk of trunks) {
    for (const inbound of inbounds) {
      for (const number of numbers) {
        const key: ConflictKey = { pin, trunk, inboundNumber: normalizeNumber(inbound), number: normalizeNumber(number) };
        const id = conflictKeyId(key);
        if (!seen.has(id)) {
          seen.add(id);
          out.push(key);
        }
      }
    }
  }
  return out;
}

/**
 * A stable string for a key, for use in sets and maps: equal exactly when the keys are equal
 * (each field but the last is length-prefixed, so no text can run into the next field). Cheaper
 * than JSON of the four fields, which was a tenth of `validate` at 100,000 rules. Contains the
 * pin: never log or print it.
 */
export function conflictKeyId(key: ConflictKey): string {
  return `${key.pin.length}:${key.pin}${key.trunk.length}:${key.trunk}${key.inboundNumber.length}:${key.inboundNumber}${key.number}`;
}

/** Key ids of a rule, for set operations. */
export function conflictKeyIds(spec: RuleSpec): string[] {
  return conflictKeysOf(spec).map(conflictKeyId);
}

/** A printable description of a key with the pin masked, e.g. `trunk ST_1, any caller, number +1555…, pin (sensitive)`. */
export function describeConflictKey(key: ConflictKey): string {
  const part = (v: string, any: string) => (v === "" ? any : v);
  return [
    `trunk ${part(key.trunk, "(any)")}`,
    `inbound number ${part(key.inboundNumber, "(any)")}`,
    `number ${part(key.number, "(any)")}`,
    `pin ${key.pin === "" ? "(none)" : "(sensitive)"}`,
  ].join(", ");
}

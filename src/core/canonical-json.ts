// Pure. Key-order-independent JSON helpers: deep equality and a canonical string (sorted keys),
// used for comparisons, fingerprints and plan digests.
import { setOwn } from "../model/index.js";

/** True for a non-null, non-array object. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `Object.keys(obj).sort()`, without the sort when the keys are already in order (the usual case). */
export function sortedKeys(obj: object): string[] {
  const keys = Object.keys(obj);
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i - 1] as string) > (keys[i] as string)) return keys.sort();
  }
  return keys;
}

/** A copy with every object's keys sorted (recursively); arrays keep their order. */
export function sortKeysDeep<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v: unknown) => sortKeysDeep(v)) as T;
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const key of sortedKeys(value)) {
      const v = value[key];
      if (v === undefined) continue;
      if (key === "__proto__") setOwn(out, key, sortKeysDeep(v));
      else out[key] = sortKeysDeep(v);
    }
    return out as T;
  }
  return value;
}

/** Thrown by `canonicalForm` on a value it leaves to the general path (see canonicalJson). */
const UNUSUAL: unique symbol = Symbol("unusual");

function assign(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") setOwn(out, key, value);
  else out[key] = value;
}

/**
 * A value that JSON.stringify writes exactly as it writes sortKeysDeep(value): `value` itself
 * when each object's keys already enumerate in ascending order, else a copy sorted where needed
 * (sharing the parts already in order). Only plain data: an object of another prototype, or with
 * an own toJSON, throws UNUSUAL.
 */
function canonicalForm(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype || Object.hasOwn(value, "toJSON")) throw UNUSUAL;
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      const c = canonicalForm(v);
      if (c === v) continue;
      out ??= value.slice();
      out[i] = c;
    }
    return out ?? value;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if ((proto !== Object.prototype && proto !== null) || Object.hasOwn(value, "toJSON")) throw UNUSUAL;
  const obj = value as Record<string, unknown>;
  // Integer-like keys always enumerate first, ascending; a copy keeps that, and puts the others
  // in sorted order. So keys that already enumerate in ascending order need no copy.
  let prev: string | undefined;
  let inOrder = true;
  for (const key in obj) {
    if (prev !== undefined && !(prev < key)) {
      inOrder = false;
      break;
    }
    prev = key;
  }
  if (!inOrder) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(obj).sort()) {
      const v = obj[key];
      if (v !== undefined) assign(out, key, canonicalForm(v));
    }
    return out;
  }
  let out: Record<string, unknown> | undefined;
  for (const key in obj) {
    const v = obj[key];
    const c = canonicalForm(v);
    if (out === undefined) {
      if (c === v) continue;
      out = {};
      for (const k of Object.keys(obj)) {
        if (k === key) break;
        assign(out, k, obj[k]);
      }
    }
    assign(out, key, c);
  }
  return out ?? value;
}

function prototypeHasEnumerableKeys(): boolean {
  for (const _ in Object.prototype) return true;
  return false;
}

/** Whether canonicalForm may be used now (it reads keys with for-in: Object.prototype must have no enumerable key). */
export function canonicalFormUsable(): boolean {
  return !prototypeHasEnumerableKeys();
}

/** JSON with sorted keys: equal values give equal strings whatever their key order. */
export function canonicalJson(value: unknown): string {
  // Fast path for plain data (no copy of what is already in order); the same string as the
  // definition, canonicalJsonSlow, which also handles everything else.
  if (canonicalFormUsable()) {
    try {
      return JSON.stringify(canonicalForm(value)) ?? "null";
    } catch (e) {
      if (e !== UNUSUAL) throw e;
    }
  }
  return canonicalJsonSlow(value);
}

/** The definition of canonicalJson, for any value; the fast path above must agree with it. */
export function canonicalJsonSlow(value: unknown): string {
  return JSON.stringify(sortKeysDeep(value)) ?? "null";
}

/** Structural equality of JSON-like values; object key order is irrelevant, `undefined` keys are ignored. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    // Holes in `a` are skipped, as Array.prototype.every does.
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i]) && i in a) return false;
    return true;
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    // Own enumerable keys with a defined value: the same set on both sides, equal values.
    let count = 0;
    for (const k in a) {
      if (!Object.hasOwn(a, k)) continue;
      const v = a[k];
      if (v === undefined) continue;
      count += 1;
      if (!Object.hasOwn(b, k) || !deepEqual(v, b[k])) return false;
    }
    for (const k in b) {
      if (Object.hasOwn(b, k) && b[k] !== undefined) count -= 1;
    }
    return count === 0;
  }
  return false;
}

/** Code-unit string order, independent of the locale (deterministic everywhere). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

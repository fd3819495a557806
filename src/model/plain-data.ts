// Pure. Helpers for plain JSON-like data (what a rules file and the server's JSON hold), shared
// by every layer: one way to set a key, one copy-on-change walk over strings.

/** Sets an own enumerable property: a `__proto__` key stays plain data, never a prototype. */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** Where a string stands in the data: mapping keys and sequence indexes from the root. */
export type DataPath = readonly (string | number)[];

/**
 * `value` with `change` applied to each string for which `mayChange` holds (the others are not
 * visited). Copy on change: a list or mapping is copied only when a value in it changed, else
 * returned as it is; most of a large file has nothing to change, and copying every value with
 * its path cost more than the change itself. `change` gets the live path: copy it to keep it.
 */
export function mapStrings(value: unknown, mayChange: (s: string) => boolean, change: (s: string, path: DataPath) => string): unknown {
  const path: (string | number)[] = [];
  /** Whether the walk must visit `v`: a string that may change, or a collection. */
  const visits = (v: unknown): boolean => (typeof v === "string" ? mayChange(v) : typeof v === "object" && v !== null);
  const visit = (v: unknown): unknown => {
    if (typeof v === "string") return change(v, path);
    if (Array.isArray(v)) {
      let out: unknown[] | undefined;
      for (let i = 0; i < v.length; i++) {
        const el: unknown = v[i];
        let next = el;
        if (visits(el)) {
          path.push(i);
          next = visit(el);
          path.pop();
        }
        if (next !== el) out ??= v.slice(0, i);
        out?.push(next);
      }
      return out ?? v;
    }
    if (v !== null && typeof v === "object") {
      const src = v as Record<string, unknown>;
      const keys = Object.keys(src);
      let out: Record<string, unknown> | undefined;
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i] as string;
        const el = src[k];
        let next = el;
        if (visits(el)) {
          path.push(k);
          next = visit(el);
          path.pop();
        }
        if (next !== el && out === undefined) {
          out = {};
          for (let j = 0; j < i; j++) setOwn(out, keys[j] as string, src[keys[j] as string]);
        }
        if (out !== undefined) setOwn(out, k, next);
      }
      return out ?? v;
    }
    return v;
  };
  return visits(value) ? visit(value) : value;
}

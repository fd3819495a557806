// mapStrings and setOwn (src/model/plain-data.ts), shared by interpolation and export: copy on
// change only, the live path of each changed string, `__proto__` kept as plain data.
import { describe, expect, it } from "vitest";
import { mapStrings, setOwn } from "../../../src/model/index.js";

describe("mapStrings", () => {
  it("copies only the collections on the way to a changed string, and passes each its path", () => {
    const untouched = { a: "x", n: 1 };
    const value = { keep: untouched, list: ["x", "$y", null], deep: { s: "$z" } };
    const paths: (string | number)[][] = [];
    const out = mapStrings(
      value,
      (s) => s.startsWith("$"),
      (s, path) => {
        paths.push([...path]);
        return s.slice(1);
      },
    ) as typeof value;
    expect(out).toEqual({ keep: { a: "x", n: 1 }, list: ["x", "y", null], deep: { s: "z" } });
    expect(out.keep).toBe(untouched);
    expect(value.list).toEqual(["x", "$y", null]);
    expect(paths).toEqual([["list", 1], ["deep", "s"]]);
    const same = { a: ["b"] };
    expect(mapStrings(same, () => false, () => "never")).toBe(same);
  });

  it("keeps a `__proto__` key an own property when it copies, never a prototype", () => {
    const value = JSON.parse('{"__proto__": "$p", "b": "$q"}') as Record<string, unknown>;
    const out = mapStrings(value, (s) => s.startsWith("$"), (s) => s.slice(1)) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(["__proto__", "b"]);
    expect(JSON.stringify(out)).toBe('{"__proto__":"p","b":"q"}');
    const obj: Record<string, unknown> = {};
    setOwn(obj, "__proto__", 1);
    expect([Object.getPrototypeOf(obj) === Object.prototype, Object.keys(obj)]).toEqual([true, ["__proto__"]]);
  });
});

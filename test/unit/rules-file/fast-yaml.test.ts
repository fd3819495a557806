// Unit tests of the fast YAML path: core-schema scalars as the `yaml` package resolves them with
// strict: true, exact spans of a small document, and the constructs it must leave to the library.
import { describe, expect, it } from "vitest";
import { parseFastYaml, resolvePlain } from "../../../src/rules-file/fast-yaml.js";
import { parseYaml, parseYamlWithLibrary } from "../../../src/rules-file/parse-yaml.js";

function libraryValue(text: string): unknown {
  const r = parseYamlWithLibrary(text, "f.yaml");
  if (!r.ok) throw new Error(`library rejected ${text}`);
  return r.value;
}

describe("resolvePlain", () => {
  const cases: readonly (readonly [string, unknown])[] = [
    ["+15550100", 15550100],
    ["0x1F", 31],
    ["0X1F", "0X1F"],
    ["0o17", 15],
    ["010", 10],
    ["-0", -0],
    ["1e3", 1000],
    ["1.5", 1.5],
    [".5", 0.5],
    ["1.", 1],
    [".inf", Infinity],
    ["-.Inf", -Infinity],
    [".nan", NaN],
    ["1_000", "1_000"],
    ["yes", "yes"],
    ["on", "on"],
    ["off", "off"],
    ["True", true],
    ["FALSE", false],
    ["tRue", "tRue"],
    ["~", null],
    ["Null", null],
    ["nULL", "nULL"],
    ["12345678901234567890", 12345678901234567000],
    ["gold", "gold"],
  ];
  it.each(cases)("%s", (text, expected) => {
    expect(resolvePlain(text)).toStrictEqual(expected);
    expect((libraryValue(`v: ${text}\n`) as { v: unknown }).v).toStrictEqual(expected);
  });
});

describe("parseFastYaml", () => {
  it("gives the value and exact spans of a small rules file", () => {
    const text = "version: 1\nrules:\n  - name: a # c\n    trunkIds: [x, 'y']\n";
    const r = parseFastYaml(text);
    expect(r?.value).toEqual({ version: 1, rules: [{ name: "a", trunkIds: ["x", "y"] }] });
    expect(r?.nodes.get("")).toEqual({ path: [], value: { start: 0, end: 57 } });
    expect(r?.nodes.get("/rules")).toEqual({ path: ["rules"], key: { start: 11, end: 16 }, value: { start: 20, end: 57 } });
    expect(r?.nodes.get("/rules/0")).toEqual({ path: ["rules", 0], value: { start: 22, end: 57 } });
    expect(r?.nodes.get("/rules/0/name")).toEqual({ path: ["rules", 0, "name"], key: { start: 22, end: 26 }, value: { start: 28, end: 29 } });
    expect(r?.nodes.get("/rules/0/trunkIds/1")).toEqual({ path: ["rules", 0, "trunkIds", 1], value: { start: 52, end: 55 } });
    expect([...(r?.nodes.keys() ?? [])]).toEqual(["", "/version", "/rules", "/rules/0", "/rules/0/name", "/rules/0/trunkIds", "/rules/0/trunkIds/0", "/rules/0/trunkIds/1"]);
    const slow = parseYamlWithLibrary(text, "f.yaml");
    expect(slow.ok && [...slow.index.nodes]).toEqual([...(r?.nodes ?? [])]);
  });

  it("handles double-quoted escapes like the library", () => {
    const text = 'a: "x\\ty\\u00e9\\x41\\U0001F600\\"\\\\\\/"\n';
    expect(parseFastYaml(text)?.value).toEqual({ a: 'x\ty\u00e9A\u{1F600}"\\/' });
    expect(libraryValue(text)).toEqual({ a: 'x\ty\u00e9A\u{1F600}"\\/' });
  });

  it("keeps `__proto__` as a plain key", () => {
    const value = parseFastYaml("__proto__: 1\n")?.value as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(["__proto__"]);
  });

  it("gives null for a file of comments only, as the library does", () => {
    expect(parseFastYaml("# only a comment\n")).toEqual({ value: null, nodes: new Map([["", { path: [], value: { start: 0, end: 0 } }]]) });
  });

  const fallbacks: readonly (readonly [string, string])[] = [
    ["anchor and alias", "a: &x 1\nb: *x\n"],
    ["merge key", "a: {k: 1}\nb:\n  <<: {k: 2}\n"],
    ["tag", "a: !!str 1\n"],
    ["literal block scalar", "a: |\n  text\n"],
    ["folded block scalar", "a: >\n  text\n"],
    ["multi-line plain scalar", "a: one\n  two\n"],
    ["multi-line quoted scalar", 'a: "one\n  two"\n'],
    ["document start", "---\na: 1\n"],
    ["document end", "a: 1\n...\n"],
    ["explicit key", "? a\n: 1\n"],
    ["tab", "a:\t1\n"],
    ["CRLF line ends", "a: 1\r\nb: 2\r\n"],
    ["duplicate key", "a: 1\na: 2\n"],
    ["unknown escape", 'a: "\\q"\n'],
    ["short hex escape", 'a: "\\x4"\n'],
    ["odd indentation", "a:\n  b: 1\n   c: 2\n"],
    ["comment deeper than the next line", "a:\n  b: 1\n  # last\nc: 2\n"],
    ["indented comment at the end", "a:\n  - 1\n  # gone\n"],
    ["empty value closing a mapping", "a:\n  b:\nc: 1\n"],
    ["flow collection over two lines", "a: [1,\n  2]\n"],
    ["root scalar", "hello\n"],
    ["indented root", "  a: 1\n"],
    ["null key", "~: 1\n"],
    ["compact nested sequence", "- - 1\n"],
    ["value with `: `", "a: b: c\n"],
  ];
  it.each(fallbacks)("leaves %s to the library", (_name, text) => {
    expect(parseFastYaml(text)).toBeUndefined();
    // parseYaml still answers (through the library), as before the fast path existed.
    const viaDispatch = parseYaml(text, "f.yaml");
    const direct = parseYamlWithLibrary(text, "f.yaml");
    expect(viaDispatch.diagnostics).toEqual(direct.diagnostics);
    expect(viaDispatch.ok).toBe(direct.ok);
  });
});

// Unit tests of the fast YAML path: core-schema scalars as the `yaml` package resolves them with
// strict: true, exact spans of a small document, and the constructs it must leave to the library.
import { describe, expect, it } from "vitest";
import { parseFastYaml, resolvePlain, tryFastYaml } from "../../../src/rules-file/fast-yaml.js";
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

  it("reads a key it has seen before exactly as the first time, near misses included", () => {
    // The parser remembers plain keys: a later `name:x`, `names:`, `name :` or `name:` at the end
    // must still read as the library reads them (a scalar, another key, a key with a space...).
    for (const later of ["name:x", "names: y", "name:", "name: z", "nam: w", "name:\t", "name#: v"]) {
      const text = `a:\n  - name: 1\n  - ${later}\n  - name: 2\n`;
      const fast = parseFastYaml(text);
      if (fast !== undefined) expect([later, fast.value]).toStrictEqual([later, libraryValue(text)]);
    }
    const seen = parseFastYaml("a:\n  - name: 1\n  - name:x\n");
    expect(seen?.value).toStrictEqual({ a: [{ name: 1 }, "name:x"] });
  });

  it("reads keys that share a cache slot, three to a slot, as the library does", () => {
    // The key cache holds two keys per first two characters: `roomPrefix`, `roomConfig` and
    // `roomName` take turns in one slot, and each must still read as itself.
    const items = Array.from({ length: 6 }, (_, i) => `  - roomPrefix: p${i}\n    roomConfig: {}\n    roomName: n${i}\n    roomPrefixes: x${i}\n`);
    const text = `a:\n${items.join("")}`;
    const fast = parseFastYaml(text);
    expect(fast?.value).toStrictEqual(libraryValue(text));
    const slow = parseYamlWithLibrary(text, "f.yaml");
    expect(slow.ok && [...slow.index.nodes]).toEqual([...(fast?.nodes ?? [])]);
  });

  it("reads `<<` merge keys as the library does, near misses included", () => {
    for (const line of ["<<: *d", "<<: [*d]", "<<: *d # shared", "<<<: x", "<<x: y", "<< : *d", "<<:"]) {
      const text = `d: &d\n  k: 1\nitems:\n  - name: a\n    ${line}\n`;
      const fast = parseFastYaml(text);
      const slow = parseYamlWithLibrary(text, "f.yaml");
      if (fast !== undefined) {
        expect([line, fast.value]).toStrictEqual([line, slow.ok ? slow.value : "library rejects"]);
        expect(slow.ok && [...slow.index.nodes]).toEqual([...fast.nodes]);
      }
    }
    expect(parseFastYaml("d: &d\n  k: 1\ne:\n  <<: *d\n  j: 2\n")?.value).toStrictEqual({ d: { k: 1 }, e: { k: 1, j: 2 } });
  });

  it("reads a file of many short lines (its line tables grow) as the library does", () => {
    // The line tables start at a line per 32 characters: lines of 6 grow them several times.
    const text = `a:\n${Array.from({ length: 4000 }, (_, i) => `  - ${i % 10}\n`).join("")}b: end`;
    const fast = parseFastYaml(text);
    expect(fast?.value).toStrictEqual(libraryValue(text));
    const slow = parseYamlWithLibrary(text, "f.yaml");
    expect(slow.ok && [...slow.index.nodes]).toEqual([...(fast?.nodes ?? [])]);
    expect(fast?.lineStarts.length).toBe(4002);
  });

  it("reads block plain scalars with `#` and `:` inside, and ends them at a ` #` comment", () => {
    // Read on the fast path (no fallback), each as the library reads it.
    for (const value of ["room#1", "sip:alice", "a:b:c", "x # note", "x  # note", "x#y # note", "tail:", "url: http://h"]) {
      const text = `a: ${value}\n`;
      const fast = parseFastYaml(text);
      const slow = parseYamlWithLibrary(text, "f.yaml");
      if (!slow.ok) {
        expect([value, fast]).toEqual([value, undefined]);
        continue;
      }
      expect([value, fast?.value]).toStrictEqual([value, slow.value]);
      expect([...(fast?.nodes ?? [])]).toEqual([...slow.index.nodes]);
    }
    expect(parseFastYaml("a: room#1\n")?.value).toStrictEqual({ a: "room#1" });
    expect(parseFastYaml("a: x # note\n")?.value).toStrictEqual({ a: "x" });
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
    ["merge key of an inline mapping", "a: {k: 1}\nb:\n  <<: {k: 2}\n"],
    ["merge key of a scalar", "a: &x 1\nb:\n  <<: *x\n"],
    ["alias of an unknown anchor", "a: *x\n"],
    ["anchor on an empty value", "a: &x\nb: 1\n"],
    ["tag", "a: !!str 1\n"],
    ["block scalar with an indentation indicator", "a: |2\n   text\n"],
    ["folded block scalar with a more-indented line", "a: >\n  text\n    more\n"],
    ["multi-line plain scalar", "a: one\n  two\n"],
    ["escaped line break in a double-quoted scalar", 'a: "one\\\n  two"\n'],
    ["a second document", "a: 1\n---\nb: 2\n"],
    ["content after the document end", "a: 1\n...\nb: 2\n"],
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

describe("the YAML people write takes the fast path (issue 19)", () => {
  const taken: readonly (readonly [string, string])[] = [
    ["anchor and alias", "a: &x 1\nb: *x\nc: [*x, 2]\n"],
    ["anchored mapping and alias", "d: &d\n  k: v\n  j: [1]\ne: *d\n"],
    ["merge key", "d: &d\n  k: v\n  j: [1]\nr:\n  - n: 1\n    <<: *d\n    k: own\n  - <<: *d\n"],
    ["merge key of a list", "a: &a {x: 1, y: 2}\nb: &b {y: 3, z: 4}\nc:\n  <<: [*a, *b]\n  z: 5\n"],
    ["literal, strip", "a: |-\n  one\n  two\nb: 1\n"],
    ["literal, clip", "a: |\n  one\n\n  two\n\n\nb: 1\n"],
    ["literal, keep", "a: |+\n  one\n\n\nb: 1\n"],
    ["folded, clip", "a: >\n  f1\n  f2\n\n  f3\nb: 1\n"],
    ["folded, strip with a comment", "a: >- # note\n  f1\n  f2\n"],
    ["folded, keep", "a: >+\n  f1\n\nb: 1\n"],
    ["block scalar in a sequence", "- |\n  x\n- y\n"],
    ["block scalar with `#` lines", "a: |\n  # not a comment\n  text\n"],
    // One content line (the one-slice path), ended every way a line can be.
    ["one-line literal, clip, then a key", "a: |\n  {\"k\": 1}\nb: 1\n"],
    ["one-line literal, strip, then a key", "a: |-\n  one  \nb: 1\n"],
    ["one-line folded, clip, then a key", "a: >\n  one\nb: 1\n"],
    ["one-line literal, clip, at the text's end without a line break", "a: |\n  one"],
    ["one-line literal, strip, at the text's end without a line break", "a: |-\n  one"],
    ["one-line literal, clip, at the text's end", "a: |\n  one\n"],
    ["one-line literal, clip, then a blank line", "a: |\n  one\n\nb: 1\n"],
    ["one-line literal, clip, then a comment", "a: |\n  one\n# c\nb: 1\n"],
    ["one-line literal, clip, then an indented comment", "a: |\n  one\n  # two\nb: 1\n"],
    ["one-line literal, clip, then a line of the parent", "r:\n  - m: |\n      one\n    n: 2\n  - m: >-\n      two\n"],
    ["one-line literal, clip, before a document end", "a: |\n  one\n...\n"],
    ["document start", "---\na: 1\n"],
    ["document start with a comment", "# head\n--- # doc\na: 1\n"],
    ["document end", "a: 1\n...\n# after\n"],
    ["multi-line double-quoted scalar", 'a: "one\n  two\n\n  three"\nb: 1\n'],
    ["multi-line single-quoted scalar", "a: 'it''s\n   here'\n"],
  ];
  it.each(taken)("reads %s exactly as the library does", (_name, text) => {
    const fast = parseFastYaml(text);
    expect(fast).toBeDefined();
    const slow = parseYamlWithLibrary(text, "f.yaml");
    if (!slow.ok || fast === undefined) throw new Error("library rejected the text");
    expect(fast.value).toStrictEqual(slow.value);
    expect([...fast.nodes.entries()]).toStrictEqual([...slow.index.nodes.entries()]);
    for (const info of slow.index.nodes.values()) expect(fast.lookup(info.path)).toStrictEqual(info);
  });

  it("names why a text falls back, and parseYaml passes the reason on", () => {
    const merged = tryFastYaml("a: 1\nb:\n  <<: {k: 2}\n");
    expect(merged).toEqual({ fallback: "a merge key whose value is not an alias or a list of aliases" });
    const viaDispatch = parseYaml("a: 1\nb:\n  <<: {k: 2}\n", "f.yaml");
    expect(viaDispatch.ok && viaDispatch.fallback).toBe("a merge key whose value is not an alias or a list of aliases");
    const fast = parseYaml("a: 1\n", "f.yaml");
    expect(fast.ok && fast.fallback).toBeUndefined();
  });

  it("copies aliased values: changing one never changes another", () => {
    const value = parseFastYaml("a: &x {k: [1]}\nb: *x\nc:\n  <<: *x\n")?.value as Record<string, { k: number[] }>;
    expect(value.a?.k).not.toBe(value.b?.k);
    expect(value.c?.k).not.toBe(value.a?.k);
  });

  it("falls back on an alias bomb, so that the library reports it", () => {
    let text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (let i = 1; i < 8; i++) text += `a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(", ")}]\n`;
    expect(tryFastYaml(text)).toEqual({ fallback: "aliases that expand to very many values" });
  });
});

// The positions a valid file needs only on demand (rule `loc`, the source index of the fast YAML
// path) are made on first use; these tests hold them to what the eager computation gives: the
// same values, as plain enumerable data, whichever path parsed the file and whatever is read first.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { loadRulesText } from "../../../src/rules-file/index.js";
import { parseFastYaml } from "../../../src/rules-file/fast-yaml.js";
import { parseYaml, parseYamlWithLibrary } from "../../../src/rules-file/parse-yaml.js";

const FAST = "version: 1\nrules:\n  - name: a\n    individual: {}\n  # a comment\n  - name: b\n    direct: { roomName: r, pin: \"1\" }\n  - trunkIds: [t]\n    name: c\n    callee: {}\n";
// A tag (`!!map`) sends the same rules to the `yaml`-library path.
const LIBRARY = "version: 1\n# the tag below sends the file to the library path\nrules:\n  - name: a\n    individual: !!map { roomPrefix: p }\n  - name: b\n    direct: { roomName: r, pin: \"1\" }\n  - trunkIds: [t]\n    name: c\n    callee: {}\n";

function rulesOf(text: string) {
  const r = loadRulesText(text, "r.yaml", { env: {} });
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.state.rules;
}

describe("rule locations", () => {
  it("are tested on both YAML paths", () => {
    expect(parseFastYaml(FAST)).toBeDefined();
    expect(parseFastYaml(LIBRARY)).toBeUndefined();
  });

  it("point at each rule's name key on the fast path", () => {
    expect(rulesOf(FAST).map((r) => r.loc)).toEqual([
      { file: "r.yaml", line: 3, column: 5 },
      { file: "r.yaml", line: 6, column: 5 },
      { file: "r.yaml", line: 9, column: 5 },
    ]);
  });

  it("point at each rule's name key on the library path", () => {
    expect(rulesOf(LIBRARY).map((r) => r.loc)).toEqual([
      { file: "r.yaml", line: 4, column: 5 },
      { file: "r.yaml", line: 6, column: 5 },
      { file: "r.yaml", line: 9, column: 5 },
    ]);
  });

  it("are the same whichever rule is read first", () => {
    const rules = rulesOf(FAST);
    expect(rules[2]?.loc).toEqual({ file: "r.yaml", line: 9, column: 5 });
    expect(rules[0]?.loc).toEqual({ file: "r.yaml", line: 3, column: 5 });
    expect(rules[2]?.loc).toBe(rules[2]?.loc);
  });

  it("are enumerable data: spread, JSON and key lists see them", () => {
    const rule = rulesOf(FAST)[1];
    expect(Object.keys(rule ?? {})).toEqual(["spec", "loc"]);
    expect({ ...rule }.loc).toEqual({ file: "r.yaml", line: 6, column: 5 });
    expect(JSON.parse(JSON.stringify(rule))).toEqual({ spec: { name: "b", direct: { roomName: "r", pin: "1" } }, loc: { file: "r.yaml", line: 6, column: 5 } });
  });
});

describe("the fast path's source index", () => {
  it("gives the library's nodes and line/columns when first asked", () => {
    const fast = parseYaml(FAST, "r.yaml");
    const slow = parseYamlWithLibrary(FAST, "r.yaml");
    if (!fast.ok || !slow.ok) throw new Error("both paths take this file");
    // locate before nodes, then nodes: neither depends on the other having been made.
    for (let i = 0; i <= FAST.length; i++) expect(fast.index.locate(i)).toEqual(slow.index.locate(i));
    expect([...fast.index.nodes]).toStrictEqual([...slow.index.nodes]);
    expect(fast.index.nodes).toBe(fast.index.nodes);
  });

  it("does not keep the parse tree alive: rule locations hold the index, never the parsed value", async () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const parsed = parseYaml(FAST, "r.yaml");
    if (!parsed.ok) throw new Error("the fast path takes this file");
    const tree = new WeakRef(parsed.value as object);
    const index = parsed.index;
    (parsed as { value: unknown }).value = undefined;
    // Let the current task's references go before collecting.
    for (let i = 0; i < 3 && tree.deref() !== undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      gc();
    }
    expect(tree.deref()).toBeUndefined();
    // The index still answers positions after the tree is gone.
    expect(index.lookup?.(["rules", 1, "name"])?.key).toEqual({ start: FAST.indexOf("name: b"), end: FAST.indexOf("name: b") + 4 });
  });
});

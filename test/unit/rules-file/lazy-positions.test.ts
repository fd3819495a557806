// The positions a valid file needs only on demand (rule `loc`, the source index of the fast YAML
// path) are made on first use; these tests hold them to what the eager computation gives: the
// same values, as plain enumerable data, whichever path parsed the file and whatever is read first.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { loadRulesText } from "../../../src/rules-file/index.js";
import { nameLocations } from "../../../src/rules-file/load-rules-text.js";
import { nameLocation } from "../../../src/rules-file/to-desired-rules.js";
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

  it("share one accessor: no closure per rule (V8 keeps the rules in one shape)", () => {
    const [a, b] = rulesOf(FAST);
    const getA = Object.getOwnPropertyDescriptor(a, "loc")?.get;
    expect(getA).toBeTypeOf("function");
    expect(Object.getOwnPropertyDescriptor(b, "loc")?.get).toBe(getA);
    // Each rule answers with its own position through the shared accessor.
    expect(getA?.call(b)).toEqual({ file: "r.yaml", line: 6, column: 5 });
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

  it("rule locations from the first pass hold neither the index nor the text", async () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const parsed = parseYaml(FAST, "r.yaml");
    if (!parsed.ok) throw new Error("the fast path takes this file");
    expect(parsed.index.ruleNames?.keys).toEqual([FAST.indexOf("name: a"), FAST.indexOf("name: b"), FAST.indexOf("name: c")]);
    const held = new WeakRef(parsed.index);
    const locate = nameLocations(parsed.index, 3, () => true);
    (parsed as { index: unknown }).index = undefined;
    for (let i = 0; i < 3 && held.deref() !== undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      gc();
    }
    expect(held.deref()).toBeUndefined();
    expect([0, 1, 2].map(locate)).toEqual([
      { file: "r.yaml", line: 3, column: 5 },
      { file: "r.yaml", line: 6, column: 5 },
      { file: "r.yaml", line: 9, column: 5 },
    ]);
  });
});

describe("rule locations, recorded in the first pass or looked up", () => {
  // Rules whose names are written in every way a file may: a plain key, quoted keys, a name brought
  // in by a `<<` merge (not recorded: located through the index), flow items, a comment before the
  // name, block scalars and anchors around it.
  const item = fc.record({
    form: fc.constantFrom("plain", "first", "merged", "flow", "quoted", "alias-value", "late"),
    pad: fc.constantFrom("", "  # note", "# column 0"),
    n: fc.nat(99),
  });
  const fileOf = (items: readonly { form: string; pad: string; n: number }[]) => {
    const out = ["---", "version: 1", "x-n: &nm shared-name", "x-d: &d", "  krispEnabled: true", "rules:"];
    items.forEach((it, i) => {
      const name = `r${i}-${it.n}`;
      const lines: Record<string, string[]> = {
        plain: [`  - individual: { roomPrefix: p${i} }`, `    name: ${name}`],
        first: [`  - name: ${name}`, "    <<: *d", "    metadata: |-", "      a: b", "    individual: {}"],
        merged: ["  - <<: [*d, *e" + i + "]", `    individual: {}`],
        flow: [`  - { name: ${name}, individual: {} }`],
        quoted: [`  - "name": ${name}`, "    callee: {}"],
        "alias-value": i === 0 ? [`  - name: *nm`, "    individual: {}"] : [`  - name: ${name}`, "    individual: {}"],
        late: ["  - callee:", "      roomPrefix: x", `    name: >-`, `      ${name}`],
      };
      // A number of its own: rules that match the same calls would conflict.
      out.push(...(lines[it.form] ?? []).map((l, k) => (k === 0 && it.form === "flow" ? l.replace(" }", `, numbers: ["+1555000${i}"] }`) : l)));
      if (it.form !== "flow") out.push(`    numbers: ["+1555000${i}"]`);
      // A `name` key deeper in the rule (attributes are free-form) is not the rule's name.
      if (it.form !== "flow" && it.n % 2 === 0) out.push("    attributes:", "      name: inner");
      if (it.pad !== "") out.push(it.pad);
    });
    // After the rules, a `name` key at the depth of a rule's own keys, under another root key.
    out.push("x-tail:", "  inner:", "    name: not-a-rule");
    return out.join("\n") + "\n";
  };
  it("give every rule what the index gives for its name key", () => {
    let recorded = 0;
    fc.assert(
      fc.property(fc.array(item, { minLength: 1, maxLength: 8 }), (items) => {
        // A merged item needs its own anchor defined before it: give each one as a root key first.
        const text = fileOf(items).replace("rules:", items.map((_, i) => `x-e${i}: &e${i} { name: m${i} }`).join("\n") + "\nrules:");
        const loaded = loadRulesText(text, "r.yaml", { env: {} });
        if (!loaded.ok) throw new Error(`${text}\n${JSON.stringify(loaded.diagnostics)}`);
        const parsed = parseYaml(text, "r.yaml");
        if (!parsed.ok) throw new Error("parsed above");
        expect(loaded.state.rules.map((r) => r.loc)).toEqual(items.map((_, i) => nameLocation(parsed.index, i)));
        if (parsed.index.ruleNames !== undefined) recorded += 1;
      }),
      { numRuns: 300 },
    );
    // Most files take the fast path, whose first-pass record is what is tested here.
    expect(recorded).toBeGreaterThan(150);
  });
});

describe("a state kept after the load (ownStrings)", () => {
  // 8 MB of comments and a few rules with long values: a value that is a view of the text keeps it all.
  const text = [
    "version: 1",
    ...Array.from({ length: 100_000 }, (_, i) => `# comment line ${i} ${"x".repeat(60)}`),
    "rules:",
    ...Array.from({ length: 5 }, (_, i) => [`  - name: a-rule-with-a-long-name-${i}`, `    metadata: "quoted metadata of rule ${i}"`, "    individual:", `      roomPrefix: a-long-room-prefix-${i}-`, `    numbers: ["+1555000${i}"]`].join("\n")),
  ].join("\n");

  async function retainedBytes(ownStrings: boolean): Promise<{ bytes: number; names: string[] }> {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    gc();
    const before = process.memoryUsage().heapUsed;
    // A copy of the text as a heap string of its own, unreachable once the load returns.
    const loaded = loadRulesText(text.split("\n").join("\n"), "r.yaml", { env: {}, ownStrings });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc();
    gc();
    return { bytes: process.memoryUsage().heapUsed - before, names: loaded.state.rules.map((r) => `${r.spec.name} ${r.spec.metadata ?? ""} ${r.loc?.line}`) };
  }

  it("does not keep the file's text: its long strings are copies", async () => {
    const kept = await retainedBytes(false);
    const owned = await retainedBytes(true);
    expect(owned.names).toEqual(kept.names);
    expect(owned.names[0]).toBe("a-rule-with-a-long-name-0 quoted metadata of rule 0 100003");
    // Without the copies the 8 MB text stays (a name is a view of it); with them only the state does.
    expect(text.length).toBeGreaterThan(8_000_000);
    expect(kept.bytes).toBeGreaterThan(text.length * 0.9);
    expect(owned.bytes).toBeLessThan(text.length * 0.1);
  });
});


// Property: the incremental loader (watch's, src/rules-file/incremental-load.ts) answers every
// load exactly as loadRulesText does — the state with every rule's spec and `loc`, or the same
// diagnostics — over sequences of edits to a rules file: values changed, rules added, removed,
// renamed to a duplicate, made to conflict, given an anchor, broken, commented, and the header or
// the trailer changed. It also takes the incremental path for the edits it is there for.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createIncrementalLoader, loadRulesText, type LoadOptions } from "../../src/rules-file/index.js";

interface Rule {
  name: string;
  kind: "individual" | "direct" | "callee";
  room: string;
  number: string;
  extra: string;
}

const HEADER_A = ["---", "# header", "version: 1", "x-defaults: &defaults", "  hidePhoneNumber: false", "", "rules:"];
const HEADER_B = ["version: 1", "prune: false", "rules:"];

function ruleLines(r: Rule): string[] {
  const out = [`  - name: ${r.name}`];
  if (r.extra === "merge") out.push("    <<: *defaults");
  if (r.kind === "direct") out.push("    direct:", `      roomName: ${r.room}`);
  else out.push(`    ${r.kind}:`, `      roomPrefix: ${r.room}`);
  out.push(`    numbers: ["${r.number}"]`);
  if (r.extra === "block") out.push("    metadata: |-", `      {"a": "${r.room}"}`);
  if (r.extra === "comment") out.push("# a comment between rules");
  if (r.extra === "anchor") out.push("    attributes: &attrs", "      team: a");
  if (r.extra === "alias") out.push("    attributes: *attrs");
  if (r.extra === "broken") out.push("    attributes: [unclosed");
  if (r.extra === "tab") out.push("    attributes: {\tteam: a }");
  if (r.extra === "catchall") out.splice(out.length - 1, 1);
  return out;
}

function fileText(header: readonly string[], rules: readonly Rule[], trailer: readonly string[]): string {
  return `${[...header, ...rules.flatMap(ruleLines), ...trailer].join("\n")}\n`;
}

const ruleArb = (i: number): fc.Arbitrary<Rule> =>
  fc.record({
    name: fc.constant(`r${i}`),
    kind: fc.constantFrom("individual", "direct", "callee"),
    room: fc.constantFrom("a", "b", "c"),
    number: fc.constant(`+1555000${String(i).padStart(4, "0")}`),
    extra: fc.constantFrom("", "", "", "merge", "block", "comment"),
  });

type Edit =
  | { readonly k: "value"; readonly at: number; readonly room: string }
  | { readonly k: "insert"; readonly at: number; readonly extra: string }
  | { readonly k: "remove"; readonly at: number }
  | { readonly k: "rename"; readonly at: number; readonly to: number }
  | { readonly k: "conflict"; readonly at: number; readonly to: number }
  | { readonly k: "extra"; readonly at: number; readonly extra: string }
  | { readonly k: "header" }
  | { readonly k: "trailer"; readonly manage: boolean }
  /** Text typed or deleted anywhere (on the last text, not the model). */
  | { readonly k: "raw"; readonly at: number; readonly remove: number; readonly insert: string };

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ k: fc.constant("value" as const), at: fc.nat(), room: fc.constantFrom("a", "b", "z", "${ROOM}", "'q'") }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("insert" as const), at: fc.nat(), extra: fc.constantFrom("", "merge", "block") }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("remove" as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("rename" as const), at: fc.nat(), to: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("conflict" as const), at: fc.nat(), to: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("extra" as const), at: fc.nat(), extra: fc.constantFrom("", "anchor", "alias", "broken", "tab", "catchall", "comment", "merge") }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("header" as const) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("trailer" as const), manage: fc.boolean() }) },
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant("raw" as const),
      at: fc.nat(),
      remove: fc.integer({ min: 0, max: 40 }),
      insert: fc.constantFrom("", "x", "\n", "-", "  - name: q\n    callee: {}\n", "  - name: r0\n    callee: {}\n", "# c\n", ": ", "manage: [x]\n", "\n  - ", "    numbers: [\"+15550000000\"]\n", "&a ", "*a"),
    }),
  },
);

let inserted = 1000;
function applyEdit(state: { header: readonly string[]; rules: Rule[]; trailer: readonly string[] }, e: Edit): void {
  const n = state.rules.length;
  const pick = (at: number) => (n === 0 ? undefined : state.rules[at % n]);
  switch (e.k) {
    case "value": {
      const r = pick(e.at);
      if (r) r.room = e.room;
      break;
    }
    case "insert":
      inserted += 1;
      state.rules.splice(n === 0 ? 0 : e.at % (n + 1), 0, { name: `n${inserted}`, kind: "callee", room: "x", number: `+1666${inserted}`, extra: e.extra });
      break;
    case "remove":
      if (n > 1) state.rules.splice(e.at % n, 1);
      break;
    case "rename": {
      const r = pick(e.at);
      const other = pick(e.to);
      if (r && other) r.name = other.name;
      break;
    }
    case "conflict": {
      const r = pick(e.at);
      const other = pick(e.to);
      if (r && other) {
        r.number = other.number;
        r.kind = other.kind;
        r.extra = other.extra === "catchall" ? "catchall" : r.extra;
      }
      break;
    }
    case "extra": {
      const r = pick(e.at);
      if (r) r.extra = e.extra;
      break;
    }
    case "header":
      state.header = state.header === HEADER_A ? HEADER_B : HEADER_A;
      if (state.header === HEADER_B) for (const r of state.rules) if (r.extra === "merge") r.extra = "";
      break;
    case "trailer":
      state.trailer = e.manage ? ["manage: [\"r*\"]", "limits: { maxDeletes: 100 }"] : [];
      break;
  }
}

const OPTIONS: LoadOptions = { env: { ROOM: "from-env" } };
const plain = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

describe("the incremental loader", () => {
  it("answers every load of an edited file exactly as loadRulesText does", () => {
    let loads = 0;
    let incremental = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => ruleArb(i)))),
        fc.boolean(),
        fc.array(editArb, { minLength: 1, maxLength: 12 }),
        (rules, manage, edits) => {
          const state = { header: HEADER_A as readonly string[], rules: rules.map((r) => ({ ...r })), trailer: (manage ? ["manage: [\"*\"]"] : []) as readonly string[] };
          const loader = createIncrementalLoader();
          let text = "";
          for (const e of [undefined, ...edits]) {
            if (e?.k === "raw") {
              const at = e.at % (text.length + 1);
              text = text.slice(0, at) + e.insert + text.slice(at + e.remove);
            } else {
              if (e !== undefined) applyEdit(state, e);
              text = fileText(state.header, state.rules, state.trailer);
            }
            const got = loader.load(text, "f.yaml", OPTIONS);
            const want = loadRulesText(text, "f.yaml", OPTIONS);
            expect(plain(got), `after ${JSON.stringify(e)}:\n${text}`).toEqual(plain(want));
            loads += 1;
            if (loader.lastWasIncremental) incremental += 1;
          }
        },
      ),
      { numRuns: 300 },
    );
    // The property is about the incremental path: it must have been taken often.
    expect(incremental).toBeGreaterThan(loads / 5);
  });

  it("takes the incremental path for a one-rule edit and for a removal, and the whole load for a header change", () => {
    const rules: Rule[] = Array.from({ length: 50 }, (_, i) => ({ name: `r${i}`, kind: "individual", room: "a", number: `+1555000${String(i).padStart(4, "0")}`, extra: i % 3 === 0 ? "merge" : "" }));
    const loader = createIncrementalLoader();
    const load = (text: string) => {
      const got = loader.load(text, "f.yaml", OPTIONS);
      expect(plain(got)).toEqual(plain(loadRulesText(text, "f.yaml", OPTIONS)));
      return loader.lastWasIncremental;
    };
    expect(load(fileText(HEADER_A, rules, []))).toBe(false);
    // An unchanged file: the very same state object (the daemon tells an unchanged file by it).
    const fresh = createIncrementalLoader();
    const first = fresh.load(fileText(HEADER_A, rules, []), "f.yaml", OPTIONS);
    const again = fresh.load(Buffer.from(fileText(HEADER_A, rules, [])), "f.yaml", OPTIONS);
    expect(first.ok && again.ok && again.state === first.state).toBe(true);
    (rules[20] as Rule).room = "edited";
    expect(load(fileText(HEADER_A, rules, []))).toBe(true);
    rules.splice(30, 1);
    expect(load(fileText(HEADER_A, rules, []))).toBe(true);
    expect(load(fileText(HEADER_B, rules.map((r) => ({ ...r, extra: "" })), []))).toBe(false);
    // A rule given an anchor, then edited again: the whole load each time, then incremental again.
    (rules[5] as Rule).extra = "anchor";
    expect(load(fileText(HEADER_A, rules, []))).toBe(false);
    (rules[5] as Rule).extra = "";
    expect(load(fileText(HEADER_A, rules, []))).toBe(false);
    (rules[6] as Rule).room = "again";
    expect(load(fileText(HEADER_A, rules, []))).toBe(true);
  });

  it("loads the whole file for edits at the edges of the cut: each gives loadRulesText's answer", () => {
    const rules: Rule[] = Array.from({ length: 6 }, (_, i) => ({ name: `r${i}`, kind: "callee", room: "a", number: `+1555000${i}`, extra: "" }));
    const base = fileText([...HEADER_B.slice(0, -1), "limits: { maxDeletes: 100 }", "rules:"], rules, ['manage: ["r*"]']);
    const edits: readonly (readonly [string, (t: string) => string])[] = [
      // The line break before an item: it joins the item to the value before it.
      ["a joined line", (t) => t.replace('"+15550002"]\n  - name: r3', '"+15550002"]  - name: r3')],
      // A header value of the same length: every rule's state changes, no rule's text does.
      ["the header", (t) => t.replace("maxDeletes: 100", "maxDeletes: 200")],
      ["prune", (t) => t.replace("prune: false", "prune: true ")],
      // The trailer: `manage` decides which names are outside it (a warning for all of them).
      ["the trailer", (t) => t.replace('manage: ["r*"]', 'manage: ["x*"]')],
      // Every rule removed: `rules:` with nothing under it.
      ["no rules left", (t) => t.slice(0, t.indexOf("  - name: r0")) + t.slice(t.indexOf("manage:"))],
      ["an item's dash", (t) => t.replace("  - name: r4", "    name: r4")],
    ];
    // Without a trailer a chunk cut short still loads alone: only the whole file sees the join.
    const bare = fileText(HEADER_B, rules, []);
    for (const [what, change, from] of [...edits.map(([w, c]) => [w, c, base] as const), ["a joined line, no trailer", edits[0]?.[1] ?? ((t: string) => t), bare] as const]) {
      const loader = createIncrementalLoader();
      expect(loader.load(from, "f.yaml", OPTIONS).ok, what).toBe(true);
      const text = change(from);
      expect(text, what).not.toBe(from);
      expect(plain(loader.load(text, "f.yaml", OPTIONS)), what).toEqual(plain(loadRulesText(text, "f.yaml", OPTIONS)));
    }
  });

  it("loads the whole file when edits add up past the alias budget that each rule alone stays within", () => {
    // A header anchor of 250 keys, merged once into each rule's attributes and 240 times into a big
    // rule's: 60,000 alias values, under the 100,000 a small text may expand to; two big rules are
    // 120,000, an alias bomb for the whole file. Loaded alone, each rule stays under the budget.
    const keys = Array.from({ length: 250 }, (_, i) => `k${i}: v${i}`).join(", ");
    const merge = (n: number) => ["    attributes:", `      <<: [${Array.from({ length: n }, () => "*a1").join(", ")}]`];
    const header = ["version: 1", `x-a1: &a1 { ${keys} }`, "rules:"];
    const text = (bigRules: readonly number[]) =>
      `${[...header, ...Array.from({ length: 10 }, (_, i) => [`  - name: r${i}`, `    individual: { roomPrefix: p${i}- }`, ...merge(bigRules.includes(i) ? 240 : 1), `    numbers: ["+1555000${String(i).padStart(4, "0")}"]`]).flat()].join("\n")}\n`;
    const loader = createIncrementalLoader();
    const load = (t: string) => {
      const got = loader.load(t, "f.yaml", OPTIONS);
      expect(plain(got)).toEqual(plain(loadRulesText(t, "f.yaml", OPTIONS)));
      return got;
    };
    expect(load(text([0])).ok).toBe(true);
    // A one-rule edit elsewhere stays incremental.
    expect(load(text([0]).replace("p7-", "q7-")).ok).toBe(true);
    expect(loader.lastWasIncremental).toBe(true);
    // A second rule made big: the whole file is an alias bomb, and so is the answer.
    const bomb = load(text([0, 3]).replace("p7-", "q7-"));
    expect(bomb.ok ? [] : bomb.diagnostics.map((d) => d.code)).toContain("alias-bomb");
    expect(loader.lastWasIncremental).toBe(false);
  });
});

// End-to-end (I/O: child processes, temp files, an in-process emulator): hostile and careless input
// through the built CLI (issue #13): interpolation that never silently empties or half-resolves a
// value, mapping keys never re-spelled, rule names without invisible characters, a large
// conflicting file that does not crash, and `manage`/`--names` globs without backtracking.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PINS, only, seedRule, startE2e, type E2e } from "../support/e2e-harness.js";

let t: E2e;
beforeAll(async () => {
  t = await startE2e("hostile");
});
afterAll(async () => {
  await t.stop();
});
beforeEach(() => {
  t.em.control.reset();
});

const rule = (body: string) => `version: 1\nrules:\n  - name: front\n${body}`;

describe("interpolation (SPEC §2)", () => {
  it("rejects a variable that is set but empty, at its line, with the hint to write ${VAR:-}", async () => {
    const file = await t.write("empty-var.yaml", rule('    individual:\n      roomPrefix: call-\n      pin: "${SUPPORT_PIN}"\n'));
    const r = await t.cli(["validate", file], { env: { SUPPORT_PIN: "" } });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${file}:6:13: error: environment variable \`SUPPORT_PIN\` is set but empty (at rules[0].individual.pin)`);
    expect(r.stdout).toContain("${SUPPORT_PIN:-}");
    // plan refuses too: nothing reaches the server.
    const plan = await t.cli(["plan", "-c", file], { env: { SUPPORT_PIN: "" } });
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain("set but empty");
  });

  it("takes ${VAR:-} as the one way to an intended empty value, and ${VAR:-x} when VAR is empty", async () => {
    const file = await t.write("explicit-empty.yaml", rule('    individual:\n      roomPrefix: "call-${PREFIX_TAIL:-}"\n      pin: "${SUPPORT_PIN:-}"\n'));
    expect((await t.cli(["validate", file], { env: { SUPPORT_PIN: "", PREFIX_TAIL: "" } })).code).toBe(0);
    const dflt = await t.write("empty-default.yaml", rule('    individual:\n      roomPrefix: "${PREFIX:-call-}"\n'));
    const applied = await t.cli(["apply", "-c", dflt, "--auto-approve"], { env: { PREFIX: "" } });
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(only(t.rules(), "front").rule).toMatchObject({ dispatch_rule_individual: { room_prefix: "call-" } });
  });

  it("resolves nested defaults ${A:-${B}} and keeps $${ as a literal", async () => {
    const file = await t.write("nested.yaml", rule('    individual:\n      roomPrefix: "$${not-a-var}-"\n      pin: "${FRONT_PIN:-${DEFAULT_PIN}}"\n'));
    const applied = await t.cli(["apply", "-c", file, "--auto-approve"], { env: { DEFAULT_PIN: PINS.other } });
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const stored = only(t.rules(), "front").rule as { dispatch_rule_individual: { pin: string; room_prefix: string } };
    expect(stored.dispatch_rule_individual.pin).toBe(PINS.other);
    expect(stored.dispatch_rule_individual.room_prefix).toBe("${not-a-var}-");
  });

  it("never yields a value that still contains ${: an unset inner default, or an env value holding ${", async () => {
    const file = await t.write("unresolved.yaml", rule('    individual:\n      pin: "${FRONT_PIN:-${DEFAULT_PIN}}"\n'));
    const r = await t.cli(["validate", file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("environment variable `DEFAULT_PIN` is not set");
    const r2 = await t.cli(["validate", file], { env: { FRONT_PIN: "${OTHER}" } });
    expect(r2.code).toBe(1);
    expect(r2.stdout).toContain("the value of environment variable `FRONT_PIN` contains `${`");
  });
});

describe("mapping keys are text as written (SPEC §2)", () => {
  const KEYS = ["007", "0x1F", "1e3", ".inf", "yes", "~"];

  it.each([
    ["block", `    callee: {}\n    attributes:\n${KEYS.map((k) => `      ${k}: v\n`).join("")}`, (i: number) => [6 + i, 7]],
    ["flow", `    callee: {}\n    attributes: {${KEYS.map((k) => `${k}: v`).join(", ")}}\n`, (i: number) => [5, 18 + KEYS.slice(0, i).reduce((n, k) => n + k.length + 5, 0)]],
  ])("reports each non-text key (%s style) at file:line:column with the hint to quote it", async (_style, body, at) => {
    const file = await t.write("keys.yaml", rule(body));
    const r = await t.cli(["validate", file]);
    expect(r.code, r.stdout).toBe(1);
    KEYS.forEach((k, i) => {
      const [line, col] = at(i);
      expect(r.stdout).toContain(`${file}:${line}:${col}: error: the key \`${k}\` is read by YAML as`);
      expect(r.stdout).toContain(`hint: quote the key to keep it as text: \`"${k}": ...\``);
    });
    expect(r.stdout).toContain(`${KEYS.length} errors in 1 file`);
  });

  it("sends quoted keys to the server exactly as written", async () => {
    const file = await t.write("quoted-keys.yaml", rule(`    callee: {}\n    attributes:\n${KEYS.map((k) => `      "${k}": v\n`).join("")}`));
    const applied = await t.cli(["apply", "-c", file, "--auto-approve"]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(Object.keys(only(t.rules(), "front").attributes as object).sort()).toEqual([...KEYS].sort());
  });
});

describe("rule names (SPEC §2)", () => {
  it.each([
    ["a bidi override", '"pay\\u202Eevil"', "U+202E"],
    ["a zero-width space", '"front\\u200Bdesk"', "U+200B"],
    ["a terminal escape", '"\\e[2Jx"', "U+001B"],
    ["a NUL", '"a\\0b"', "U+0000"],
  ])("rejects a name with %s, naming the character", async (_what, yamlName, code) => {
    const file = await t.write("bad-name.yaml", `version: 1\nrules:\n  - name: ${yamlName}\n    callee: {}\n`);
    const r = await t.cli(["validate", file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${file}:3:11: error: the rule name`);
    expect(r.stdout).toContain(`contains the invisible or control character ${code}`);
    // The raw character never reaches the output.
    // eslint-disable-next-line no-control-regex -- looking for raw control characters is the point
    expect(r.stdout).not.toMatch(/[\u0000\u001b\u200b\u202e]/);
  });

  it("rejects a name that is only whitespace, and one over 256 characters", async () => {
    const file = await t.write("ws-name.yaml", `version: 1\nrules:\n  - name: "   "\n    callee: {}\n  - name: ${"n".repeat(257)}\n    callee: {trunkIds: []}\n    numbers: ["+1"]\n`);
    const r = await t.cli(["validate", file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${file}:3:11: error: the rule name is only whitespace`);
    expect(r.stdout).toContain(`${file}:5:11: error: \`name\` is longer than 256 characters`);
    const ok = await t.write("ok-name.yaml", `version: 1\nrules:\n  - name: ${"n".repeat(256)}\n    callee: {}\n  - name: "Front Desk 日本 😀"\n    callee: {}\n    numbers: ["+15550001"]\n`);
    expect((await t.cli(["validate", ok])).code).toBe(0);
  });

  it("shows a server rule's name with invisible characters escaped in every plan format", async () => {
    t.em.control.seed([seedRule("SDR_1", "evil\u202E\u001b[2Jname", { trunk_ids: ["ST_x"] })]);
    const file = await t.write("prune.yaml", "version: 1\nrules: []\nallowEmpty: true\n");
    for (const format of ["text", "markdown", "github", "json"]) {
      const r = await t.cli(["plan", "-c", file, "--format", format]);
      expect(r.code, r.stderr).toBe(0);
      // eslint-disable-next-line no-control-regex -- looking for raw control characters is the point
      expect(r.stdout, format).not.toMatch(/[\u001b\u202e]/);
      // Visible escapes (Markdown writes the backslash as an entity).
      expect(r.stdout, format).toMatch(/(?:\\|&#92;)u(?:001b|\{1b\})/);
      expect(r.stdout, format).toMatch(/(?:\\|&#92;)u(?:202e|\{202e\})/);
    }
  });
});

describe("the smaller items: each with the error or hint a user expects", () => {
  it("reads a file with CR-only line endings", async () => {
    // A trunk, so that the catch-all lint (#15) does not add a warning to the one line expected.
    const file = await t.write("cr.yaml", "version: 1\rrules:\r  - name: a\r    callee: {}\r    trunkIds: [ST_1]\r");
    const r = await t.cli(["validate", file]);
    expect([r.code, r.stdout]).toEqual([0, `${file}: 1 rule, valid\n`]);
  });

  it("gives __proto__ / constructor / toString keys a real hint (not Object.prototype's members)", async () => {
    const file = await t.write("proto.yaml", "version: 1\nrules:\n  - name: a\n    callee: {}\n    __proto__: 1\n    constructor: 2\n    toString: 3\n");
    const r = await t.cli(["validate", file]);
    expect(r.code).toBe(1);
    for (const [line, key] of [[5, "__proto__"], [6, "constructor"], [7, "toString"]] as const) {
      expect(r.stdout).toContain(`${file}:${line}:5: error: unknown key \`${key}\` (at rules[0].${key})\n  hint: \`${key}\` is not a setting here; allowed keys: name, direct,`);
    }
    expect(r.stdout).not.toMatch(/\[object Object\]|native code/);
  });

  it("names no library function for a second document", async () => {
    const file = await t.write("multi.yaml", "version: 1\nrules: []\n---\nversion: 1\n");
    const r = await t.cli(["validate", file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${file}:3:1: error: the file holds more than one YAML document`);
    expect(r.stdout).not.toContain("parseAllDocuments");
  });

  it("reports !!binary once, without a second error about an empty value", async () => {
    const file = await t.write("binary.yaml", "version: 1\nrules:\n  - name: a\n    callee: {}\n    metadata: !!binary aGVsbG8=\n");
    const r = await t.cli(["validate", file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("unsupported YAML value");
    expect(r.stdout).not.toContain("not empty");
    expect(r.stdout).toContain("1 error in 1 file");
  });
});

describe("long server names", () => {
  it("are cut in the text, Markdown and GitHub plans, with the rest counted", async () => {
    const name = `x${"y".repeat(100_000)}`;
    t.em.control.seed([seedRule("SDR_1", name, { trunk_ids: ["ST_x"] })]);
    const file = await t.write("prune-long.yaml", "version: 1\nrules: []\nallowEmpty: true\n");
    for (const format of ["text", "markdown", "github"]) {
      const r = await t.cli(["plan", "-c", file, "--format", format]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.length, format).toBeLessThan(5000);
      expect(r.stdout, format).toContain("… (99745 more characters)");
    }
  });
});

describe("size and complexity (no crash, no backtracking)", () => {
  it("validates 150,000 mutually conflicting rules without a stack overflow", async () => {
    let text = "version: 1\nrules:\n";
    for (let i = 0; i < 150_000; i++) text += `  - {name: r${i}, callee: {}}\n`;
    const file = await t.write("conflicts.yaml", text);
    const r = await t.cli(["validate", "--format", "json", file]);
    expect(r.stderr).not.toContain("Maximum call stack");
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { files: { diagnostics: { code: string }[] }[] };
    expect(out.files[0]?.diagnostics.filter((d) => d.code === "rule-conflict")).toHaveLength(149_999);
  }, 60_000);

  it("plans against 150,000 mutually conflicting server rules without a stack overflow (plan --against)", async () => {
    const items = Array.from({ length: 150_000 }, (_, i) => ({ sip_dispatch_rule_id: `SDR_${String(i).padStart(7, "0")}`, name: `r${i}`, rule: { dispatch_rule_callee: { room_prefix: "x" } } }));
    const state = await t.write("state-150k.json", JSON.stringify({ formatVersion: 1, items }));
    const file = await t.write("mine.yaml", 'version: 1\nmanage: ["mine-*"]\nrules:\n  - name: mine-a\n    callee: {}\n    trunkIds: [ST_mine]\n');
    for (const format of ["text", "markdown"]) {
      const r = await t.cli(["plan", "-c", file, "--against", state, "--format", format]);
      expect(r.stderr).not.toContain("Maximum call stack");
      expect(r.code, r.stderr.slice(0, 500)).toBe(0);
      expect(r.stdout).toContain(format === "text" ? "Plan: 1 to create, 0 to update, 0 to delete, 0 unchanged, 150000 unmanaged left alone." : "| 1 | 0 | 0 | 0 | 150000 |");
      expect(r.stdout).toContain("already conflict");
    }
  }, 60_000);

  it("matches a glob of ten `*` against a long name at once (export --names)", async () => {
    t.em.control.seed([seedRule("SDR_1", "a".repeat(40)), seedRule("SDR_2", `${"a".repeat(39)}b`)]);
    const r = await t.cli(["export", "--names", "*a*a*a*a*a*a*a*a*a*a*b"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${"a".repeat(39)}b`);
    expect(r.stdout).not.toContain(`name: ${"a".repeat(40)}\n`);
  }, 15_000);
});

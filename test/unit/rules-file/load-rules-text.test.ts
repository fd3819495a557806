// The loader end to end on small texts: interpolation, anchors and merges, enum spellings,
// legacy folding, defaults, positions, conflicts, pins kept out of messages, and hostile input.
import { describe, expect, it } from "vitest";
import { normalizeRule } from "../../../src/core/index.js";
import { DEFAULT_LIMITS, FIELD_ORDER } from "../../../src/model/index.js";
import { loadRulesText, type LoadResult } from "../../../src/rules-file/index.js";

const load = (text: string | Uint8Array, env: Record<string, string> = {}) => loadRulesText(text, "r.yaml", { env });
function ok(r: LoadResult) {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.diagnostics, null, 1)}`);
  return r.state;
}
function problems(r: LoadResult) {
  if (r.ok) throw new Error("expected diagnostics");
  return r.diagnostics;
}

describe("loadRulesText", () => {
  it("writes each object's fields in FIELD_ORDER, whatever the file's order: the normaliser takes the spec as it is", () => {
    const text = [
      "version: 1",
      "rules:",
      "  - media: { mediaTimeout: 30s, encryption: allow, codecs: [{ rate: 8000, name: PCMU }], onlyListedCodecs: true }",
      "    krispEnabled: true",
      "    roomConfig: { tags: { b: x }, agents: [{ attributes: { k: v }, deployment: d, restartPolicy: JRP_NEVER, metadata: m, agentName: a }], syncStreams: true, emptyTimeout: 30, name: cfg }",
      "    roomPreset: p",
      "    attributes: { team: a }",
      "    metadata: plain",
      "    hidePhoneNumber: true",
      "    numbers: [\"+15550002\"]",
      "    inboundNumbers: [\"+15550001\"]",
      "    trunkIds: [ST_1]",
      "    callee: { roomPrefix: line-, randomize: true }",
      "    name: everything",
    ].join("\n");
    const spec = ok(loadRulesText(text, "f.yaml", { env: {} })).rules[0]?.spec;
    expect(spec).toBeDefined();
    if (spec === undefined) return;
    expect(Object.keys(spec)).toEqual(FIELD_ORDER.rule.filter((k) => k !== "direct" && k !== "individual"));
    expect(Object.keys(spec.roomConfig ?? {})).toEqual(["name", "emptyTimeout", "syncStreams", "agents", "tags"]);
    expect(Object.keys(spec.roomConfig?.agents?.[0] ?? {})).toEqual(FIELD_ORDER.agent);
    expect(Object.keys(spec.media ?? {})).toEqual(FIELD_ORDER.media);
    expect(Object.keys(spec.media?.codecs?.[0] ?? {})).toEqual(FIELD_ORDER.codec);
    expect(normalizeRule(spec)).toBe(spec);
  });

  it("applies defaults and points each rule at its name key", () => {
    const s = ok(load("version: 1\nrules:\n  - individual: {}\n    name: a\n"));
    expect(s).toMatchObject({ file: "r.yaml", version: 1, prune: true, allowEmpty: false, manage: ["*"], limits: DEFAULT_LIMITS });
    expect(s.rules[0]?.loc).toEqual({ file: "r.yaml", line: 4, column: 5 });
  });

  it("merges partial limits with the defaults", () => {
    expect(ok(load("version: 1\nlimits: { maxDeletes: 9 }\nrules: []\n")).limits).toEqual({ maxDeletes: 9, maxDeletePercent: DEFAULT_LIMITS.maxDeletePercent });
  });

  it("interpolates ${VAR}, ${VAR:-default} and $${ and keeps pins as real values", () => {
    const text = 'version: 1\nrules:\n  - name: a\n    direct: { roomName: "r-${ROOM:-x}-$${LIT}", pin: "${PIN}" }\n';
    const spec = ok(load(text, { PIN: "2468", ROOM: "blue" })).rules[0]?.spec;
    expect(spec?.direct).toEqual({ roomName: "r-blue-${LIT}", pin: "2468" });
    expect(ok(load(text, { PIN: "1" })).rules[0]?.spec.direct?.roomName).toBe("r-x-${LIT}");
  });

  it("interpolates a reference written with escapes only (no `${` in the text), and leaves a text without any alone", () => {
    // The walk is skipped for a text with no `${` and no backslash: these escapes must still interpolate.
    for (const escaped of ["\\x24{ROOM}", "\\u0024{ROOM}", "\\U00000024{ROOM}", "$\\x7bROOM}", "$\\\n      {ROOM}"]) {
      const text = `version: 1\nrules:\n  - name: a\n    direct: { roomName: "r-${escaped}" }\n`;
      expect(text).not.toContain("${");
      expect(ok(load(text, { ROOM: "blue" })).rules[0]?.spec.direct?.roomName).toBe("r-blue");
    }
    expect(ok(load("version: 1\nrules:\n  - name: a\n    direct: { roomName: \"r-{ROOM}\" }\n", { ROOM: "blue" })).rules[0]?.spec.direct?.roomName).toBe("r-{ROOM}");
  });

  it("a reference in a number field: one error when it is unset, and a hint that says why when it is set", () => {
    const text = 'version: 1\nrules:\n  - name: a\n    individual: {}\n    numbers: ["+15550001"]\n    roomConfig: { maxParticipants: "${N}" }\n';
    expect(problems(load(text)).map((d) => [d.code, d.line])).toEqual([["missing-env", 6]]);
    const set = problems(load(text, { N: "5" }));
    expect(set.map((d) => [d.code, d.line])).toEqual([["wrong-type", 6]]);
    expect(set[0]?.hint).toContain("interpolation applies to string values only");
    expect(problems(load(text.replace('"${N}"', '"5"')))[0]?.hint).toBe("write the number without quotes");
  });

  it("reports a missing variable at its line and column, never an empty string", () => {
    const d = problems(load("version: 1\nrules:\n  - name: a\n    individual:\n      pin: abc${NOPE}\n"));
    expect(d).toEqual([expect.objectContaining({ code: "missing-env", line: 5, column: 15, path: "rules[0].individual.pin" })]);
  });

  it("never puts a pin in a message", () => {
    const text = 'version: 1\nrules:\n  - name: a\n    individual: { pin: "${P}" }\n  - name: b\n    callee: { pin: "${P}", randomize: maybe }\n  - name: a\n    direct: { roomName: x, pin: "${P}" }\n';
    const d = problems(load(text, { P: "73915" }));
    expect(d.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(d)).not.toContain("73915");
  });

  it("expands anchors, aliases and merge keys; explicit keys win over merged ones", () => {
    const text = "version: 1\nx-d: &d\n  trunkIds: [ST_1]\n  hidePhoneNumber: true\nrules:\n  - name: a\n    <<: *d\n    hidePhoneNumber: false\n    individual: {}\n  - name: b\n    <<: [*d]\n    trunkIds: [ST_2]\n    callee: {}\n";
    const [a, b] = ok(load(text)).rules;
    // The explicit `false` wins over the merged `true`; false is the default, so the spec leaves it out.
    expect(a?.spec).toMatchObject({ trunkIds: ["ST_1"] });
    expect(a?.spec.hidePhoneNumber).toBeUndefined();
    expect(b?.spec).toMatchObject({ trunkIds: ["ST_2"], hidePhoneNumber: true });
  });

  it("maps enum spellings to the canonical form and folds mediaEncryption into media.encryption", () => {
    const text = "version: 1\nrules:\n  - name: a\n    individual: {}\n    mediaEncryption: 2\n    roomConfig: { agents: [{ restartPolicy: 1 }, { restartPolicy: JRP_ON_FAILURE }] }\n  - name: b\n    callee: {}\n    trunkIds: [ST_9]\n    media: { encryption: SIP_MEDIA_ENCRYPT_ALLOW }\n";
    const [a, b] = ok(load(text)).rules;
    expect(a?.spec.media).toEqual({ encryption: "require" });
    expect(a?.spec.roomConfig?.agents?.map((x) => x.restartPolicy)).toEqual(["JRP_NEVER", "JRP_ON_FAILURE"]);
    expect("mediaEncryption" in (a?.spec ?? {})).toBe(false);
    expect(b?.spec.media).toEqual({ encryption: "allow" });
  });

  it("keeps mapping metadata as JSON and string metadata as a string", () => {
    const [a, b] = ok(load("version: 1\nrules:\n  - name: a\n    individual: {}\n    metadata: { tier: gold, n: [1, 2] }\n  - name: b\n    callee: {}\n    trunkIds: [ST_1]\n    metadata: plain\n")).rules;
    expect(a?.spec.metadata).toEqual({ tier: "gold", n: [1, 2] });
    expect(b?.spec.metadata).toBe("plain");
  });

  it("finds conflicts through the server's number normalisation, naming both rules and lines", () => {
    const text = 'version: 1\nrules:\n  - name: a\n    individual: {}\n    inboundNumbers: ["+1 (555) 000-1111"]\n  - name: b\n    callee: {}\n    inboundNumbers: ["15550001111"]\n';
    const [d] = problems(load(text));
    expect(d).toMatchObject({ code: "rule-conflict", line: 6, path: "rules[1].name", related: [{ line: 3, path: "rules[0].name" }] });
    expect(d?.message).toContain("`a`");
    expect(d?.message).toContain("line 3");
  });

  it("does not call rules with different pins or a listed trunk vs a wildcard conflicting", () => {
    const text = 'version: 1\nrules:\n  - name: a\n    individual: { pin: "1" }\n  - name: b\n    individual: { pin: "2" }\n  - name: c\n    individual: {}\n  - name: d\n    individual: {}\n    trunkIds: [ST_1]\n';
    expect(ok(load(text)).rules).toHaveLength(4);
  });

  it("reports every problem of the file together", () => {
    const d = problems(load("version: 1\nrules:\n  - name: a\n    individual: { roomPrefx: x }\n  - name: a\n    callee: { randomize: 1 }\n    trunkIds: [ST_1]\n"));
    expect(d.map((x) => x.code).sort()).toEqual(["duplicate-name", "unknown-key", "wrong-type"]);
  });

  it("accepts x- extension keys at the top level only", () => {
    expect(load("version: 1\nx-anything: { a: 1 }\nrules: []\n").ok).toBe(true);
    expect(problems(load("version: 1\nrules:\n  - name: a\n    individual: {}\n    x-note: hi\n"))[0]?.code).toBe("unknown-key");
  });

  it.each([
    ["empty text", "", "empty-file", 0],
    ["only comments", "# nothing here\n", "empty-file", 0],
    ["two documents", "version: 1\nrules: []\n---\nversion: 1\n", "multiple-documents", 3],
    ["a control character", "version: 1\nrules: []\n\u0001\n", "control-character", 3],
    ["a non-string key", "version: 1\nrules: []\n[a]: 1\n", "bad-key", 3],
  ])("rejects %s with a positioned diagnostic", (_what, text, code, line) => {
    const d = problems(load(text));
    expect(d[0]).toMatchObject({ code, line });
  });

  it("names each unresolved Git conflict marker at its line instead of a YAML syntax error", () => {
    const text = "version: 1\nrules:\n<<<<<<< HEAD\n  - name: a\n    individual: {}\n=======\n  - name: b\n    individual: {}\n>>>>>>> topic\n";
    const d = problems(load(text));
    expect(d.map((x) => [x.code, x.line, x.column])).toEqual([
      ["merge-conflict", 3, 1],
      ["merge-conflict", 6, 1],
      ["merge-conflict", 9, 1],
    ]);
    expect(d[0]?.hint).toMatch(/resolve the merge conflict/);
    // Seven `=` inside a quoted value is not a marker.
    expect(load("version: 1\nrules:\n  - name: \"=======\"\n    individual: {}\n").ok).toBe(true);
  });

  it("names the line of the first byte that is not UTF-8", () => {
    const bytes = new Uint8Array([...new TextEncoder().encode("version: 1\nrules:\n  - name: "), 0xff, 0x0a]);
    expect(problems(load(bytes))[0]).toMatchObject({ code: "not-utf8", line: 3, column: 11 });
  });

  it("accepts a UTF-8 byte order mark", () => {
    expect(load(new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode("version: 1\nrules: []\n")])).ok).toBe(true);
  });

  it("stops an alias bomb", () => {
    let text = "version: 1\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (let i = 1; i < 8; i++) text += `a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(", ")}]\n`;
    text += "rules: []\n";
    expect(problems(load(text)).map((d) => d.code)).toContain("alias-bomb");
  });

  it("turns deep nesting into a diagnostic, not a RangeError", () => {
    const deep = `version: 1\nrules: []\nx-deep: ${"[".repeat(20000)}${"]".repeat(20000)}\n`;
    expect(problems(load(deep))[0]?.code).toBe("too-deep");
    const medium = `version: 1\nrules: []\nx-deep: ${"[".repeat(100)}${"]".repeat(100)}\n`;
    expect(problems(load(medium))[0]).toMatchObject({ code: "too-deep", line: 3 });
  });

  it("refuses a file over the cap (64 MiB by default, maxFileBytes when given) without parsing it", () => {
    expect(problems(loadRulesText(`version: 1\nrules: []\n#${"x".repeat(64 * 1024 * 1024)}\n`, "r.yaml", { env: {} }))[0]).toMatchObject({ code: "file-too-large", line: 0 });
    const small = problems(loadRulesText(`version: 1\nrules: []\n#${"x".repeat(2000)}\n`, "r.yaml", { env: {}, maxFileBytes: 1024 }))[0];
    expect(small).toMatchObject({ code: "file-too-large", line: 0, message: expect.stringContaining("over the limit of 1024 bytes") });
    expect(small?.hint).toContain("--max-file-size SIZE or DISPATCH_MAX_FILE_SIZE=SIZE (e.g. 4KiB)");
    expect(loadRulesText(`version: 1\nrules: []\n#${"x".repeat(2000)}\n`, "r.yaml", { env: {}, maxFileBytes: 4096 }).ok).toBe(true);
  });

  it("loads a huge string value", () => {
    expect(ok(load(`version: 1\nrules:\n  - name: a\n    individual: {}\n    metadata: "${"m".repeat(200_000)}"\n`)).rules[0]?.spec.metadata).toHaveLength(200_000);
  });

  it("treats __proto__ as a plain key", () => {
    const spec = ok(load('version: 1\nrules:\n  - name: a\n    individual: {}\n    attributes: { __proto__: "x", ok: "y" }\n')).rules[0]?.spec;
    expect(Object.keys(spec?.attributes ?? {})).toEqual(["__proto__", "ok"]);
    expect(Object.getPrototypeOf(spec?.attributes)).toBe(Object.prototype);
  });
});

// Property (fixed seed; FUZZ_RUNS=100000 for a longer run): the loader and the plan renderers
// against hostile input, every class of issue #13 — interpolation forms, non-text keys, rule names
// with invisible characters, prototype keys, CR line ends, tags, documents — and plans whose names,
// values and server text carry control / bidi / zero-width characters and secrets. The loader never
// throws and never yields a value still holding `${` or a re-spelled key; renderers never print an
// unprintable character or a secret.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planChanges } from "../../src/core/index.js";
import { redact } from "../../src/livekit/twirp-error.js";
import type { DesiredState, RemoteRule, RuleSpec } from "../../src/model/index.js";
import { renderPlan } from "../../src/render/index.js";
import { interpolateString } from "../../src/rules-file/interpolate.js";
import { loadRulesText } from "../../src/rules-file/index.js";
import { aDesiredState, desiredRules } from "../support/builders.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = 1313;

/** Unprintable characters a renderer must never emit raw (newline aside: it separates lines). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const RAW_UNPRINTABLE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u2064\u2066-\u2069\ufeff]/;

const HOSTILE_CHARS = ["\u0000", "\u001b", "\u0007", "\r", "\u0085", "\u202e", "\u2066", "\u200b", "\u200d", "\u2028", "\ufeff", "\u00ad"];
const hostileText = fc
  .array(fc.oneof(fc.constantFrom(...HOSTILE_CHARS), fc.constantFrom("a", "b", " ", "-", "é", "😀", "::error::x", "\n", "${X}", "$${", "\\")), { minLength: 1, maxLength: 12 })
  .map((parts) => parts.join(""));

// ---- interpolation -------------------------------------------------------------------------------

const NAMES = ["A", "B", "EMPTY", "UNSET"];
const ENV = { A: "alpha", B: "beta", EMPTY: "" } as const;
const refText: fc.Arbitrary<string> = fc.letrec<{ t: string }>((tie) => ({
  t: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom("x", "-", "$", "$${", "}", "${", ":-", " "),
    fc.constantFrom(...NAMES).map((n) => `\${${n}}`),
    fc.tuple(fc.constantFrom(...NAMES), tie("t")).map(([n, d]) => `\${${n}:-${d}}`),
    fc.tuple(tie("t"), tie("t")).map(([a, b]) => a + b),
  ),
})).t;

describe("interpolation", () => {
  it("never yields `${` except from `$${`, never empties silently, never throws", () => {
    fc.assert(
      fc.property(refText, (text) => {
        const r = interpolateString(text, ENV);
        if (!text.includes("$${")) expect(r.value).not.toContain("${");
        // A bare reference to a set-but-empty variable first in the text is always a problem.
        if (text.startsWith("${EMPTY}")) expect(r.problems.map((p) => p.code)).toContain("empty-env");
        for (const p of r.problems) expect(p.at).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: RUNS * 5, seed: SEED },
    );
  });
});

// ---- the loader ----------------------------------------------------------------------------------

const NON_TEXT_KEYS = ["007", "0x1F", "1e3", ".inf", "-.Inf", ".nan", "yes", "no", "on", "off", "~", "null", "true", "1_000", "0o7"];
const keyText = fc.oneof(fc.constantFrom(...NON_TEXT_KEYS), fc.constantFrom("team", "__proto__", "constructor", "toString", "a b", '"007"', "'yes'"));
const nameText = fc.oneof(fc.constantFrom("ok", "front desk", "   ", "", "x".repeat(257)), hostileText.map((t) => JSON.stringify(t)));
const valueText = fc.oneof(fc.constantFrom("v", '"${A}"', '"${EMPTY}"', '"${UNSET:-${B}}"', '"$${A}"', "!!binary aGk=", "!!str 7", '"${A:-}"'), hostileText.map((t) => JSON.stringify(t)));
const lineEnd = fc.constantFrom("\n", "\r\n", "\r");

const fileText = fc
  .tuple(
    fc.array(fc.tuple(nameText, fc.array(fc.tuple(keyText, valueText), { maxLength: 3 }), valueText, fc.boolean()), { minLength: 1, maxLength: 4 }),
    lineEnd,
    fc.constantFrom("", "---\n", "...\n---\nx: 1\n"),
  )
  .map(([rules, nl, tail]) => {
    const lines = ["version: 1", "rules:"];
    rules.forEach(([name, attrs, pin, flow], i) => {
      lines.push(`  - name: ${name}`, `    individual: { roomPrefix: "r${i}-", pin: ${pin} }`, `    trunkIds: [ST_${i}]`);
      if (attrs.length > 0) {
        if (flow) lines.push(`    attributes: {${attrs.map(([k, v]) => `${k}: ${v}`).join(", ")}}`);
        else lines.push("    attributes:", ...attrs.map(([k, v]) => `      ${k}: ${v}`));
      }
    });
    return lines.join(nl) + nl + tail;
  });

describe("loadRulesText on hostile files", () => {
  it("never throws; errors are positioned and printable; a loaded file holds no `${`, no odd name, no re-spelled key", () => {
    fc.assert(
      fc.property(fileText, (text) => {
        const r = loadRulesText(text, "f.yaml", { env: ENV });
        if (!r.ok) {
          expect(r.diagnostics.length).toBeGreaterThan(0);
          for (const d of r.diagnostics) {
            expect(d.line).toBeGreaterThanOrEqual(0);
            expect(`${d.message} ${d.hint}`).not.toMatch(RAW_UNPRINTABLE);
          }
          return;
        }
        for (const rule of r.state.rules) {
          const name = rule.spec.name;
          expect(name.trim()).not.toBe("");
          expect([...name].length).toBeLessThanOrEqual(256);
          expect(name).not.toMatch(RAW_UNPRINTABLE);
          // Keys as written: the quoted "007" and 'yes' are text; nothing re-spelled (7, 1000, true, null).
          for (const key of Object.keys(rule.spec.attributes ?? {})) expect(["team", "__proto__", "constructor", "toString", "a b", "007", "yes"]).toContain(key);
          const values = JSON.stringify(rule.spec);
          if (!text.includes("$${")) expect(values).not.toContain("${");
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});

// ---- the plan renderers --------------------------------------------------------------------------

const SECRETS = ["4821-pin-Zx", "s3-secret-Qp7", "azure-key-Lm3"];
const hostileSpec = fc.tuple(hostileText, hostileText, fc.boolean(), fc.constantFrom(0, 1, 2)).map(([name, text, flip, secret]): RuleSpec => ({
  name: `r-${name}`,
  individual: { roomPrefix: text, pin: flip ? (SECRETS[0] as string) : "" },
  attributes: { [text]: text },
  roomConfig: { egress: { tracks: { filepath: text, s3: { secret: SECRETS[1 + (secret % 2)] as string, bucket: text } } } } as RuleSpec["roomConfig"],
}));

describe("plan renderers on hostile plans", () => {
  it("print no unprintable character and no secret, in every format", () => {
    fc.assert(
      fc.property(fc.array(hostileSpec, { minLength: 1, maxLength: 3 }), fc.array(hostileSpec, { maxLength: 3 }), (file, server) => {
        const desired: DesiredState = aDesiredState({ rules: desiredRules(file), limits: { maxDeletes: 100, maxDeletePercent: 100 } });
        const remote: RemoteRule[] = server.map((spec, i) => ({ id: `SDR_${i}`, spec: { ...spec, individual: { ...spec.individual, pin: SECRETS[0] as string } } }));
        // Same names on the server too, so that updates (field diffs of secrets) are rendered.
        for (const [i, spec] of file.entries()) remote.push({ id: `SDR_f${i}`, spec: { ...spec, individual: { roomPrefix: "old", pin: "9999-other-pin" } } });
        const plan = planChanges(desired, remote, { updateSupported: true });
        for (const format of ["text", "json", "markdown", "github"] as const) {
          const out = renderPlan(plan, format, { config: "f.yaml", server: "http://127.0.0.1:1", color: false });
          expect(out, format).not.toMatch(RAW_UNPRINTABLE);
          for (const s of [...SECRETS, "9999-other-pin"]) expect(out, format).not.toContain(s);
        }
        expect(plan.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});

// ---- server text ---------------------------------------------------------------------------------

describe("server text (redact)", () => {
  it("never shows a secret or any part of a token, nor an unprintable character, and stays bounded", () => {
    const part = fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEF0123456789-_"), minLength: 8, maxLength: 40 });
    fc.assert(
      fc.property(fc.tuple(part, part, part), fc.array(fc.oneof(hostileText, fc.constantFrom("0", "1", "2", "3")), { maxLength: 8 }), fc.nat(3000), ([h, p, sig], noise, pad) => {
        const token = `${h}.${p}.${sig}`;
        const pieces = noise.map((n) => (n === "0" ? h : n === "1" ? p : n === "2" ? sig : n === "3" ? token : n));
        const text = `${pieces.join(" ")}${"z".repeat(pad)}`;
        const out = redact(text, ["api-Secr3t-value", token]);
        for (const piece of [h, p, sig]) expect(out).not.toContain(piece);
        expect(out).not.toMatch(RAW_UNPRINTABLE);
        // 500 characters at most, each escaped to at most 8 (`\u{202e}`), plus the count of the rest.
        expect(out.length).toBeLessThanOrEqual(500 * 8 + 40);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});

// ---- the loader never throws ---------------------------------------------------------------------

describe("loadRulesText never throws", () => {
  it("turns an unexpected failure (here: an environment that throws) into a diagnostic", () => {
    const env = new Proxy({}, { get: () => { throw new RangeError("Maximum call stack size exceeded"); } });
    const r = loadRulesText('version: 1\nrules:\n  - name: a\n    individual: { pin: "${PIN}" }\n', "f.yaml", { env });
    expect(r).toMatchObject({ ok: false, diagnostics: [{ code: "load-failed", file: "f.yaml" }] });
  });
});

// toRuleSpec copies each field by name, or keeps a roomConfig already in field order
// (to-desired-rules.ts): these tests hold the result to FIELD_ORDER, the normaliser's order, with
// a reference copy driven by FIELD_ORDER's own lists. A field missed, misspelt, out of order or
// copied when absent fails them.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import "../../support/fast-check-seed.js";
import { FIELD_ORDER } from "../../../src/model/index.js";
import { canonicalEncryption, canonicalRestartPolicy, toRuleSpec } from "../../../src/rules-file/to-desired-rules.js";
import type { SourceIndex } from "../../../src/rules-file/positions.js";
import { loadRulesText } from "../../../src/rules-file/index.js";
import { normalizeRule } from "../../../src/core/index.js";

type Loose = Record<string, unknown>;

/** The reference: every key of `keys` that `src` holds, in that order, mapped. */
function pick(src: Loose, keys: readonly string[], map: (k: string, v: unknown) => unknown = (_k, v) => v): Loose {
  const out: Loose = {};
  for (const k of keys) if (src[k] !== undefined) out[k] = map(k, src[k]);
  return out;
}

function reference(raw: Loose): Loose {
  const plain = FIELD_ORDER.rule.slice(0, FIELD_ORDER.rule.indexOf("roomConfig"));
  // A top-level false is the default, dropped at load (to-desired-rules.ts).
  const spec = pick(raw, plain.filter((k) => !(k === "hidePhoneNumber" && raw[k] === false)));
  const agent = (a: Loose) => pick(a, FIELD_ORDER.agent, (k, v) => (k === "restartPolicy" ? canonicalRestartPolicy(v) : v));
  if (raw.roomConfig !== undefined) spec.roomConfig = pick(raw.roomConfig as Loose, FIELD_ORDER.roomConfig, (k, v) => (k === "agents" ? (v as Loose[]).map(agent) : v));
  if (raw.krispEnabled !== undefined && raw.krispEnabled !== false) spec.krispEnabled = raw.krispEnabled;
  const legacy = canonicalEncryption(raw.mediaEncryption);
  const codec = (c: Loose) => pick(c, FIELD_ORDER.codec);
  let media = raw.media === undefined ? undefined : pick(raw.media as Loose, FIELD_ORDER.media, (k, v) => (k === "codecs" ? (v as Loose[]).map(codec) : k === "encryption" ? canonicalEncryption(v) : v));
  if (legacy !== undefined && media?.encryption === undefined) media = { ...media, encryption: legacy };
  if (media !== undefined) spec.media = media;
  return spec;
}

/** A mapping holding any subset of `keys` (plus one unknown key), in a shuffled order. Lists and mappings a schema-valid rule holds are added by the callers. */
function someOf(keys: readonly string[], value: fc.Arbitrary<unknown>): fc.Arbitrary<Loose> {
  return fc
    .tuple(fc.subarray([...keys, "unknownKey"]), fc.array(value, { minLength: keys.length + 1, maxLength: keys.length + 1 }), fc.integer())
    .map(([present, values, seed]) => {
      const order = [...present].sort((a, b) => ((a.length * 31 + seed) % 7) - ((b.length * 31 + seed) % 7));
      const out: Loose = {};
      order.forEach((k, i) => (out[k] = values[i]));
      return out;
    });
}

const scalar = fc.oneof(fc.string({ maxLength: 4 }), fc.integer({ min: 0, max: 3 }), fc.boolean(), fc.constantFrom("allow", "SIP_MEDIA_ENCRYPT_REQUIRE", "JRP_NEVER"));
const agent = someOf(FIELD_ORDER.agent, scalar);
const codec = someOf(FIELD_ORDER.codec, scalar);
const roomConfig = fc.tuple(someOf(FIELD_ORDER.roomConfig.filter((k) => k !== "agents"), scalar), fc.option(fc.array(agent, { maxLength: 3 }), { nil: undefined })).map(([rc, agents]) => (agents === undefined ? rc : { ...rc, agents }));
const media = fc.tuple(someOf(FIELD_ORDER.media.filter((k) => k !== "codecs"), scalar), fc.option(fc.array(codec, { maxLength: 3 }), { nil: undefined })).map(([m, codecs]) => (codecs === undefined ? m : { ...m, codecs }));
const rule = fc
  .tuple(someOf([...FIELD_ORDER.rule.filter((k) => k !== "roomConfig" && k !== "media"), "mediaEncryption"], scalar), fc.option(roomConfig, { nil: undefined }), fc.option(media, { nil: undefined }))
  .map(([r, rc, m]) => ({ ...r, ...(rc === undefined ? {} : { roomConfig: rc }), ...(m === undefined ? {} : { media: m }) }));

const NO_INDEX: SourceIndex = { file: "r.yaml", text: "", nodes: new Map(), locate: () => ({ line: 0, column: 0 }) };

describe("toRuleSpec", () => {
  it("copies the fields present, in FIELD_ORDER, converting enums (any subset, any file order)", () => {
    fc.assert(
      fc.property(rule, (raw) => {
        const spec = toRuleSpec(raw, 0, NO_INDEX).spec as unknown as Loose;
        const want = reference(raw);
        // Key order too: JSON text compares it, toEqual does not.
        expect(JSON.stringify(spec)).toBe(JSON.stringify(want));
        expect(spec).toEqual(want);
      }),
      { numRuns: 500 },
    );
  });

  it("copies every field of a rule that has them all", () => {
    const full = (keys: readonly string[]) => Object.fromEntries(keys.map((k) => [k, `${k}-value`]));
    const raw = { ...full(FIELD_ORDER.rule), roomConfig: { ...full(FIELD_ORDER.roomConfig), agents: [full(FIELD_ORDER.agent)] }, media: { ...full(FIELD_ORDER.media), codecs: [full(FIELD_ORDER.codec)] } };
    const spec = toRuleSpec(raw, 0, NO_INDEX).spec as unknown as Loose;
    expect(Object.keys(spec)).toEqual([...FIELD_ORDER.rule]);
    expect(Object.keys(spec.roomConfig as Loose)).toEqual([...FIELD_ORDER.roomConfig]);
    expect(Object.keys((spec.roomConfig as { agents: Loose[] }).agents[0] as Loose)).toEqual([...FIELD_ORDER.agent]);
    expect(Object.keys(spec.media as Loose)).toEqual([...FIELD_ORDER.media]);
    expect(Object.keys((spec.media as { codecs: Loose[] }).codecs[0] as Loose)).toEqual([...FIELD_ORDER.codec]);
  });

  it("uses a roomConfig written in field order as it is, and copies any other", () => {
    const inOrder = { name: "r", metadata: "m", agents: [{ agentName: "a", metadata: "x", restartPolicy: "JRP_NEVER" }] };
    expect(toRuleSpec({ name: "a", roomConfig: inOrder }, 0, NO_INDEX).spec.roomConfig).toBe(inOrder);
    const copied: readonly Loose[] = [
      { metadata: "m", name: "r" },
      { name: "r", unknownKey: 1 },
      { agents: [{ metadata: "x", agentName: "a" }] },
      { agents: [{ agentName: "a", restartPolicy: 1 }] },
      { name: "r", metadata: undefined },
    ];
    for (const rc of copied) {
      const spec = toRuleSpec({ name: "a", roomConfig: rc }, 0, NO_INDEX).spec as unknown as Loose;
      expect(spec.roomConfig).not.toBe(rc);
      expect(JSON.stringify(spec)).toBe(JSON.stringify(reference({ name: "a", roomConfig: rc })));
    }
  });

  it("leaves out a false the anchor merges in: the rule is in the normaliser's form as loaded", () => {
    const text = "version: 1\nx-defaults: &defaults\n  hidePhoneNumber: false\n  krispEnabled: false\nrules:\n  - name: a\n    <<: *defaults\n    individual:\n      roomPrefix: call-\n    trunkIds: [ST_1]\n";
    const r = loadRulesText(text, "r.yaml", { env: {} });
    if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
    const spec = r.state.rules[0]?.spec;
    expect(spec).toEqual({ name: "a", individual: { roomPrefix: "call-" }, trunkIds: ["ST_1"] });
    // The same object: the plan does not copy it.
    expect(spec && normalizeRule(spec)).toBe(spec);
  });
});

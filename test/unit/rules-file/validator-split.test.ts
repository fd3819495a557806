// The rules file's schema is checked by two validators (src/rules-file/validator.ts): the core one,
// without the egress definitions, answers for every value without `rules[i].roomConfig.egress`;
// the full one otherwise (check-schema.ts needsFullValidator picks). These tests hold the pick to
// the full schema's answer, for values with `egress` keys anywhere.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { needsFullValidator } from "../../../src/rules-file/check-schema.js";
import { loadRulesText } from "../../../src/rules-file/index.js";
import { FULL_ONLY_KEY, getCoreValidator, getFullValidator, type SchemaError } from "../../../src/rules-file/validator.js";

/** An error as check-schema reads it; at the root the two schemas differ in $defs only, so only the root's properties are compared. */
function comparable(e: SchemaError): unknown {
  const parent = e.instancePath === "" ? (e.parentSchema as { properties?: unknown } | undefined)?.properties : e.parentSchema;
  return { ...e, parentSchema: parent };
}

function answers(validate: ReturnType<typeof getCoreValidator>, value: unknown) {
  const ok = validate(value);
  return { ok, errors: (validate.errors ?? []).map(comparable) };
}

// Keys of the format (and near misses), so that generated values reach deep into the schema.
const KEYS = [
  "version", "rules", "prune", "manage", "limits", "maxDeletes", "environments", "url", "vars", "name", "direct", "individual",
  "callee", "roomName", "roomPrefix", "pin", "randomize", "noRandomness", "trunkIds", "trunks", "numbers", "inboundNumbers",
  "metadata", "attributes", "roomConfig", "agents", "agentName", "restartPolicy", "media", "encryption", "codecs", "mime",
  "krispEnabled", "hidePhoneNumber", "mediaEncryption", "emptyTimeout", "maxParticipants", "minPlayoutDelay", "syncStreams",
  "roomPreset", "x-defaults", "roomname", "egress", "Egress", "egres", "room", "participant", "tracks", "roomName", "__proto__", "constructor",
];
const scalar = fc.oneof(fc.constantFrom(1, 0, -1, 2.5, true, false, null, "", "x", "allow", "JRP_NEVER", "SIP_MEDIA_ENCRYPT_ALLOW", 4294967296), fc.string({ maxLength: 6 }));
const tree = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(tie("node"), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie("node"), { maxKeys: 5 }),
  ),
})).node;
const rulesFile = fc.record(
  { version: fc.constantFrom(1, 2, "1"), rules: fc.array(fc.dictionary(fc.constantFrom(...KEYS), tree, { maxKeys: 7 }), { maxLength: 4 }), limits: tree, environments: tree, manage: tree },
  { requiredKeys: [] },
);

describe("the core and the full schema validators", () => {
  it(`the one picked gives the full schema's answer and errors for any value (\`${FULL_ONLY_KEY}\` keys anywhere)`, () => {
    let core = 0;
    fc.assert(
      fc.property(rulesFile, (value) => {
        const picked = needsFullValidator(value) ? getFullValidator() : getCoreValidator();
        if (picked === getCoreValidator()) core += 1;
        expect(answers(picked, value)).toEqual(answers(getFullValidator(), value));
      }),
      { numRuns: 2000 },
    );
    // The property says something about the core validator only if it was picked.
    expect(core).toBeGreaterThan(1000);
  });

  it("a value with egress keys elsewhere than under roomConfig is answered by the core one, alike", () => {
    const value = { version: 1, egress: {}, rules: [{ name: "a", individual: { egress: 1 }, egress: { room: 5 }, roomConfig: { agents: [{ egress: 1 }] } }] };
    expect(needsFullValidator(value)).toBe(false);
    expect(answers(getCoreValidator(), value)).toEqual(answers(getFullValidator(), value));
    expect(getFullValidator()(value)).toBe(false);
  });

  it("the core one does not check egress: the loader takes the full one for a file that has it", () => {
    const value = { version: 1, rules: [{ name: "rec", individual: {}, roomConfig: { egress: { room: { roomName: 5 } } } }] };
    expect(getCoreValidator()(value)).toBe(true);
    expect(getFullValidator()(value)).toBe(false);
    const text = ["version: 1", "rules:", "  - name: rec", "    individual: {}", "    roomConfig:", "      egress:", "        room: { roomName: 5 }"].join("\n");
    const r = loadRulesText(text, "r.yaml", { env: {} });
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : r.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`)).toEqual([expect.stringMatching(/^7:27 .*roomName.* must be a string/)]);
  });

  it("an egress key reached through a merge key or an alias counts too", () => {
    const text = [
      "version: 1",
      "x-rec: &rec",
      "  egress: { room: { roomName: 5 } }",
      "rules:",
      "  - name: rec",
      "    individual: {}",
      "    roomConfig:",
      "      <<: *rec",
    ].join("\n");
    const r = loadRulesText(text, "r.yaml", { env: {} });
    expect(r.ok).toBe(false);
  });
});

describe("needsFullValidator", () => {
  it("is true for rules[i].roomConfig.egress as an own key only", () => {
    expect(needsFullValidator({ rules: [{}, { roomConfig: { egress: {} } }] })).toBe(true);
    expect(needsFullValidator({ rules: [{ roomConfig: { egress: null } }] })).toBe(true);
    expect(needsFullValidator({ rules: [{ roomConfig: Object.create({ egress: 1 }) as object }] })).toBe(false);
    expect(needsFullValidator({ rules: [{ roomConfig: { agents: [] }, metadata: "egress" }] })).toBe(false);
    expect(needsFullValidator({ rules: { roomConfig: { egress: {} } } })).toBe(false);
    expect(needsFullValidator(null)).toBe(false);
    expect(needsFullValidator(JSON.parse('{"rules": [{"roomConfig": {"__proto__": {}, "egress": 1}}]}') as unknown)).toBe(true);
  });
});

// Unit tests for the normaliser and the field diff (pure).
import { describe, expect, test } from "vitest";
import { diffFields, normalizeRule, rulesEqual } from "../../../src/core/index.js";
import type { RuleSpec } from "../../../src/model/index.js";
import { aRuleSpec, withServerDefaults } from "../../support/builders.js";

function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

describe("normalizeRule", () => {
  test("reduces the server's default-filled form (livekit-sip-api.md §3.1) to the sparse file form", () => {
    const sparse = aRuleSpec({ name: "main-line", trunkIds: ["ST_abc123def456"], individual: { roomPrefix: "call-" }, roomConfig: { agents: [{ agentName: "inbound-agent" }] } });
    const server = {
      name: "main-line",
      individual: { roomPrefix: "call-", pin: "", noRandomness: false },
      trunkIds: ["ST_abc123def456"], hidePhoneNumber: false, inboundNumbers: [], numbers: [], metadata: "", attributes: {}, roomPreset: "",
      roomConfig: { name: "", emptyTimeout: 0, departureTimeout: 0, maxParticipants: 0, metadata: "", egress: null, minPlayoutDelay: 0, maxPlayoutDelay: 0, syncStreams: false,
        agents: [{ agentName: "inbound-agent", metadata: "", restartPolicy: "JRP_ON_FAILURE", deployment: "", attributes: {} }], tags: {} },
      media: { onlyListedCodecs: false, codecs: [] }, krispEnabled: false, mediaEncryption: "SIP_MEDIA_ENCRYPT_DISABLE", createdAt: null, updatedAt: null,
    } as unknown as RuleSpec;
    expect(normalizeRule(server)).toEqual(normalizeRule(sparse));
    expect(normalizeRule(server)).toEqual({ name: "main-line", individual: { roomPrefix: "call-" }, trunkIds: ["ST_abc123def456"], roomConfig: { agents: [{ agentName: "inbound-agent" }] } });
  });

  test("enum numbers equal names; disable and JRP_ON_FAILURE equal unset", () => {
    const byNumber = { name: "r", direct: {}, media: { encryption: 1 }, roomConfig: { agents: [{ agentName: "a", restartPolicy: 1 }] } } as unknown as RuleSpec;
    expect(normalizeRule(byNumber)).toEqual({ name: "r", direct: {}, media: { encryption: "allow" }, roomConfig: { agents: [{ agentName: "a", restartPolicy: "JRP_NEVER" }] } });
    expect(rulesEqual({ name: "r", direct: {}, media: { encryption: "disable" } }, { name: "r", direct: {} })).toBe(true);
    expect(rulesEqual({ name: "r", direct: {}, media: { encryption: "require" } }, { name: "r", direct: {}, media: { encryption: 2 } } as unknown as RuleSpec)).toBe(true);
  });

  test("the legacy mediaEncryption folds into media.encryption unless that is set; media null equals {}", () => {
    const legacy = { name: "r", direct: {}, media: null, mediaEncryption: "SIP_MEDIA_ENCRYPT_REQUIRE" } as unknown as RuleSpec;
    expect(normalizeRule(legacy).media).toEqual({ encryption: "require" });
    const both = { name: "r", direct: {}, media: { encryption: "allow" }, mediaEncryption: "SIP_MEDIA_ENCRYPT_REQUIRE" } as unknown as RuleSpec;
    expect(normalizeRule(both).media).toEqual({ encryption: "allow" });
    expect(normalizeRule({ name: "r", direct: {}, media: null } as unknown as RuleSpec)).toEqual({ name: "r", direct: {} });
  });

  test("durations compare by value; an explicit 0s is kept (it overrides the trunk's timeout), absent inherits", () => {
    expect(rulesEqual({ name: "r", direct: {}, media: { mediaTimeout: "30s" } }, { name: "r", direct: {}, media: { mediaTimeout: "30.000s" } })).toBe(true);
    expect(normalizeRule({ name: "r", direct: {}, media: { mediaTimeout: "0.000s" } }).media).toEqual({ mediaTimeout: "0s" });
    expect(rulesEqual({ name: "r", direct: {}, media: { mediaTimeout: "0s" } }, { name: "r", direct: {} })).toBe(false);
    expect(normalizeRule({ name: "r", direct: {}, media: {} }).media).toBeUndefined();
    expect(normalizeRule({ name: "r", direct: {}, media: { mediaTimeout: "1.500s" } }).media).toEqual({ mediaTimeout: "1.5s" });
  });

  test("trunkIds, inboundNumbers and numbers are sorted, de-duplicated sets", () => {
    const n = normalizeRule(aRuleSpec({ trunkIds: ["ST_b", "ST_a", "ST_b"], inboundNumbers: ["+2", "+1"], numbers: [] }));
    expect(n.trunkIds).toEqual(["ST_a", "ST_b"]);
    expect(n.inboundNumbers).toEqual(["+1", "+2"]);
    expect(n).not.toHaveProperty("numbers");
  });

  test("an empty variant object is kept: the rule kind matters", () => {
    expect(normalizeRule({ name: "r", callee: { roomPrefix: "", randomize: false } })).toEqual({ name: "r", callee: {} });
    expect(rulesEqual({ name: "r", callee: {} }, { name: "r", individual: {} })).toBe(false);
  });

  test("agents and codecs keep positions; empty maps and values inside are dropped", () => {
    const n = normalizeRule(aRuleSpec({ roomConfig: { agents: [{ agentName: "" }, { agentName: "b", attributes: { k: "" } }] }, media: { codecs: [{ name: "PCMU", rate: 0 }] } }));
    expect(n.roomConfig).toEqual({ agents: [{}, { agentName: "b" }] });
    expect(n.media).toEqual({ codecs: [{ name: "PCMU" }] });
  });

  test("metadata: a string stays a string, a mapping equals a JSON string with other spacing and key order", () => {
    expect(normalizeRule(aRuleSpec({ metadata: '{"a":1}' })).metadata).toBe('{"a":1}');
    expect(rulesEqual(aRuleSpec({ metadata: { b: [1, 2], a: "x" } }), aRuleSpec({ metadata: '{ "a": "x",\n "b": [1, 2] }' }))).toBe(true);
    expect(rulesEqual(aRuleSpec({ metadata: { a: "x" } }), aRuleSpec({ metadata: '{"a":"y"}' }))).toBe(false);
    expect(rulesEqual(aRuleSpec({ metadata: '{"a":1}' }), aRuleSpec({ metadata: '{"a": 1}' }))).toBe(false);
    expect(rulesEqual(aRuleSpec({ metadata: [] }), aRuleSpec({ metadata: "[]" }))).toBe(true);
  });

  test("metadata {} and [] (mapping, sequence or their JSON text) equal absent", () => {
    for (const m of [{}, [], "{}", "[ ]", " {\n} "] as const) {
      expect(normalizeRule(aRuleSpec({ metadata: m })).metadata, JSON.stringify(m)).toBeUndefined();
      expect(rulesEqual(aRuleSpec({ metadata: m }), aRuleSpec({})), JSON.stringify(m)).toBe(true);
    }
    expect(rulesEqual(aRuleSpec({ metadata: {} }), aRuleSpec({ metadata: "x" }))).toBe(false);
  });

  test("egress defaults (snake_case keys, zero enum names, nulls) reduce; chosen oneof members stay", () => {
    const desired = aRuleSpec({ roomConfig: { egress: { tracks: { filepath: "x/{track_id}", s3: { bucket: "b" } } } } });
    const server = aRuleSpec({
      roomConfig: {
        egress: {
          room: null, participant: null,
          tracks: { filepath: "x/{track_id}", disable_manifest: false, s3: { access_key: "", bucket: "b", force_path_style: false, metadata: {}, proxy: null } },
        } as never,
      },
    });
    expect(rulesEqual(desired, server)).toBe(true);
    const withFile = aRuleSpec({ roomConfig: { egress: { room: { fileOutputs: [{ fileType: "DEFAULT_FILETYPE", filepath: "f", s3: {} }], audioMixing: 0 } } } as never });
    expect(normalizeRule(withFile).roomConfig).toEqual({ egress: { room: { fileOutputs: [{ filepath: "f", s3: {} }] } } });
  });

  test("is idempotent and never mutates its input", () => {
    const input = deepFreeze(withServerDefaults(aRuleSpec({ metadata: { z: 1, a: 2 }, attributes: { b: "1", a: "" }, media: { mediaTimeout: "30s", encryption: "allow" } })));
    const once = normalizeRule(input);
    expect(normalizeRule(once)).toEqual(once);
    expect(JSON.stringify(Object.keys(normalizeRule(once)))).toBe(JSON.stringify(Object.keys(once)));
  });
});

describe("normalizeRule shares what is already canonical", () => {
  test("a rule canonical but for a zero value: a new top-level object, its canonical parts kept", () => {
    const spec = {
      name: "line-1",
      individual: { roomPrefix: "call-" },
      trunkIds: ["ST_a"],
      numbers: ["+15550000001"],
      hidePhoneNumber: false,
      metadata: '{"tier":"gold"}',
      attributes: { team: "t" },
      roomConfig: { agents: [{ agentName: "a", metadata: "hi" }] },
      krispEnabled: true,
    } as unknown as RuleSpec;
    const normal = normalizeRule(spec) as unknown as Record<string, unknown>;
    expect(normal).not.toBe(spec);
    expect(Object.keys(normal)).toEqual(["name", "individual", "trunkIds", "numbers", "metadata", "attributes", "roomConfig", "krispEnabled"]);
    const src = spec as unknown as Record<string, unknown>;
    for (const key of ["individual", "trunkIds", "numbers", "attributes", "roomConfig"]) expect(normal[key], key).toBe(src[key]);
    // The input is left as it was.
    expect(src.hidePhoneNumber).toBe(false);
  });

  test("a part that is not canonical is rebuilt; legacy mediaEncryption still folds into a canonical media", () => {
    const spec = { name: "a", trunkIds: ["b", "a"], attributes: { team: "t" }, media: { onlyListedCodecs: true }, mediaEncryption: "SIP_MEDIA_ENCRYPT_REQUIRE" } as unknown as RuleSpec;
    const normal = normalizeRule(spec) as unknown as Record<string, unknown>;
    const src = spec as unknown as Record<string, unknown>;
    expect(normal.trunkIds).toEqual(["a", "b"]);
    expect(normal.trunkIds).not.toBe(src.trunkIds);
    expect(normal.attributes).toBe(src.attributes);
    expect(normal.media).toEqual({ onlyListedCodecs: true, encryption: "require" });
  });
});

describe("diffFields", () => {
  test("reports nested paths with before and after", () => {
    const fields = diffFields(aRuleSpec({ roomConfig: { agents: [{ agentName: "a" }] } }), aRuleSpec({ roomConfig: { agents: [{ agentName: "b" }] } }));
    expect(fields).toEqual([{ path: "roomConfig.agents[0].agentName", before: "a", after: "b" }]);
  });

  test("sets change as a whole; added and removed keys are unset on one side", () => {
    const fields = diffFields(aRuleSpec({ trunkIds: ["ST_1"], attributes: { "team.x": "a" } }), aRuleSpec({ trunkIds: ["ST_2", "ST_1"], hidePhoneNumber: true }));
    expect(fields).toEqual([
      { path: "trunkIds", before: ["ST_1"], after: ["ST_1", "ST_2"] },
      { path: "hidePhoneNumber", after: true },
      { path: "attributes", before: { "team.x": "a" } },
    ]);
    expect(diffFields(aRuleSpec({ attributes: { "team.x": "a" } }), aRuleSpec({ attributes: { "team.x": "b" } }))).toEqual([
      { path: 'attributes["team.x"]', before: "a", after: "b" },
    ]);
  });

  test("a pin change is flagged sensitive and never carries the pin", () => {
    const fields = diffFields(aRuleSpec({ individual: { pin: "4821" } }), aRuleSpec({ individual: { pin: "7733" } }));
    expect(fields).toEqual([{ path: "individual.pin", before: "(sensitive)", after: "(sensitive)", sensitive: true }]);
    const kind = diffFields(aRuleSpec({ direct: { roomName: "r", pin: "4821" } }), aRuleSpec({ individual: { pin: "7733" } }));
    expect(JSON.stringify(kind)).not.toMatch(/4821|7733/);
    expect(kind.map((f) => f.path)).toEqual(["individual", "direct"]);
    expect(kind.every((f) => f.sensitive)).toBe(true);
  });

  test("equal rules have no fields", () => {
    expect(diffFields(aRuleSpec(), withServerDefaults(aRuleSpec()))).toEqual([]);
  });
});

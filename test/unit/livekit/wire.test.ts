// Tests the wire mapping: decoding server JSON (snake or camel, nulls, defaults, legacy fields,
// map keys as user data, egress), encoding requests (defaults omitted), and the state file.
import { describe, expect, it } from "vitest";
import { ApiError, AppError, type RemoteRule, type RuleSpec } from "../../../src/model/index.js";
import { decodeRuleInfo, decodeServerState, encodeRuleInfo, encodeServerState } from "../../../src/livekit/index.js";
import { encodeLegacyCreate } from "../../../src/livekit/wire.js";
import { normalizeRule } from "../../../src/core/index.js";

/** A fully populated rule exactly as the open-source server emits it (livekit-sip-api.md §3.1). */
const GO_RULE = {
  sip_dispatch_rule_id: "SDR_abcdefghijkl",
  rule: { dispatch_rule_callee: { room_prefix: "num-", pin: "1234", randomize: true } },
  trunk_ids: ["ST_1", "ST_2"],
  hide_phone_number: true,
  inbound_numbers: ["+15550001"],
  numbers: ["+15550002"],
  name: "support",
  metadata: '{"tier":"gold"}',
  attributes: { team_name: "support", "sip.x": "y" },
  room_preset: "preset-a",
  room_config: {
    name: "room",
    empty_timeout: 30,
    departure_timeout: 20,
    max_participants: 5,
    metadata: "rm",
    egress: {
      room: null,
      participant: null,
      tracks: {
        filepath: "{track_id}",
        disable_manifest: false,
        s3: { access_key: "", secret: "", bucket: "b", force_path_style: false, metadata: { my_key: "v", "Other-Key": "w" }, proxy: null },
      },
    },
    min_playout_delay: 100,
    max_playout_delay: 200,
    sync_streams: true,
    agents: [{ agent_name: "agent", metadata: "m", restart_policy: "JRP_NEVER", deployment: "prod", attributes: { some_attr: "1" } }],
    tags: { cost_center: "42" },
  },
  media: { only_listed_codecs: true, codecs: [{ name: "PCMU", rate: 8000 }], encryption: "SIP_MEDIA_ENCRYPT_REQUIRE", media_timeout: "30s" },
  krisp_enabled: true,
  media_encryption: "SIP_MEDIA_ENCRYPT_REQUIRE",
  created_at: null,
  updated_at: "2026-03-12T22:10:27Z",
};

const GO_SPEC: RuleSpec = {
  name: "support",
  callee: { roomPrefix: "num-", pin: "1234", randomize: true },
  trunkIds: ["ST_1", "ST_2"],
  inboundNumbers: ["+15550001"],
  numbers: ["+15550002"],
  hidePhoneNumber: true,
  metadata: '{"tier":"gold"}',
  attributes: { team_name: "support", "sip.x": "y" },
  roomPreset: "preset-a",
  roomConfig: {
    name: "room",
    emptyTimeout: 30,
    departureTimeout: 20,
    maxParticipants: 5,
    metadata: "rm",
    egress: { tracks: { filepath: "{track_id}", s3: { bucket: "b", metadata: { my_key: "v", "Other-Key": "w" } } } },
    minPlayoutDelay: 100,
    maxPlayoutDelay: 200,
    syncStreams: true,
    agents: [{ agentName: "agent", metadata: "m", restartPolicy: "JRP_NEVER", deployment: "prod", attributes: { some_attr: "1" } }],
    tags: { cost_center: "42" },
  },
  krispEnabled: true,
  media: { onlyListedCodecs: true, codecs: [{ name: "PCMU", rate: 8000 }], encryption: "require", mediaTimeout: "30s" },
};

function apiErrorOf(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error("expected a throw");
}

describe("decodeRuleInfo", () => {
  it("decodes every field of a server rule; map keys keep their spelling", () => {
    expect(decodeRuleInfo(GO_RULE)).toEqual({ id: "SDR_abcdefghijkl", spec: GO_SPEC });
  });

  it("reads camelCase the same way", () => {
    const camel = {
      sipDispatchRuleId: "SDR_x",
      rule: { dispatchRuleDirect: { roomName: "r", pin: "9" } },
      trunkIds: ["ST_1"],
      roomConfig: { emptyTimeout: 3, agents: [{ agentName: "a", restartPolicy: 1 }] },
      media: { onlyListedCodecs: true, mediaTimeout: "1s", encryption: 1 },
      krispEnabled: true,
      name: "n",
    };
    expect(decodeRuleInfo(camel)).toEqual({
      id: "SDR_x",
      spec: {
        name: "n",
        direct: { roomName: "r", pin: "9" },
        trunkIds: ["ST_1"],
        roomConfig: { emptyTimeout: 3, agents: [{ agentName: "a", restartPolicy: "JRP_NEVER" }] },
        krispEnabled: true,
        media: { onlyListedCodecs: true, mediaTimeout: "1s", encryption: "allow" },
      },
    });
  });

  it("folds the legacy media_encryption into media.encryption only when it is unset and not DISABLE (§2.7)", () => {
    const base = { sip_dispatch_rule_id: "SDR_x", name: "n", rule: { dispatch_rule_direct: { room_name: "r" } } };
    expect(decodeRuleInfo({ ...base, media: null, media_encryption: "SIP_MEDIA_ENCRYPT_ALLOW" }).spec.media).toEqual({ encryption: "allow" });
    expect(decodeRuleInfo({ ...base, media: { codecs: [] }, media_encryption: 2 }).spec.media).toEqual({ codecs: [], encryption: "require" });
    expect(decodeRuleInfo({ ...base, media: { encryption: "SIP_MEDIA_ENCRYPT_ALLOW" }, media_encryption: "SIP_MEDIA_ENCRYPT_REQUIRE" }).spec.media).toEqual({ encryption: "allow" });
    expect(decodeRuleInfo({ ...base, media_encryption: "SIP_MEDIA_ENCRYPT_DISABLE" }).spec.media).toBeUndefined();
  });

  it("reads egress canonically: defaults and zero enums dropped, keys camelCased, aliOSS and S3 metadata keys kept", () => {
    const rule = {
      sip_dispatch_rule_id: "SDR_x",
      rule: { dispatch_rule_individual: {} },
      room_config: {
        egress: {
          room: {
            room_name: "",
            audio_mixing: "DEFAULT_MIXING",
            preset: "H264_720P_30",
            file_outputs: [{ file_type: "DEFAULT_FILETYPE", filepath: "f.mp4", aliOSS: { bucket: "b" } }],
            segment_outputs: [{ protocol: "HLS_PROTOCOL", filename_suffix: "INDEX", s3: { metadata: { a_b: "c" } } }],
          },
        },
      },
    };
    expect(decodeRuleInfo(rule).spec.roomConfig?.egress).toEqual({
      room: {
        preset: "H264_720P_30",
        fileOutputs: [{ filepath: "f.mp4", aliOSS: { bucket: "b" } }],
        segmentOutputs: [{ protocol: "HLS_PROTOCOL", s3: { metadata: { a_b: "c" } } }],
      },
    });
  });

  it("drops the zero values a server emits for unset fields: a listed rule decodes to core's canonical form", () => {
    // As livekit-server (protojson with EmitUnpopulated) lists a rule made with three fields.
    const listed = {
      sip_dispatch_rule_id: "SDR_x",
      rule: { dispatch_rule_callee: { room_prefix: "line-", pin: "", randomize: true } },
      trunk_ids: ["ST_1"],
      hide_phone_number: false,
      inbound_numbers: [],
      numbers: ["+15550002"],
      name: "n",
      metadata: "",
      attributes: {},
      room_preset: "",
      room_config: { name: "", empty_timeout: 0, agents: [{ agent_name: "", restart_policy: "JRP_ON_FAILURE" }, { agent_name: "a" }], tags: {} },
      media: null,
      krisp_enabled: false,
      media_encryption: "SIP_MEDIA_ENCRYPT_DISABLE",
      created_at: null,
      updated_at: null,
    };
    const { spec } = decodeRuleInfo(listed);
    expect(spec).toEqual({ name: "n", callee: { roomPrefix: "line-", randomize: true }, trunkIds: ["ST_1"], numbers: ["+15550002"], roomConfig: { agents: [{}, { agentName: "a" }] } });
    expect(normalizeRule(spec)).toBe(spec);
    // Without the room config, too: the usual rule.
    const plain = decodeRuleInfo({ ...listed, room_config: null }).spec;
    expect(normalizeRule(plain)).toBe(plain);
    expect(Object.keys(plain)).toEqual(["name", "callee", "trunkIds", "numbers"]);
  });

  it("reads own fields only: a field inherited from a polluted Object.prototype is not the server's", () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.metadata = "inherited";
    proto.roomPrefix = "inherited-";
    try {
      const { spec } = decodeRuleInfo({ sip_dispatch_rule_id: "SDR_x", name: "n", rule: { dispatch_rule_individual: {} } });
      expect(Object.hasOwn(spec, "metadata")).toBe(false);
      expect(Object.hasOwn(spec.individual ?? {}, "roomPrefix")).toBe(false);
    } finally {
      delete proto.metadata;
      delete proto.roomPrefix;
    }
  });

  it("keeps a map key named __proto__ as data", () => {
    const { spec } = decodeRuleInfo({ sip_dispatch_rule_id: "SDR_x", rule: { dispatch_rule_direct: {} }, attributes: JSON.parse('{"__proto__":"x","a":"b"}') as object });
    expect(Object.keys(spec.attributes ?? {})).toEqual(["__proto__", "a"]);
    expect(Object.getPrototypeOf(spec.attributes)).toBe(Object.prototype);
  });

  it("reads past unknown fields, timestamps and nulls, and lists the unknown fields as kept", () => {
    const json = { sip_dispatch_rule_id: "SDR_x", name: null, rule: { dispatch_rule_direct: { room_name: "r", future: 1 } }, future_field: [1], future_empty: "", created_at: "2026-01-01T00:00:00Z" };
    const rule = decodeRuleInfo(json);
    expect(rule).toEqual({ id: "SDR_x", spec: { name: "", direct: { roomName: "r" } } });
    expect(rule.kept).toEqual(["direct.future", "future_field"]);
    // The raw JSON rides along, invisible to equality, spreads and JSON.
    expect(rule.raw).toBe(json);
    expect(Object.keys(rule)).toEqual(["id", "spec"]);
    expect(JSON.parse(JSON.stringify(rule))).toEqual({ id: "SDR_x", spec: { name: "", direct: { roomName: "r" } } });
  });

  it("holds an unknown enum value or rule type opaque: no error, the value left out of the spec", () => {
    const rule = decodeRuleInfo({
      sip_dispatch_rule_id: "SDR_x",
      name: "n",
      rule: { dispatch_rule_direct: { room_name: "r" } },
      media: { encryption: "SIP_MEDIA_ENCRYPT_QUANTUM", media_timeout: "5s" },
      room_config: { agents: [{ agent_name: "a", restart_policy: 7 }] },
    });
    expect(rule.spec).toEqual({ name: "n", direct: { roomName: "r" }, roomConfig: { agents: [{ agentName: "a" }] }, media: { mediaTimeout: "5s" } });
    expect(rule.opaque).toEqual(["roomConfig.agents[0].restartPolicy: number 7", 'media.encryption: "SIP_MEDIA_ENCRYPT_QUANTUM"']);
    const other = decodeRuleInfo({ sip_dispatch_rule_id: "SDR_y", name: "m", rule: { dispatch_rule_dynamic: { url: "x" } } });
    expect(other.spec).toEqual({ name: "m" });
    expect(other.opaque).toEqual(['rule type: unknown "dispatch_rule_dynamic"']);
  });

  it.each([
    ["not an object", "nope", /expected a dispatch rule object/],
    ["no ID", { rule: { dispatch_rule_direct: {} } }, /sip_dispatch_rule_id/],
    ["no rule", { sip_dispatch_rule_id: "SDR_x" }, /rule: missing/],
    ["two rule types", { sip_dispatch_rule_id: "SDR_x", rule: { dispatch_rule_direct: {}, dispatchRuleCallee: {} } }, /more than one/],
    ["a wrong type", { sip_dispatch_rule_id: "SDR_x", rule: { dispatch_rule_direct: {} }, hide_phone_number: "yes" }, /hide_phone_number: expected true or false/],
    ["a negative uint", { sip_dispatch_rule_id: "SDR_x", rule: { dispatch_rule_direct: {} }, room_config: { empty_timeout: -1 } }, /empty_timeout/],
    ["an enum of the wrong type", { sip_dispatch_rule_id: "SDR_x", rule: { dispatch_rule_direct: {} }, room_config: { agents: [{ restart_policy: true }] } }, /agents\[0\]\.restart_policy: expected an enum name or number/],
    ["a non-string attribute", { sip_dispatch_rule_id: "SDR_x", rule: { dispatch_rule_direct: {} }, attributes: { a: 1 } }, /attributes/],
  ])("%s is ApiError bad_response naming the place", (_name, json, message) => {
    const err = apiErrorOf(() => decodeRuleInfo(json));
    expect(err.twirpCode).toBe("bad_response");
    expect(err.method).toBe("ListSIPDispatchRule");
    expect(err.message).toMatch(message);
  });
});

describe("encodeRuleInfo", () => {
  it("writes camelCase with defaults omitted, metadata mappings as compact JSON, encryption as enum names", () => {
    const spec: RuleSpec = {
      name: "n",
      individual: { roomPrefix: "", pin: "", noRandomness: false },
      trunkIds: [],
      hidePhoneNumber: false,
      metadata: { tier: "gold", n: [1, 2] },
      attributes: {},
      roomConfig: { emptyTimeout: 0, agents: [{ agentName: "a", restartPolicy: "JRP_ON_FAILURE" }] },
      krispEnabled: false,
      media: { encryption: "allow", codecs: [{ name: "PCMU", rate: 0 }] },
    };
    expect(encodeRuleInfo(spec)).toEqual({
      rule: { dispatchRuleIndividual: {} },
      name: "n",
      metadata: '{"tier":"gold","n":[1,2]}',
      roomConfig: { agents: [{ agentName: "a" }] },
      mediaEncryption: "SIP_MEDIA_ENCRYPT_ALLOW",
      media: { codecs: [{ name: "PCMU" }], encryption: "SIP_MEDIA_ENCRYPT_ALLOW" },
    });
  });

  it("keeps an explicit optional encryption and media timeout (proto3 optional presence)", () => {
    expect(encodeRuleInfo({ name: "", direct: {}, media: { encryption: "disable", mediaTimeout: "0s" } })).toEqual({
      rule: { dispatchRuleDirect: {} },
      media: { encryption: "SIP_MEDIA_ENCRYPT_DISABLE", mediaTimeout: "0s" },
    });
  });

  it("does not mutate its input", () => {
    const spec: RuleSpec = Object.freeze({ name: "n", direct: Object.freeze({ roomName: "r" }), trunkIds: Object.freeze(["ST_1"]) });
    const out = encodeRuleInfo(spec);
    (out.trunkIds as string[]).push("ST_2");
    expect(spec.trunkIds).toEqual(["ST_1"]);
  });

  it("legacy form: only the legacy fields, and the ones it cannot carry are named", () => {
    const { body, unsupported } = encodeLegacyCreate({ ...GO_SPEC });
    expect(Object.keys(body).sort()).toEqual(["attributes", "hidePhoneNumber", "inboundNumbers", "metadata", "name", "roomConfig", "roomPreset", "rule", "trunkIds"]);
    expect(unsupported).toEqual(["numbers", "krispEnabled", "media"]);
    expect(encodeLegacyCreate({ name: "x", direct: { roomName: "r" } }).unsupported).toEqual([]);
  });
});

describe("server-state file", () => {
  const rules: RemoteRule[] = [
    { id: "SDR_b", spec: GO_SPEC },
    { id: "SDR_a", spec: { name: "plain", direct: { roomName: "r" }, metadata: { a: 1 } } },
  ];

  it("writes formatVersion 1 and snake_case items with defaults, sorted by ID", () => {
    const text = encodeServerState(rules);
    const json = JSON.parse(text) as { formatVersion: number; items: Record<string, unknown>[] };
    expect(json.formatVersion).toBe(1);
    expect(json.items.map((i) => i.sip_dispatch_rule_id)).toEqual(["SDR_a", "SDR_b"]);
    expect(json.items[0]).toEqual({
      sip_dispatch_rule_id: "SDR_a",
      rule: { dispatch_rule_direct: { room_name: "r", pin: "" } },
      trunk_ids: [],
      hide_phone_number: false,
      inbound_numbers: [],
      numbers: [],
      name: "plain",
      metadata: '{"a":1}',
      attributes: {},
      room_preset: "",
      room_config: null,
      media: null,
      krisp_enabled: false,
      media_encryption: "SIP_MEDIA_ENCRYPT_DISABLE",
      created_at: null,
      updated_at: null,
    });
    const egress = (json.items[1]?.room_config as { egress: unknown }).egress;
    expect(egress).toEqual({ tracks: { filepath: "{track_id}", s3: { bucket: "b", metadata: { my_key: "v", "Other-Key": "w" } } } });
  });

  it("reads back what it wrote", () => {
    const back = decodeServerState(encodeServerState(rules));
    expect(back.map((r) => r.id)).toEqual(["SDR_a", "SDR_b"]);
    expect(back[1]).toEqual({ id: "SDR_b", spec: { ...GO_SPEC } });
    expect(back[0]?.spec.metadata).toBe('{"a":1}');
  });

  it("reads a camelCase list without formatVersion (lk sip dispatch list --json)", () => {
    const text = JSON.stringify({ items: [{ sipDispatchRuleId: "SDR_1", name: "x", rule: { dispatchRuleDirect: { roomName: "r" } } }] });
    expect(decodeServerState(text)).toEqual([{ id: "SDR_1", spec: { name: "x", direct: { roomName: "r" } } }]);
  });

  it.each([
    ["not JSON", "{", /not valid JSON/],
    ["an array", "[]", /expected a JSON object/],
    ["a newer format", '{"formatVersion": 2, "items": []}', /formatVersion 2 is not supported/],
    ["no items", '{"formatVersion": 1}', /no "items"/],
    ["a bad item", '{"formatVersion": 1, "items": [{"sip_dispatch_rule_id": "SDR_1", "rule": {}}]}', /items\[0\]\(SDR_1\)\.rule: no dispatch rule type set/],
    ["a duplicate ID", '{"items": [{"sipDispatchRuleId": "SDR_1", "rule": {"dispatchRuleDirect": {}}}, {"sipDispatchRuleId": "SDR_1", "rule": {"dispatchRuleDirect": {}}}]}', /SDR_1 appears twice/],
  ])("%s is AppError bad-state-file with a hint", (_name, text, message) => {
    let err: unknown;
    try {
      decodeServerState(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe("bad-state-file");
    expect((err as AppError).message).toMatch(message);
    expect((err as AppError).hint).toContain("export --format json");
  });
});

// protojson-like decoding and the canonical output form (livekit-sip-api.md §2, §3.1), plus a
// check of the transcribed schema against the official @livekit/protocol runtime types.
import * as protocol from "@livekit/protocol";
import { describe, expect, test } from "vitest";
import { DecodeError, decodeMessage, formatDuration, parseDuration, parseTimestamp, formatTimestamp } from "../../../src/emulator/decode.js";
import { MESSAGES, messageDesc } from "../../../src/emulator/descriptors.js";
import { JsonSyntaxError, parseFirstJsonValue } from "../../../src/emulator/json-parse.js";
import { startEmulator } from "../../support/emulator.js";
import { createRule } from "./http-helpers.js";

const decode = (name: string, text: string) => decodeMessage(parseFirstJsonValue(text), messageDesc(name));

describe("decodeMessage", () => {
  test("snake and camel spellings give the same canonical message", () => {
    const snake = decode("SIPDispatchRuleInfo", '{"trunk_ids":["a"],"hide_phone_number":true,"room_config":{"agents":[{"agent_name":"x"}]}}');
    const camel = decode("SIPDispatchRuleInfo", '{"trunkIds":["a"],"hidePhoneNumber":true,"roomConfig":{"agents":[{"agentName":"x"}]}}');
    expect(camel).toEqual(snake);
    expect(snake.trunk_ids).toEqual(["a"]);
  });

  test("enums as names or numbers; unknown names dropped; unknown numbers kept as numbers", () => {
    expect(decode("SIPDispatchRuleInfo", '{"media_encryption":2}').media_encryption).toBe("SIP_MEDIA_ENCRYPT_REQUIRE");
    expect(decode("SIPDispatchRuleInfo", '{"mediaEncryption":"SIP_MEDIA_ENCRYPT_ALLOW"}').media_encryption).toBe("SIP_MEDIA_ENCRYPT_ALLOW");
    expect(decode("SIPDispatchRuleInfo", '{"media_encryption":"NO_SUCH"}').media_encryption).toBe("SIP_MEDIA_ENCRYPT_DISABLE");
    expect(decode("SIPDispatchRuleInfo", '{"media_encryption":7}').media_encryption).toBe(7);
    // On a proto3 optional enum an unknown name leaves it unset (omitted).
    expect(decode("SIPMediaConfig", '{"encryption":"NOPE"}')).toEqual({ only_listed_codecs: false, codecs: [] });
    expect(() => decode("SIPDispatchRuleInfo", '{"media_encryption":true}')).toThrow(DecodeError);
  });

  test("null means unset, for scalars, lists, maps and messages", () => {
    const info = decode("SIPDispatchRuleInfo", '{"name":null,"trunk_ids":null,"attributes":null,"rule":null,"created_at":null}');
    expect(info).toEqual(decode("SIPDispatchRuleInfo", "{}"));
    expect(() => decode("SIPDispatchRuleInfo", '{"name":null,"name":"x"}')).toThrow(/duplicate/);
  });

  test("proto3 optional fields keep presence: an explicit empty name is present", () => {
    expect(decode("SIPDispatchRuleUpdate", '{"name":""}')).toHaveProperty("name", "");
    expect(decode("SIPDispatchRuleUpdate", "{}")).not.toHaveProperty("name");
  });

  test("int32/uint32 accept numbers and numeric strings if integral and in range", () => {
    expect(decode("Pagination", '{"limit":"25"}').limit).toBe(25);
    expect(decode("Pagination", '{"limit":1e2}').limit).toBe(100);
    expect(decode("SIPCodec", '{"rate":4294967295}').rate).toBe(4294967295);
    for (const bad of ['{"rate":-1}', '{"rate":"x"}', '{"rate":1.5}', '{"rate":true}']) expect(() => decode("SIPCodec", bad)).toThrow(DecodeError);
  });

  test("map keys are sorted; a duplicate map key or a null map value is an error", () => {
    expect(Object.keys(decode("SIPDispatchRuleInfo", '{"attributes":{"b":"1","a":"2"}}').attributes as object)).toEqual(["a", "b"]);
    expect(() => decode("SIPDispatchRuleInfo", '{"attributes":{"a":"1","a":"2"}}')).toThrow(/duplicate map key/);
    expect(() => decode("SIPDispatchRuleInfo", '{"attributes":{"a":null}}')).toThrow(DecodeError);
  });

  test("a __proto__ map key is stored as data, not as a prototype", () => {
    const info = decode("SIPDispatchRuleInfo", '{"attributes":{"__proto__":"x"}}');
    expect(Object.getOwnPropertyDescriptor(info.attributes, "__proto__")?.value).toBe("x");
    expect(JSON.stringify(info.attributes)).toBe('{"__proto__":"x"}');
  });

  test("Timestamp and Duration are normalised to protojson's output form", () => {
    expect(decode("SIPDispatchRuleInfo", '{"created_at":"2026-03-12T23:10:27.500+01:00"}').created_at).toBe("2026-03-12T22:10:27.500Z");
    expect(formatTimestamp(parseTimestamp("0001-01-01T00:00:00Z"))).toBe("0001-01-01T00:00:00Z");
    expect(formatTimestamp(parseTimestamp("2026-01-01T00:00:00.000001Z"))).toBe("2026-01-01T00:00:00.000001Z");
    for (const bad of ["2026-02-30T00:00:00Z", "2026-01-01 00:00:00Z", "2026-01-01T00:00:00.1234567891Z", "10000-01-01T00:00:00Z"]) {
      expect(() => parseTimestamp(bad), bad).toThrow(DecodeError);
    }
    expect(formatDuration(parseDuration("30s"))).toBe("30s");
    expect(formatDuration(parseDuration("1.5s"))).toBe("1.500s");
    expect(formatDuration(parseDuration("-0.000000001s"))).toBe("-0.000000001s");
    for (const bad of ["30", "1m", "s", "1.1234567891s"]) expect(() => parseDuration(bad), bad).toThrow(DecodeError);
  });

  test("the JSON reader rejects what Go's decoder rejects", () => {
    for (const bad of ["", "   ", "{", '{"a" 1}', "{'a':1}", '{"a":01}', '{"a":"\u0001"}', '{"a":tru}', "[1,]"]) {
      expect(() => parseFirstJsonValue(bad), JSON.stringify(bad)).toThrow(JsonSyntaxError);
    }
    expect(parseFirstJsonValue('{"a":"\\ud800"}')).toEqual({ k: "obj", entries: [["a", { k: "str", v: "\ufffd" }]] });
    expect(() => parseFirstJsonValue("[".repeat(10_002))).toThrow(JsonSyntaxError);
  });
});

describe("output form (§3.1)", () => {
  test("the §3.1 example: request in, exactly the documented response out", async () => {
    const em = await startEmulator();
    const out = await createRule(em, {
      name: "main-line",
      trunk_ids: ["ST_abc123def456"],
      rule: { dispatch_rule_individual: { room_prefix: "call-" } },
      room_config: { agents: [{ agent_name: "inbound-agent" }] },
    });
    expect(out.sip_dispatch_rule_id).toMatch(/^SDR_[23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz]{12}$/);
    const expected = {
      sip_dispatch_rule_id: out.sip_dispatch_rule_id,
      rule: { dispatch_rule_individual: { room_prefix: "call-", pin: "", no_randomness: false } },
      trunk_ids: ["ST_abc123def456"], hide_phone_number: false, inbound_numbers: [], numbers: [],
      name: "main-line", metadata: "", attributes: {}, room_preset: "",
      room_config: {
        name: "", empty_timeout: 0, departure_timeout: 0, max_participants: 0, metadata: "",
        egress: null, min_playout_delay: 0, max_playout_delay: 0, sync_streams: false,
        agents: [{ agent_name: "inbound-agent", metadata: "", restart_policy: "JRP_ON_FAILURE", deployment: "", attributes: {} }],
        tags: {},
      },
      media: { only_listed_codecs: false, codecs: [] },
      krisp_enabled: false, media_encryption: "SIP_MEDIA_ENCRYPT_DISABLE",
      created_at: null, updated_at: null,
    };
    expect(out).toEqual(expected);
    // Key order is declaration order too.
    expect(JSON.stringify(out)).toBe(JSON.stringify(expected));
  });

  test("every output parses strictly (no unknown keys) with the official protobuf-es types", async () => {
    const em = await startEmulator();
    const full = await createRule(em, {
      rule: { dispatchRuleCallee: { roomPrefix: "n-", pin: "1234", randomize: true } },
      trunkIds: ["ST_1"], inboundNumbers: ["+1555"], numbers: ["+1666"], hidePhoneNumber: true, name: "all",
      metadata: "{}", attributes: { a: "b" }, roomPreset: "p", krispEnabled: true, mediaEncryption: "SIP_MEDIA_ENCRYPT_ALLOW",
      media: { onlyListedCodecs: true, codecs: [{ name: "PCMU", rate: 8000 }], mediaTimeout: "30s" },
      createdAt: "2026-01-01T00:00:00Z",
      roomConfig: {
        name: "r", emptyTimeout: 5, tags: { t: "v" },
        agents: [{ agentName: "a", restartPolicy: "JRP_NEVER", attributes: { k: "v" } }],
        egress: { room: { roomName: "r", preset: "H264_1080P_30", fileOutputs: [{ filepath: "x", s3: { bucket: "b", metadata: { m: "1" } } }] }, tracks: { filepath: "f", aliOSS: { bucket: "b" } } },
      },
    });
    const parsed = protocol.SIPDispatchRuleInfo.fromJson(full as never, { ignoreUnknownFields: false });
    expect(parsed.media?.encryption).toBe(protocol.SIPMediaEncryption.SIP_MEDIA_ENCRYPT_ALLOW);
    expect(parsed.roomConfig?.egress?.room?.options.case).toBe("preset");
    expect(parsed.roomConfig?.egress?.tracks?.output.case).toBe("aliOSS");
    expect(parsed.createdAt?.seconds).toBe(1767225600n);
    // And the emulator's re-encoding of the SDK's own JSON is a fixpoint.
    const camel = parsed.toJson() as Record<string, unknown>;
    const again = decodeMessage(parseFirstJsonValue(JSON.stringify(camel)), messageDesc("SIPDispatchRuleInfo"));
    expect(again).toEqual(full);
  });

  test("the transcribed schema matches @livekit/protocol field by field (names, JSON names, kinds, oneofs, order)", () => {
    const types = protocol as unknown as Record<string, { fields?: { list(): readonly ProtoField[] } } | undefined>;
    const wellKnown: Record<string, string> = { "google.protobuf.Timestamp": "timestamp", "google.protobuf.Duration": "duration" };
    for (const [name, desc] of MESSAGES) {
      const official = types[name]?.fields?.list();
      expect(official, name).toBeDefined();
      // A newer @livekit/protocol may append fields; ours must be a prefix-compatible subset in order.
      const theirs = (official ?? []).filter((f) => desc.byKey.has(f.name));
      expect(theirs.map((f) => f.name), name).toEqual(desc.fields.map((f) => f.name));
      for (const [i, ours] of desc.fields.entries()) {
        const f = theirs[i] as ProtoField;
        const kind = f.kind === "message" && wellKnown[f.T?.typeName ?? ""] ? wellKnown[f.T?.typeName ?? ""] : f.kind === "map" ? "map" : f.kind;
        const ourKind = ours.label === "map" ? "map" : ours.type.t;
        expect({ json: f.jsonName, kind, repeated: f.repeated, optional: f.opt, oneof: f.oneof?.name }, `${name}.${ours.name}`).toEqual({
          json: ours.json,
          kind: ourKind,
          repeated: ours.label === "repeated",
          optional: ours.label === "optional",
          oneof: ours.oneof,
        });
        if (ours.type.t === "enum") {
          const values = (f.T as unknown as { values: readonly { no: number; name: string }[] }).values;
          expect(values.map((v) => v.name).slice(0, ours.type.e.values.length), `${name}.${ours.name}`).toEqual(ours.type.e.values);
        }
        if (ours.type.t === "message") expect(f.T?.typeName, `${name}.${ours.name}`).toBe(`livekit.${ours.type.m}`);
      }
    }
  });
});

interface ProtoField {
  readonly name: string;
  readonly jsonName: string;
  readonly kind: string;
  readonly repeated: boolean;
  readonly opt: boolean;
  readonly oneof?: { readonly name: string };
  readonly T?: { readonly typeName?: string };
}

// Property: the wire mapping is total and round-trips. For any RuleSpec, the request JSON decodes
// strictly with @livekit/protocol and is canonical, and decoding what a server echoes back (snake
// case with defaults, or camelCase without) gives the spec again, up to default values.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { CreateSIPDispatchRuleRequest, SIPDispatchRuleInfo, UpdateSIPDispatchRuleRequest } from "@livekit/protocol";
import { MEDIA_ENCRYPTIONS, RESTART_POLICIES, type JsonObject, type RuleSpec } from "../../src/model/index.js";
import { decodeRuleInfo, decodeServerState, encodeRuleInfo, encodeServerState } from "../../src/livekit/index.js";

const STRICT = { ignoreUnknownFields: false } as const;
const str = fc.string({ maxLength: 8 });
const strings = fc.array(str, { maxLength: 3 });
const stringMap = fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 });
const uint32 = fc.integer({ min: 0, max: 0xffffffff });
const bool = fc.boolean();

const egress: fc.Arbitrary<JsonObject> = fc.oneof(
  fc.record({ tracks: fc.record({ filepath: str, disableManifest: bool, s3: fc.record({ bucket: str, region: str, metadata: stringMap }, { requiredKeys: [] }) }, { requiredKeys: [] }) }),
  fc.record({
    room: fc.record(
      {
        roomName: str,
        audioOnly: bool,
        audioMixing: fc.constantFrom("DEFAULT_MIXING", "DUAL_CHANNEL_AGENT", "DUAL_CHANNEL_ALTERNATE"),
        preset: fc.constantFrom("H264_720P_30", "H264_1080P_60"),
        fileOutputs: fc.array(fc.record({ fileType: fc.constantFrom("DEFAULT_FILETYPE", "MP4", "OGG"), filepath: str, aliOSS: fc.record({ bucket: str }) }, { requiredKeys: [] }), { maxLength: 2 }),
        segmentOutputs: fc.array(fc.record({ protocol: fc.constantFrom("DEFAULT_SEGMENTED_FILE_PROTOCOL", "HLS_PROTOCOL"), segmentDuration: fc.integer({ min: 0, max: 3600 }), filenameSuffix: fc.constantFrom("INDEX", "TIMESTAMP") }, { requiredKeys: [] }), { maxLength: 2 }),
      },
      { requiredKeys: [] },
    ),
  }),
  fc.record({ participant: fc.record({ advanced: fc.record({ width: fc.integer({ min: 0, max: 4096 }), audioCodec: fc.constantFrom("DEFAULT_AC", "OPUS", "AAC") }, { requiredKeys: [] }) }) }),
) as fc.Arbitrary<JsonObject>;

const ruleSpec: fc.Arbitrary<RuleSpec> = fc
  .tuple(
    fc.oneof(
      fc.record({ direct: fc.record({ roomName: str, pin: str }, { requiredKeys: [] }) }),
      fc.record({ individual: fc.record({ roomPrefix: str, pin: str, noRandomness: bool }, { requiredKeys: [] }) }),
      fc.record({ callee: fc.record({ roomPrefix: str, pin: str, randomize: bool }, { requiredKeys: [] }) }),
    ),
    fc.record(
      {
        name: str,
        trunkIds: strings,
        inboundNumbers: strings,
        numbers: strings,
        hidePhoneNumber: bool,
        metadata: fc.oneof(str, fc.dictionary(str, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }), fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 })),
        attributes: stringMap,
        roomPreset: str,
        roomConfig: fc.record(
          {
            name: str,
            emptyTimeout: uint32,
            departureTimeout: uint32,
            maxParticipants: uint32,
            metadata: str,
            egress,
            minPlayoutDelay: uint32,
            maxPlayoutDelay: uint32,
            syncStreams: bool,
            agents: fc.array(
              fc.record({ agentName: str, metadata: str, restartPolicy: fc.constantFrom(...RESTART_POLICIES), deployment: str, attributes: stringMap }, { requiredKeys: [] }),
              { maxLength: 3 },
            ),
            tags: stringMap,
          },
          { requiredKeys: [] },
        ),
        krispEnabled: bool,
        media: fc.record(
          {
            onlyListedCodecs: bool,
            codecs: fc.array(fc.record({ name: str, rate: uint32 }, { requiredKeys: ["name"] }), { maxLength: 3 }),
            encryption: fc.constantFrom(...MEDIA_ENCRYPTIONS),
            mediaTimeout: fc.integer({ min: 0, max: 600 }).map((s) => `${s}s`),
          },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: ["name"] },
    ),
  )
  .map(([kind, rest]) => ({ ...rest, ...kind }) as RuleSpec);

/**
 * Zero values of enums, by field name: they mean "unset" (SPEC §4). The egress ones are dropped
 * by the wire module; a file that spells them out compares equal only if the normaliser knows them.
 */
const ENUM_DEFAULTS: Readonly<Record<string, readonly string[]>> = {
  restartPolicy: ["JRP_ON_FAILURE"],
  encryption: ["disable"],
  audioMixing: ["DEFAULT_MIXING"],
  fileType: ["DEFAULT_FILETYPE"],
  protocol: ["DEFAULT_SEGMENTED_FILE_PROTOCOL"],
  filenameSuffix: ["INDEX"],
  audioCodec: ["DEFAULT_AC"],
};

/**
 * Removes default values (undefined, null, "", 0, false, [], {}, zero enums) recursively; list
 * positions are kept. A small stand-in for core's normaliser, which is written in parallel.
 */
function strip(value: unknown, key = ""): unknown {
  if (value === undefined || value === null || value === "" || value === 0 || value === false) return undefined;
  if (typeof value === "string" && ENUM_DEFAULTS[key]?.includes(value)) return undefined;
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.map((v) => strip(v) ?? null);
  if (typeof value === "object") {
    const entries = Object.entries(value).flatMap(([k, v]) => {
      const s = strip(v, k);
      return s === undefined ? [] : [[k, s] as const];
    });
    return entries.length === 0 ? undefined : Object.fromEntries(entries);
  }
  return value;
}

/** The comparable form of a spec: metadata mappings as the compact JSON that is sent, the rule kind always present. */
function comparable(spec: RuleSpec): unknown {
  const { direct, individual, callee, metadata, ...rest } = spec;
  const kind = direct !== undefined ? { direct } : individual !== undefined ? { individual } : { callee };
  const [kindName, kindValue] = Object.entries(kind)[0] ?? ["?", {}];
  const md = metadata === undefined || typeof metadata === "string" ? metadata : JSON.stringify(metadata);
  const mdEmpty = md === "{}" || md === "[]";
  return { ...(strip({ ...rest, metadata: mdEmpty ? undefined : md }) as object), [kindName]: strip(kindValue) ?? {} };
}

const RUNS = { numRuns: 150 };

describe("wire round trip", () => {
  it("Create and Update request bodies decode strictly and are canonical protobuf JSON", () => {
    fc.assert(
      fc.property(ruleSpec, (spec) => {
        const create = { dispatchRule: encodeRuleInfo(spec) };
        expect(CreateSIPDispatchRuleRequest.fromJson(create as never, STRICT).toJson()).toEqual(create);
        const update = { sipDispatchRuleId: "SDR_x", replace: encodeRuleInfo(spec) };
        expect(UpdateSIPDispatchRuleRequest.fromJson(update as never, STRICT).toJson()).toEqual(update);
      }),
      RUNS,
    );
  });

  it("decode(server echo in snake case with defaults) equals the spec up to defaults", () => {
    fc.assert(
      fc.property(ruleSpec, (spec) => {
        const info = SIPDispatchRuleInfo.fromJson(encodeRuleInfo(spec) as never, STRICT);
        info.sipDispatchRuleId = "SDR_abcdefghijkl";
        const echo = info.toJson({ useProtoFieldName: true, emitDefaultValues: true });
        const back = decodeRuleInfo(echo);
        expect(back.id).toBe("SDR_abcdefghijkl");
        expect(comparable(back.spec)).toEqual(comparable(spec));
      }),
      RUNS,
    );
  });

  it("decode(camelCase echo without defaults) equals the spec up to defaults", () => {
    fc.assert(
      fc.property(ruleSpec, (spec) => {
        const info = SIPDispatchRuleInfo.fromJson(encodeRuleInfo(spec) as never, STRICT);
        info.sipDispatchRuleId = "SDR_abcdefghijkl";
        expect(comparable(decodeRuleInfo(info.toJson()).spec)).toEqual(comparable(spec));
      }),
      RUNS,
    );
  });

  it("the server-state file round-trips and its items are valid SIPDispatchRuleInfo", () => {
    fc.assert(
      fc.property(ruleSpec, (spec) => {
        const text = encodeServerState([{ id: "SDR_abcdefghijkl", spec }]);
        const items = (JSON.parse(text) as { items: unknown[] }).items;
        // The state file carries nulls for unset messages like the Go server; protobuf-es skips them.
        expect(() => SIPDispatchRuleInfo.fromJson(items[0] as never, STRICT)).not.toThrow();
        const [back] = decodeServerState(text);
        expect(back?.id).toBe("SDR_abcdefghijkl");
        expect(comparable(back?.spec ?? { name: "?" })).toEqual(comparable(spec));
      }),
      RUNS,
    );
  });
});

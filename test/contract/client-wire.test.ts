// Wire fidelity (b): every request body the client sends decodes strictly with @livekit/protocol's
// message classes (a field the real protocol does not know fails), and is exactly the canonical
// protobuf JSON the official SDK would write for the same message (camelCase, defaults omitted).
import { afterEach, describe, expect, it } from "vitest";
import {
  CreateSIPDispatchRuleRequest,
  DeleteSIPDispatchRuleRequest,
  ListSIPDispatchRuleRequest,
  ListSIPInboundTrunkRequest,
  SIPMediaEncryption,
  UpdateSIPDispatchRuleRequest,
} from "@livekit/protocol";
import type { RuleSpec } from "../../src/model/index.js";
import { createSipClient } from "../../src/livekit/index.js";
import { startScriptedServer, twirpError, type ScriptedServer } from "../support/scripted-server.js";

const STRICT = { ignoreUnknownFields: false } as const;

/** Every field of SPEC §2, each with a non-default value. */
const FULL: RuleSpec = {
  name: "support-line",
  individual: { roomPrefix: "call-", pin: "4321", noRandomness: true },
  trunkIds: ["ST_abc123", "ST_def456"],
  inboundNumbers: ["+15550100"],
  numbers: ["+15550199", "+15550198"],
  hidePhoneNumber: true,
  metadata: { tier: "gold", regions: ["eu", "us"] },
  attributes: { team: "support", "sip.custom_key": "v" },
  roomPreset: "preset-1",
  roomConfig: {
    name: "room-a",
    emptyTimeout: 60,
    departureTimeout: 30,
    maxParticipants: 10,
    metadata: "room metadata",
    egress: {
      room: {
        roomName: "room-a",
        layout: "grid",
        audioOnly: true,
        audioMixing: "DUAL_CHANNEL_AGENT",
        preset: "H264_1080P_30",
        fileOutputs: [{ fileType: "MP4", filepath: "calls/{room_name}.mp4", s3: { bucket: "rec", region: "eu-west-1", metadata: { call_kind: "support" } } }],
        segmentOutputs: [{ protocol: "HLS_PROTOCOL", filenamePrefix: "seg", aliOSS: { bucket: "ali" } }],
        webhooks: [{ url: "https://hooks.example/egress", filterParams: { includeEvents: ["egress_ended"] } }],
      },
      participant: { advanced: { width: 1280, height: 720, keyFrameInterval: 2.5 }, fileOutputs: [{ filepath: "p.ogg", gcp: { bucket: "g" } }] },
      tracks: { filepath: "{track_id}", azure: { accountName: "acct", containerName: "c" } },
    },
    minPlayoutDelay: 100,
    maxPlayoutDelay: 400,
    syncStreams: true,
    agents: [
      { agentName: "inbound-agent", metadata: "dispatch metadata", restartPolicy: "JRP_NEVER", deployment: "prod", attributes: { lang: "en" } },
      { agentName: "second" },
    ],
    tags: { cost_center: "42" },
  },
  krispEnabled: true,
  media: { onlyListedCodecs: true, codecs: [{ name: "PCMU", rate: 8000 }, { name: "G722" }], encryption: "require", mediaTimeout: "45s" },
};

const VARIANTS: readonly RuleSpec[] = [
  FULL,
  { name: "direct", direct: { roomName: "safe-room", pin: "12345" }, media: { encryption: "allow" } },
  { name: "callee", callee: { roomPrefix: "number-", pin: "", randomize: true } },
  { name: "", direct: {} },
];

let server: ScriptedServer;
afterEach(async () => {
  await server?.stop();
});

async function capture(run: (client: ReturnType<typeof createSipClient>) => Promise<unknown>, ...answers: Parameters<ScriptedServer["enqueue"]>): Promise<unknown[]> {
  server = await startScriptedServer();
  server.enqueue(...answers);
  const client = createSipClient({ url: server.url, apiKey: "k", apiSecret: "secret-secret-secret", timeoutMs: 2_000, sleep: async () => undefined });
  await run(client).catch(() => undefined);
  return server.requests.map((r) => r.json);
}

const echo = { json: { sip_dispatch_rule_id: "SDR_x", rule: { dispatch_rule_direct: { room_name: "r" } }, name: "x" } };

describe("request bodies decode strictly with @livekit/protocol", () => {
  it.each(VARIANTS.map((v) => [v.name || "(unnamed)", v] as const))("CreateSIPDispatchRuleRequest with dispatch_rule: %s", async (_n, spec) => {
    const [body] = await capture((c) => c.createRule(spec), echo);
    const msg = CreateSIPDispatchRuleRequest.fromJson(body as never, STRICT);
    expect(msg.toJson()).toEqual(body);
    expect(msg.dispatchRule?.name).toBe(spec.name);
  });

  it("the fully populated rule arrives with every field", async () => {
    const [body] = await capture((c) => c.createRule(FULL), echo);
    const info = CreateSIPDispatchRuleRequest.fromJson(body as never, STRICT).dispatchRule;
    expect(info?.rule?.rule.case).toBe("dispatchRuleIndividual");
    expect(info?.rule?.rule.value).toMatchObject({ roomPrefix: "call-", pin: "4321", noRandomness: true });
    expect(info?.trunkIds).toEqual(["ST_abc123", "ST_def456"]);
    expect(info?.inboundNumbers).toEqual(["+15550100"]);
    expect(info?.numbers).toEqual(["+15550199", "+15550198"]);
    expect(info?.hidePhoneNumber).toBe(true);
    expect(info?.metadata).toBe('{"tier":"gold","regions":["eu","us"]}');
    expect(info?.attributes).toEqual({ team: "support", "sip.custom_key": "v" });
    expect(info?.roomPreset).toBe("preset-1");
    expect(info?.krispEnabled).toBe(true);
    expect(info?.media?.onlyListedCodecs).toBe(true);
    expect(info?.media?.codecs.map((c) => [c.name, c.rate])).toEqual([["PCMU", 8000], ["G722", 0]]);
    expect(info?.media?.encryption).toBe(SIPMediaEncryption.SIP_MEDIA_ENCRYPT_REQUIRE);
    expect(info?.media?.mediaTimeout?.seconds).toBe(45n);
    expect(info?.mediaEncryption).toBe(SIPMediaEncryption.SIP_MEDIA_ENCRYPT_REQUIRE);
    const rc = info?.roomConfig;
    expect([rc?.name, rc?.emptyTimeout, rc?.departureTimeout, rc?.maxParticipants, rc?.metadata]).toEqual(["room-a", 60, 30, 10, "room metadata"]);
    expect([rc?.minPlayoutDelay, rc?.maxPlayoutDelay, rc?.syncStreams]).toEqual([100, 400, true]);
    expect(rc?.tags).toEqual({ cost_center: "42" });
    expect(rc?.agents.map((a) => a.agentName)).toEqual(["inbound-agent", "second"]);
    expect(rc?.agents[0]?.toJson()).toEqual({ agentName: "inbound-agent", metadata: "dispatch metadata", restartPolicy: "JRP_NEVER", deployment: "prod", attributes: { lang: "en" } });
    expect(rc?.egress?.toJson()).toEqual(FULL.roomConfig?.egress);
  });

  it("CreateSIPDispatchRuleRequest in the legacy top-level form", async () => {
    const legacy: RuleSpec = { ...FULL, numbers: [], krispEnabled: false, media: {} };
    const bodies = await capture((c) => c.createRule(legacy), twirpError(400, "invalid_argument", "missing rule"), echo);
    expect(bodies).toHaveLength(2);
    const msg = CreateSIPDispatchRuleRequest.fromJson(bodies[1] as never, STRICT);
    expect(msg.toJson()).toEqual(bodies[1]);
    expect(msg.dispatchRule).toBeUndefined();
    expect(msg.rule?.rule.case).toBe("dispatchRuleIndividual");
    expect([msg.name, msg.trunkIds, msg.inboundNumbers, msg.hidePhoneNumber, msg.roomPreset]).toEqual(["support-line", ["ST_abc123", "ST_def456"], ["+15550100"], true, "preset-1"]);
    expect(msg.roomConfig?.agents).toHaveLength(2);
  });

  it.each(VARIANTS.map((v) => [v.name || "(unnamed)", v] as const))("UpdateSIPDispatchRuleRequest with replace: %s", async (_n, spec) => {
    const [body] = await capture((c) => c.updateRule("SDR_abcdefghijkl", spec), echo);
    const msg = UpdateSIPDispatchRuleRequest.fromJson(body as never, STRICT);
    expect(msg.toJson()).toEqual(body);
    expect(msg.sipDispatchRuleId).toBe("SDR_abcdefghijkl");
    expect(msg.action.case).toBe("replace");
    // The ID goes in the request, never inside the replacement (§5.3).
    expect(msg.action.case === "replace" ? msg.action.value.sipDispatchRuleId : "x").toBe("");
  });

  it("ListSIPDispatchRuleRequest, first and later pages", async () => {
    const bodies = await capture((c) => c.listRules(), { json: { items: [echo.json] } }, { json: { items: [] } });
    expect(bodies).toHaveLength(2);
    for (const body of bodies) {
      const msg = ListSIPDispatchRuleRequest.fromJson(body as never, STRICT);
      expect(msg.toJson()).toEqual(body);
      expect(msg.page?.limit).toBe(500);
    }
    expect(ListSIPDispatchRuleRequest.fromJson(bodies[1] as never, STRICT).page?.afterId).toBe("SDR_x");
  });

  it("DeleteSIPDispatchRuleRequest", async () => {
    const [body] = await capture((c) => c.deleteRule("SDR_abcdefghijkl"), echo);
    const msg = DeleteSIPDispatchRuleRequest.fromJson(body as never, STRICT);
    expect(msg.toJson()).toEqual(body);
    expect(msg.sipDispatchRuleId).toBe("SDR_abcdefghijkl");
  });

  it("ListSIPInboundTrunkRequest (SPEC §8), first and later pages; only IDs and names are kept", async () => {
    const full = Array.from({ length: 100 }, (_, i) => ({ sip_trunk_id: `ST_${String(i).padStart(12, "0")}`, name: `t${i}`, auth_password: "pw-in-clear", headers: { "X-A": "h" } }));
    let listed: unknown;
    const bodies = await capture(
      async (c) => {
        listed = await c.listInboundTrunks();
      },
      { json: { items: full } },
      { json: { items: [{ sipTrunkId: "ST_zzzzzzzzzzzz", name: "last", authPassword: "pw" }] } },
    );
    expect(bodies).toHaveLength(2);
    for (const body of bodies) {
      const msg = ListSIPInboundTrunkRequest.fromJson(body as never, STRICT);
      expect(msg.toJson()).toEqual(body);
      expect(msg.page?.limit).toBe(100);
      expect([msg.trunkIds, msg.numbers]).toEqual([[], []]);
    }
    expect(ListSIPInboundTrunkRequest.fromJson(bodies[1] as never, STRICT).page?.afterId).toBe("ST_000000000099");
    expect(listed).toHaveLength(101);
    expect(JSON.stringify(listed)).not.toMatch(/pw|X-A/);
    expect((listed as unknown[])[100]).toEqual({ id: "ST_zzzzzzzzzzzz", name: "last" });
  });

  it("the strict decoder does reject a field the protocol does not know", () => {
    expect(() => CreateSIPDispatchRuleRequest.fromJson({ dispatchRule: { rule: { dispatchRuleDirect: {} }, roomNam: "x" } }, STRICT)).toThrow(/roomNam/);
  });
});

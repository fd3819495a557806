// The replace body is the listed rule with the managed fields overlaid (SPEC §4, issue #12):
// unknown fields at every level are carried in the server's spelling, known ones come from the
// file only (absent = cleared), and no field is ever sent under two spellings (§3.1 `malformed`).
import { describe, expect, it } from "vitest";
import { decodeRuleInfo, encodeReplace, encodeRuleInfo } from "../../../src/livekit/wire.js";
import { keptFields, overlayReplace } from "../../../src/livekit/wire-raw.js";
import type { JsonObject, RuleSpec } from "../../../src/model/index.js";

const listed = {
  sip_dispatch_rule_id: "SDR_x",
  rule: { dispatch_rule_individual: { room_prefix: "old-", pin: "", no_randomness: false, future_v: 1 } },
  trunk_ids: ["ST_a"],
  hide_phone_number: false,
  inbound_numbers: [],
  numbers: [],
  name: "n",
  metadata: "",
  attributes: { team: "a" },
  room_preset: "",
  room_config: { name: "", agents: [{ agent_name: "bot", future_agent: "x" }, { agent_name: "other", future_agent: "y" }], future_room: 5, egress: null },
  media: { only_listed_codecs: false, codecs: [], future_media: true },
  krisp_enabled: true,
  media_encryption: "SIP_MEDIA_ENCRYPT_DISABLE",
  future_top: "kept",
  futureTop: "twin",
  created_at: "2026-01-01T00:00:00Z",
  updated_at: null,
};

const spec: RuleSpec = { name: "n", individual: { roomPrefix: "new-" }, trunkIds: ["ST_b"], roomConfig: { agents: [{ agentName: "other" }] } };

/** Every key (recursively) in both spellings of one field would be `malformed`. */
function twinKeys(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) v.forEach((x) => twinKeys(x, out));
  else if (typeof v === "object" && v !== null) {
    const seen = new Map<string, string>();
    for (const k of Object.keys(v)) {
      const id = k.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
      if (seen.has(id)) out.push(`${seen.get(id)}/${k}`);
      seen.set(id, k);
      twinKeys((v as Record<string, unknown>)[k], out);
    }
  }
  return out;
}

describe("overlayReplace", () => {
  it("carries unknown fields at every level, takes known ones from the file only", () => {
    const body = encodeReplace(spec, listed);
    expect(body).toEqual({
      future_top: "kept",
      created_at: "2026-01-01T00:00:00Z",
      rule: { dispatchRuleIndividual: { future_v: 1, roomPrefix: "new-" } },
      trunkIds: ["ST_b"],
      name: "n",
      // The agent matched by name keeps its own unknown field, not the one at its old position.
      roomConfig: { future_room: 5, agents: [{ future_agent: "y", agentName: "other" }] },
      media: { future_media: true },
    });
    expect(twinKeys(body)).toEqual([]);
    // Known fields the file does not set are cleared (attributes, krisp), the ID is never inside.
    expect(body).not.toHaveProperty("attributes");
    expect(body).not.toHaveProperty("krispEnabled");
    expect(body).not.toHaveProperty("krisp_enabled");
    expect(body).not.toHaveProperty("sip_dispatch_rule_id");
  });

  it("a changed rule type drops the old variant and its fields (two variants are `malformed`)", () => {
    const body = overlayReplace(listed, encodeRuleInfo({ name: "n", direct: { roomName: "r" } }));
    expect(body.rule).toEqual({ dispatchRuleDirect: { roomName: "r" } });
  });

  it("an unknown key at the rule-type level (a new variant) is never carried", () => {
    const body = overlayReplace({ ...listed, rule: { dispatch_rule_dynamic: { url: "x" } } }, encodeRuleInfo(spec));
    expect(body.rule).toEqual({ dispatchRuleIndividual: { roomPrefix: "new-" } });
  });

  it("without a listed rule it is the managed encoding", () => {
    expect(encodeReplace(spec, undefined)).toEqual(encodeRuleInfo(spec));
  });

  it("keptFields names the unknown fields that hold a value, in the file's names for their parents", () => {
    expect(keptFields(listed).sort()).toEqual(["future_top", "individual.future_v", "media.future_media", "roomConfig.agents[0].future_agent", "roomConfig.agents[1].future_agent", "roomConfig.future_room"].sort());
    expect(keptFields({ sip_dispatch_rule_id: "SDR_y", rule: { dispatch_rule_direct: {} }, empty_future: "", null_future: null })).toEqual([]);
  });

  it("a field the server sends in both spellings is kept, and listed, once: the spelling the replace body carries", () => {
    const twins = {
      sip_dispatch_rule_id: "SDR_t",
      rule: { dispatch_rule_direct: { room_name: "r", future_v: 1, futureV: 1 } },
      future_flag: true,
      futureFlag: true,
      room_config: { future_room: 5 },
      roomConfig: { future_room: 5, futureRoom: 5 },
      later_null: null,
      laterNull: "x",
    };
    expect(keptFields(twins)).toEqual(["direct.future_v", "future_flag", "roomConfig.future_room", "laterNull"]);
    const body = overlayReplace(twins, encodeRuleInfo({ name: "n", direct: { roomName: "r" } }));
    expect(Object.keys(body).filter((k) => /future|later/i.test(k))).toEqual(["future_flag", "laterNull"]);
    expect(body.roomConfig).toEqual({ future_room: 5 });
    expect((body.rule as { dispatchRuleDirect: Record<string, unknown> }).dispatchRuleDirect).toEqual({ future_v: 1, roomName: "r" });
  });

  describe("inside roomConfig.egress (the generated field table)", () => {
    const egressRaw = {
      sip_dispatch_rule_id: "SDR_e",
      name: "rec",
      rule: { dispatch_rule_direct: { room_name: "r" } },
      room_config: {
        egress: {
          room: {
            layout: "speaker",
            future_room: "x",
            file_outputs: [{ filepath: "a.mp4", s3: { bucket: "b", future_token: "T" }, future_out: 1 }],
            advanced: { width: 1280, future_enc: 2 },
          },
          tracks: { filepath: "t/", future_track: true },
          future_kind: { url: "u" },
        },
      },
    };
    const fileEgress: JsonObject = { room: { layout: "grid", fileOutputs: [{ filepath: "a.mp4", s3: { bucket: "c" } }, { filepath: "b.mp4" }], advanced: { width: 640 } } };
    const managed = encodeRuleInfo({ name: "rec", direct: { roomName: "r" }, roomConfig: { egress: fileEgress } });

    it("carries unknown keys at every level, matched by position in lists; known fields come from the file only", () => {
      const body = overlayReplace(egressRaw, managed) as { roomConfig: { egress: Record<string, unknown> } };
      expect(body.roomConfig.egress).toEqual({
        room: {
          future_room: "x",
          layout: "grid",
          fileOutputs: [{ future_out: 1, filepath: "a.mp4", s3: { future_token: "T", bucket: "c" } }, { filepath: "b.mp4" }],
          advanced: { future_enc: 2, width: 640 },
        },
        future_kind: { url: "u" },
      });
    });

    it("an output or upload the file removed is not recreated from its unknown keys; no egress in the file sends none", () => {
      const body = overlayReplace(egressRaw, managed) as { roomConfig: { egress: Record<string, unknown> } };
      // `tracks` is absent from the file: its unknown key does not bring it back (that would start a track egress).
      expect(body.roomConfig.egress).not.toHaveProperty("tracks");
      const noEgress = overlayReplace(egressRaw, encodeRuleInfo({ name: "rec", direct: { roomName: "r" } }));
      expect(noEgress).not.toHaveProperty("roomConfig");
      const gcp = overlayReplace(egressRaw, encodeRuleInfo({ name: "rec", direct: { roomName: "r" }, roomConfig: { egress: { room: { fileOutputs: [{ filepath: "a.mp4", gcp: { bucket: "g" } }] } } } }));
      // Switching the upload (a oneof) never sends the old member beside the new one.
      expect((gcp as { roomConfig: { egress: { room: { fileOutputs: Record<string, unknown>[] } } } }).roomConfig.egress.room.fileOutputs[0]).toEqual({ future_out: 1, filepath: "a.mp4", gcp: { bucket: "g" } });
    });

    it("keptFields lists them by path (the file's names for known parents), never a value", () => {
      const kept = keptFields(egressRaw);
      expect(kept.sort()).toEqual(
        [
          "roomConfig.egress.room.future_room",
          "roomConfig.egress.room.fileOutputs[0].s3.future_token",
          "roomConfig.egress.room.fileOutputs[0].future_out",
          "roomConfig.egress.room.advanced.future_enc",
          "roomConfig.egress.tracks.future_track",
          "roomConfig.egress.future_kind",
        ].sort(),
      );
      expect(kept.join(" ")).not.toMatch(/"T"|\bT\b|speaker/);
    });

    it("keptFor lists only what the update really carries: a removed output's or a changed rule type's unknown fields are not kept", () => {
      const listedRule = decodeRuleInfo(egressRaw);
      const same = listedRule.keptFor?.({ name: "rec", direct: { roomName: "r" }, roomConfig: { egress: { room: { layout: "speaker", fileOutputs: [{ filepath: "a.mp4", s3: { bucket: "b" } }], advanced: { width: 1280 } }, tracks: { filepath: "t/" } } } });
      expect([...(same ?? [])].sort()).toEqual([...(listedRule.kept ?? [])].sort());
      const noTracks = listedRule.keptFor?.({ name: "rec", direct: { roomName: "r" }, roomConfig: { egress: fileEgress } });
      expect([...(noTracks ?? [])].sort()).toEqual(["roomConfig.egress.room.future_room", "roomConfig.egress.room.fileOutputs[0].future_out", "roomConfig.egress.room.fileOutputs[0].s3.future_token", "roomConfig.egress.room.advanced.future_enc", "roomConfig.egress.future_kind"].sort());
      expect(listedRule.keptFor?.({ name: "rec", direct: { roomName: "r" } })).toBeUndefined();
      const typed = decodeRuleInfo(listed);
      expect(typed.keptFor?.({ name: "n", direct: { roomName: "r" } })).not.toContain("individual.future_v");
      expect(typed.kept).toContain("individual.future_v");
    });

    it("the decoded rule holds only the fields this version knows (never diffed); an unknown enum name holds it opaque", () => {
      const rule = decodeRuleInfo(egressRaw);
      expect(rule.spec.roomConfig?.egress).toEqual({ room: { layout: "speaker", fileOutputs: [{ filepath: "a.mp4", s3: { bucket: "b" } }], advanced: { width: 1280 } }, tracks: { filepath: "t/" } });
      expect(rule.opaque).toBeUndefined();
      const quantum = decodeRuleInfo({ ...egressRaw, room_config: { egress: { room: { audio_mixing: "QUANTUM_MIXING", layout: "l" } } } });
      expect(quantum.spec.roomConfig?.egress).toEqual({ room: { layout: "l" } });
      expect(quantum.opaque).toEqual(['roomConfig.egress.room.audioMixing: "QUANTUM_MIXING"']);
    });
  });
});

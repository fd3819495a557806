// roomConfig.egress is checked at validate against the protocol's messages (issue #12): the
// committed schema's egress $defs are what scripts/gen-egress-schema.mjs derives from the
// @livekit/protocol descriptors, and the loader rejects unknown keys, wrong-case enum names and
// non-integers in integer fields, which the server would drop or reject.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { egressDefs, egressFieldTable, renderEgressFields, withEgressDefs } from "../../../scripts/gen-egress-schema.mjs";
import { loadRulesText } from "../../../src/rules-file/index.js";

const SCHEMA = new URL("../../../schemas/dispatch-rules.schema.json", import.meta.url);
const FIELDS = new URL("../../../src/livekit/egress-fields.ts", import.meta.url);

function load(egress: string) {
  const text = ["version: 1", "rules:", "  - name: rec", "    individual: {}", "    roomConfig:", "      egress:", ...egress.split("\n").map((l) => `        ${l}`)].join("\n");
  return loadRulesText(text, "r.yaml", { env: {} });
}

function messages(egress: string): string {
  const r = load(egress);
  if (r.ok) return "";
  return r.diagnostics.map((d) => `${d.message} ${d.hint ?? ""}`).join("\n");
}

describe("the egress schema", () => {
  it("the committed $defs match the @livekit/protocol descriptors (run scripts/gen-egress-schema.mjs --write after a bump)", async () => {
    const text = readFileSync(SCHEMA, "utf8");
    expect(withEgressDefs(text, await egressDefs())).toBe(text);
  });

  it("the committed runtime field table (src/livekit/egress-fields.ts) matches the descriptors too", async () => {
    const table = await egressFieldTable();
    expect(renderEgressFields(table)).toBe(readFileSync(FIELDS, "utf8"));
    // The table and the schema's $defs describe the same messages and fields.
    const defs = (await egressDefs()) as Record<string, { properties: Record<string, unknown> }>;
    for (const [name, fields] of Object.entries(table.messages)) {
      const def = name === "RoomEgress" ? defs.egress : defs[`egress.${name}`];
      expect(Object.keys(def?.properties ?? {}), name).toEqual(Object.keys(fields).map((f) => f.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase())));
    }
  });

  it("covers every message RoomEgress reaches, with a description on every property", async () => {
    const defs = await egressDefs();
    expect(Object.keys(defs)).toEqual(expect.arrayContaining(["egress", "egress.RoomCompositeEgressRequest", "egress.EncodingOptions", "egress.S3Upload", "egress.SegmentedFileOutput", "egress.WebhookConfig"]));
    for (const [name, def] of Object.entries(defs) as [string, { properties: Record<string, { description?: string }> }][]) {
      for (const [key, prop] of Object.entries(def.properties)) expect(prop.description, `${name}.${key}`).toBeTruthy();
    }
  });

  it("accepts protobuf JSON that the server reads", () => {
    const r = load(
      [
        "room:",
        "  layout: speaker",
        "  audioMixing: DUAL_CHANNEL_AGENT",
        "  preset: H264_720P_30",
        "  fileOutputs:",
        "    - fileType: MP4",
        "      filepath: calls/{room_name}.mp4",
        "      s3: { bucket: b, region: us-east-1, metadata: { any-key: v } }",
        "participant:",
        "  advanced: { width: 1280, height: 720, keyFrameInterval: 2.5 }",
      ].join("\n"),
    );
    expect(r.ok, JSON.stringify(r.ok ? [] : r.diagnostics)).toBe(true);
  });

  it.each([
    ["an unknown key", "room: { layuot: speaker }", /layuot/],
    ["a wrong-case enum name", "room: { audioMixing: dual_channel_agent }", /audioMixing|DUAL_CHANNEL_AGENT/],
    ["an enum number (names only in the file)", "room: { audioMixing: 1 }", /audioMixing/],
    ["a float in an int32 field", "participant: { advanced: { width: 1280.5 } }", /width/],
    ["an int32 out of range", "participant: { advanced: { height: 4294967296 } }", /height/],
    ["a negative uint32", "room: { segmentOutputs: [{ segmentDuration: -4 }] }", /segmentDuration/],
    ["two members of one oneof", "participant: { preset: H264_720P_30, advanced: { width: 640 } }", /sets both `preset` and `advanced`, which are one choice/],
    ["a snake_case key", "room: { audio_mixing: DUAL_CHANNEL_AGENT }", /audio_mixing/],
  ])("rejects %s at validate", (_what, egress, expected) => {
    const out = messages(egress);
    expect(out, "expected a diagnostic").not.toBe("");
    expect(out).toMatch(expected);
  });

  it("`${VAR}` in an egress integer field is handled like every other integer field (maxParticipants, codec rate): interpolated, then checked, at file:line:col", () => {
    // SPEC §2 interpolates string values; an integer field gets the interpolated text, a string,
    // and is refused with the same message and position whichever integer field it is.
    const text = ["version: 1", "rules:", "  - name: rec", "    individual: {}", "    roomConfig:", "      maxParticipants: ${N}", "      egress:", "        room:", "          advanced:", "            width: ${N}", "    media:", "      codecs:", "        - name: PCMU", "          rate: ${N}"].join("\n");
    const r = loadRulesText(text, "r.yaml", { env: { N: "1280" } });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const shown = r.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`);
    expect(shown).toEqual([
      "6:24 `maxParticipants` must be a whole number, not a string",
      "10:20 `width` must be a whole number, not a string",
      "14:17 `rate` must be a whole number, not a string",
    ]);
    // Each says why: interpolation gives text.
    expect(r.diagnostics.every((d) => d.hint?.includes("interpolation applies to string values only"))).toBe(true);
    // An unset variable: one diagnostic at each of the three lines, the missing variable.
    const missing = loadRulesText(text, "r.yaml", { env: {} });
    expect(missing.ok ? [] : missing.diagnostics.map((d) => `${d.line} ${d.code ?? ""}`)).toEqual(["6 missing-env", "10 missing-env", "14 missing-env"]);
  });
});

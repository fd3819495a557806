// Keeps schemas/dispatch-rules.schema.json and the TypeScript model (src/model/rule.ts) in step:
// a fully populated Required<RuleSpec> validates, and the schema's rule keys are exactly its keys
// plus the legacy `mediaEncryption` and the file-only `environments` and `trunks` (SPEC §8).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MEDIA_ENCRYPTIONS, RESTART_POLICIES, type RoomAgentDispatch, type RoomConfig, type MediaConfig, type RuleSpec } from "../../../src/model/index.js";
import { getFullValidator as getValidator } from "../../../src/rules-file/validator.js";

const schema = JSON.parse(readFileSync("schemas/dispatch-rules.schema.json", "utf8")) as {
  $defs: Record<string, { properties?: Record<string, { enum?: unknown[]; $ref?: string }>; enum?: unknown[] }>;
  properties: Record<string, unknown>;
};
const props = (def: string) => Object.keys(schema.$defs[def]?.properties ?? {}).sort();

const agent: Required<RoomAgentDispatch> = { agentName: "a", metadata: "m", restartPolicy: "JRP_NEVER", deployment: "d", attributes: { k: "v" } };
const roomConfig: Required<RoomConfig> = {
  name: "n",
  emptyTimeout: 1,
  departureTimeout: 2,
  maxParticipants: 3,
  metadata: "m",
  egress: { room: { layout: "speaker" } },
  minPlayoutDelay: 4,
  maxPlayoutDelay: 5,
  syncStreams: true,
  agents: [agent],
  tags: { t: "1" },
};
const media: Required<MediaConfig> = { onlyListedCodecs: true, codecs: [{ name: "PCMU", rate: 8000 }], encryption: "require", mediaTimeout: "30s" };
// Every key of RuleSpec (TypeScript forces them all); the three variants are checked one at a time.
const full: Required<RuleSpec> = {
  name: "full",
  direct: { roomName: "r", pin: "1" },
  individual: { roomPrefix: "p", pin: "1", noRandomness: true },
  callee: { roomPrefix: "p", pin: "1", randomize: true },
  trunkIds: ["ST_1"],
  inboundNumbers: ["+1"],
  numbers: ["+2"],
  hidePhoneNumber: true,
  metadata: { a: 1 },
  attributes: { a: "b" },
  roomPreset: "preset",
  roomConfig,
  krispEnabled: true,
  media,
};

describe("schema and model", () => {
  it("accepts a fully populated rule of each type", () => {
    const validate = getValidator();
    for (const kind of ["direct", "individual", "callee"] as const) {
      const { direct: _d, individual: _i, callee: _c, ...rest } = full;
      const rule = { ...rest, [kind]: full[kind] };
      expect(validate({ version: 1, rules: [rule] }), JSON.stringify(validate.errors)).toBe(true);
    }
  });

  it("has exactly the model's rule keys plus the legacy mediaEncryption and the file-only environments and trunks (SPEC §8)", () => {
    expect(props("rule")).toEqual([...Object.keys(full), "mediaEncryption", "environments", "trunks"].sort());
  });

  it("has exactly the model's keys for every nested message", () => {
    expect(props("direct")).toEqual(Object.keys(full.direct).sort());
    expect(props("individual")).toEqual(Object.keys(full.individual).sort());
    expect(props("callee")).toEqual(Object.keys(full.callee).sort());
    expect(props("roomConfig")).toEqual(Object.keys(roomConfig).sort());
    expect(props("agent")).toEqual(Object.keys(agent).sort());
    expect(props("media")).toEqual(Object.keys(media).sort());
    expect(props("codec")).toEqual(["name", "rate"]);
  });

  it("accepts every canonical enum value of the model", () => {
    const enc = schema.$defs.mediaEncryption?.enum ?? [];
    for (const e of MEDIA_ENCRYPTIONS) expect(enc).toContain(e);
    const restart = schema.$defs.agent?.properties?.restartPolicy?.enum ?? [];
    for (const r of RESTART_POLICIES) expect(restart).toContain(r);
  });

  it("documents every property", () => {
    const missing: string[] = [];
    const visit = (node: unknown, path: string) => {
      if (node === null || typeof node !== "object") return;
      const obj = node as Record<string, unknown>;
      if (obj.properties && typeof obj.properties === "object")
        for (const [k, v] of Object.entries(obj.properties as Record<string, Record<string, unknown>>)) {
          const target = typeof v.$ref === "string" ? schema.$defs[v.$ref.replace("#/$defs/", "")] : undefined;
          if (typeof v.description !== "string" && typeof (target as Record<string, unknown> | undefined)?.description !== "string") missing.push(`${path}.${k}`);
        }
      for (const [k, v] of Object.entries(obj)) visit(v, `${path}.${k}`);
    };
    visit(schema, "#");
    expect(missing).toEqual([]);
  });

  it("forbids additional properties on every object with declared properties, except the documented pass-throughs", () => {
    const open: string[] = [];
    const visit = (node: unknown, path: string) => {
      if (node === null || typeof node !== "object") return;
      const obj = node as Record<string, unknown>;
      if (obj.properties !== undefined && obj.additionalProperties !== false) open.push(path);
      for (const [k, v] of Object.entries(obj)) visit(v, `${path}/${k}`);
    };
    visit(schema, "#");
    expect(open).toEqual([]);
  });
});

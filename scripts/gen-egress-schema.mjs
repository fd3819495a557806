// Dev-time generator (issue #12): the JSON Schema of `roomConfig.egress` (RoomEgress and every
// message it reaches, livekit-sip-api.md §2.5-§2.6), derived from the @livekit/protocol
// descriptors. @livekit/protocol is a dev dependency, so the runtime cannot read them: the result
// is committed into schemas/dispatch-rules.schema.json ($defs "egress" and "egress.*"), and
// test/unit/rules-file/egress-schema.test.ts fails when the committed schema and the descriptors
// differ. Run `node scripts/gen-egress-schema.mjs --write` after bumping @livekit/protocol. The
// same descriptors give src/livekit/egress-fields.ts, the known fields the runtime overlay needs.
//
// Keys are the protobuf JSON (camelCase) names the file uses; enums take their value names
// (exact case); int32/uint32 are integers in range; a oneof allows one member.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const SCHEMA_FILE = fileURLToPath(new URL("../schemas/dispatch-rules.schema.json", import.meta.url));

// @bufbuild/protobuf v1 ScalarType numbers.
const SCALAR = {
  1: { type: "number", what: "double" },
  2: { type: "number", what: "float" },
  3: { anyOf: [{ type: "integer" }, { type: "string", pattern: "^-?[0-9]+$" }], what: "int64" },
  4: { anyOf: [{ type: "integer", minimum: 0 }, { type: "string", pattern: "^[0-9]+$" }], what: "uint64" },
  5: { type: "integer", minimum: -2147483648, maximum: 2147483647, what: "int32" },
  8: { type: "boolean", what: "bool" },
  9: { type: "string", what: "string" },
  12: { type: "string", what: "bytes (base64)" },
  13: { type: "integer", minimum: 0, maximum: 4294967295, what: "uint32" },
  17: { type: "integer", minimum: -2147483648, maximum: 2147483647, what: "sint32" },
  15: { type: "integer", minimum: -2147483648, maximum: 2147483647, what: "sfixed32" },
  7: { type: "integer", minimum: 0, maximum: 4294967295, what: "fixed32" },
};

function defName(typeName) {
  return `egress.${typeName.replace(/^livekit\./, "")}`;
}

function scalarSchema(t, description) {
  const s = SCALAR[t];
  if (s === undefined) throw new Error(`scalar type ${t} is not mapped`);
  const { what, ...schema } = s;
  return { ...schema, description: `${description} (${what})` };
}

function valueSchema(kind, T, description, defs) {
  if (kind === "scalar") return scalarSchema(T, description);
  if (kind === "enum") return { enum: T.values.map((v) => v.name), description: `${description} (${T.typeName.replace(/^livekit\./, "")})` };
  if (kind === "message") {
    addMessage(T, defs);
    return { $ref: `#/$defs/${defName(T.typeName)}`, description };
  }
  throw new Error(`field kind ${kind} is not mapped`);
}

function fieldSchema(message, f, defs) {
  const short = message.typeName.replace(/^livekit\./, "");
  const description = `${short}.${f.name}${f.oneof ? ` (one of ${f.oneof.name}: ${f.oneof.fields.map((m) => m.jsonName).join(", ")})` : ""}`;
  if (f.kind === "map") {
    const value = valueSchema(f.V.kind, f.V.T, `a value of ${short}.${f.name}`, defs);
    return { type: "object", additionalProperties: value, description: `${description}: a map with string keys` };
  }
  const item = valueSchema(f.kind, f.T, description, defs);
  if (f.repeated) return { type: "array", items: item, description: `${description}: a list` };
  return item;
}

function addMessage(T, defs) {
  const name = defName(T.typeName);
  if (defs[name] !== undefined) return;
  defs[name] = {}; // placeholder against cycles
  const properties = {};
  const oneofs = new Map();
  for (const f of T.fields.list()) {
    properties[f.jsonName] = fieldSchema(T, f, defs);
    if (f.oneof && !f.oneof.name.startsWith("_")) oneofs.set(f.oneof.name, f.oneof.fields.map((m) => m.jsonName));
  }
  const def = {
    description: `${T.typeName.replace(/^livekit\./, "")} (protobuf JSON, camelCase keys; livekit-sip-api.md §2.6)`,
    type: "object",
    additionalProperties: false,
    properties,
  };
  // protojson rejects two members of one oneof (`malformed`, livekit-sip-api.md §3.1).
  const pairs = [];
  for (const members of oneofs.values()) {
    for (let i = 0; i < members.length; i++) for (let j = i + 1; j < members.length; j++) pairs.push([members[i], members[j]]);
  }
  if (pairs.length > 0) def.not = { anyOf: pairs.map((p) => ({ required: p })) };
  defs[name] = def;
}

/** The $defs of RoomEgress and everything it reaches, keyed "egress" (RoomEgress) and "egress.<Message>". */
export async function egressDefs() {
  const protocol = await import("@livekit/protocol");
  const defs = {};
  addMessage(protocol.RoomEgress, defs);
  const root = defs["egress.RoomEgress"];
  delete defs["egress.RoomEgress"];
  root.description = "Automatic egress for rooms created by this rule (RoomEgress, protobuf JSON with camelCase keys). Checked against the protocol's messages: keys, enum names, integer types.";
  const out = { egress: root };
  for (const key of Object.keys(defs).sort()) out[key] = defs[key];
  return out;
}

/**
 * The schema file's text with the egress $defs replaced by `defs`, written in place of the old
 * ones (the block of "egress" and "egress.*" keys of $defs, 4-space indented) so that the rest of
 * the hand-formatted file keeps its bytes.
 */
export function withEgressDefs(schemaText, defs) {
  const lines = schemaText.split("\n");
  const first = lines.findIndex((l) => /^ {4}"egress(\.[A-Za-z0-9]+)?": \{/.test(l));
  if (first < 0) throw new Error('no $defs "egress" in the schema file');
  let last = first + 1;
  // The block ends before the next 4-space key that is not an egress def, or at the end of $defs.
  while (last < lines.length && !/^ {4}"(?!egress)[^"]+": /.test(lines[last] ?? "") && !/^ {2}\}/.test(lines[last] ?? "")) last++;
  const atEnd = /^ {2}\}/.test(lines[last] ?? "");
  const rendered = Object.entries(defs).map(([key, value]) => {
    const body = JSON.stringify(value, null, 2).split("\n").map((l, i) => (i === 0 ? l : `    ${l}`)).join("\n");
    return `    ${JSON.stringify(key)}: ${body}`;
  });
  const block = `${rendered.join(",\n")}${atEnd ? "" : ","}`.split("\n");
  return [...lines.slice(0, first), ...block, ...lines.slice(last)].join("\n");
}

// --- The egress field table (issue #12): the known fields of every message RoomEgress reaches,
// for the runtime overlay (src/livekit/wire-raw.ts carries unknown keys at every level of
// roomConfig.egress) and the decoder (src/livekit/wire-egress.ts leaves them out of the rule).
// Generated from the same descriptors as the $defs, committed as src/livekit/egress-fields.ts
// (the runtime must not load @livekit/protocol, a dev dependency); the drift test covers both.

const FIELDS_FILE = fileURLToPath(new URL("../src/livekit/egress-fields.ts", import.meta.url));

function shortName(typeName) {
  return typeName.replace(/^livekit\./, "");
}

function camelOfName(name) {
  return name.replace(/_([a-z0-9])/g, (_m, c) => c.toUpperCase());
}

function addFields(T, table, enums) {
  const name = shortName(T.typeName);
  if (table[name] !== undefined) return;
  const fields = {};
  table[name] = fields;
  for (const f of T.fields.list()) {
    // The runtime derives the JSON name from the proto name; a field where that is wrong would be
    // read under the wrong key, so the generator refuses it rather than writing a wrong table.
    if (camelOfName(f.name) !== f.jsonName) throw new Error(`${T.typeName}.${f.name}: JSON name ${f.jsonName} is not the camelCase of the proto name`);
    if (f.kind === "message") {
      addFields(f.T, table, enums);
      fields[f.name] = `${f.repeated ? "[]" : ""}${shortName(f.T.typeName)}`;
    } else if (f.kind === "enum" && !f.repeated) {
      const e = shortName(f.T.typeName);
      enums[e] = f.T.values.map((v) => v.name);
      fields[f.name] = `enum ${e}`;
    } else if (f.kind === "map") {
      if (f.V.kind === "message") throw new Error(`${T.typeName}.${f.name}: a map of messages is not mapped`);
      fields[f.name] = "map";
    } else fields[f.name] = "";
  }
}

/** { messages: {Message: {proto_name: "" | "map" | "enum E" | "Message" | "[]Message"}}, enums: {E: [names]} }. */
export async function egressFieldTable() {
  const protocol = await import("@livekit/protocol");
  const messages = {};
  const enums = {};
  addFields(protocol.RoomEgress, messages, enums);
  const sorted = (o) => Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
  return { messages: sorted(messages), enums: sorted(enums) };
}

export function renderEgressFields(table) {
  return [
    "// GENERATED by scripts/gen-egress-schema.mjs from the @livekit/protocol descriptors: do not edit.",
    "// Run `node scripts/gen-egress-schema.mjs --write` after bumping @livekit/protocol; the drift test",
    "// (test/unit/rules-file/egress-schema.test.ts) fails when this file and the descriptors differ.",
    "//",
    "// The known fields of every message roomConfig.egress (RoomEgress) reaches, by proto name:",
    '// "" a scalar (or a list of scalars), "map" a map with user keys, "enum E" an enum of ENUMS,',
    '// "M" a message, "[]M" a list of messages. The runtime reads this, never @livekit/protocol.',
    "",
    `export const EGRESS_MESSAGES: Readonly<Record<string, Readonly<Record<string, string>>>> = ${JSON.stringify(table.messages, null, 2)};`,
    "",
    `export const EGRESS_ENUMS: Readonly<Record<string, readonly string[]>> = ${JSON.stringify(table.enums, null, 2)};`,
    "",
    'export const EGRESS_ROOT = "RoomEgress";',
    "",
  ].join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = readFileSync(SCHEMA_FILE, "utf8");
  const updated = withEgressDefs(text, await egressDefs());
  const fieldsText = readFileSync(FIELDS_FILE, "utf8");
  const fields = renderEgressFields(await egressFieldTable());
  if (process.argv.includes("--write")) {
    writeFileSync(SCHEMA_FILE, updated);
    writeFileSync(FIELDS_FILE, fields);
    console.log(`wrote the egress $defs into ${SCHEMA_FILE} and the field table into ${FIELDS_FILE}`);
  } else if (updated !== text || fields !== fieldsText) {
    console.error("schemas/dispatch-rules.schema.json or src/livekit/egress-fields.ts is out of date with @livekit/protocol; run node scripts/gen-egress-schema.mjs --write");
    process.exit(1);
  } else {
    console.log("the egress $defs and field table match @livekit/protocol");
  }
}

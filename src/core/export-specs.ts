// Pure. The server's named rules as file rules (SPEC §3 `export`): normalised, sorted by name,
// JSON metadata as mappings only when that round-trips byte for byte, pins as `${PIN_<NAME>}`
// placeholders unless asked to include them. Only files that `validate` accepts are written.
import { RULE_KINDS, type RemoteRule, type RuleSpec } from "../model/index.js";
import { compareStrings } from "./canonical-json.js";
import { normalizeRule, parseStructuredMetadata } from "./normalize.js";
import { byId, matchesManage } from "./ownership.js";

/** "PIN_" + the rule name upper-cased, every character outside [A-Z0-9_] as "_". */
export function pinPlaceholderVar(name: string): string {
  return `PIN_${name.toUpperCase().replace(/[^A-Z0-9_]/g, "_")}`;
}

/**
 * Named rules only (optionally filtered by one `names` glob), sorted by name. Of several rules
 * with one name only the lowest ID is exported (a file cannot hold duplicate names; `plan` then
 * deletes the others, SPEC §4).
 */
export function exportSpecs(remote: readonly RemoteRule[], options: { names?: string; includePins: boolean }): RuleSpec[] {
  const byName = new Map<string, RemoteRule>();
  for (const rule of [...remote].sort(byId)) {
    const name = rule.spec.name;
    if (name === "" || byName.has(name)) continue;
    if (options.names !== undefined && !matchesManage(name, [options.names])) continue;
    byName.set(name, rule);
  }
  return [...byName.keys()].sort(compareStrings).map((name) => {
    const rule = byName.get(name) as RemoteRule;
    let spec = normalizeRule(rule.spec);
    if (typeof spec.metadata === "string") {
      // A JSON string becomes a mapping only when the mapping is sent back as the very same
      // string (compact, sorted keys); otherwise it stays a string, byte for byte: a parse can
      // lose data (big numbers, duplicate keys) that the next update would write back.
      const parsed = parseStructuredMetadata(spec.metadata);
      if (parsed !== undefined && typeof parsed === "object" && parsed !== null && JSON.stringify(parsed) === spec.metadata) spec = { ...spec, metadata: parsed };
    }
    // The file needs a direct rule's roomName (the schema requires it); the server allows "".
    if (spec.direct !== undefined && spec.direct.roomName === undefined) spec = { ...spec, direct: { roomName: "", ...spec.direct } };
    if (!options.includePins) {
      for (const kind of RULE_KINDS) {
        const variant = spec[kind];
        if (variant?.pin) spec = { ...spec, [kind]: { ...variant, pin: `\${${pinPlaceholderVar(name)}}` } };
      }
    }
    return spec;
  });
}

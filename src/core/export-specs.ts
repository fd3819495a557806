// Pure. The server's named rules as file rules (SPEC §3 `export`): normalised, sorted by name,
// JSON metadata as mappings, pins as `${PIN_<NAME>}` placeholders unless asked to include them.
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
      const parsed = parseStructuredMetadata(spec.metadata);
      if (parsed !== undefined && typeof parsed === "object" && parsed !== null) spec = { ...spec, metadata: parsed };
    }
    if (!options.includePins) {
      for (const kind of RULE_KINDS) {
        const variant = spec[kind];
        if (variant?.pin) spec = { ...spec, [kind]: { ...variant, pin: `\${${pinPlaceholderVar(name)}}` } };
      }
    }
    return spec;
  });
}

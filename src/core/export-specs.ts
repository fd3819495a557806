// Pure. The server's named rules as file rules (SPEC §3 `export`): normalised, sorted by name,
// JSON metadata as mappings only when that round-trips byte for byte, and every secret (pins,
// egress credentials) as a `${...}` placeholder unless asked to include them. Placeholders are
// unique across the export. Only files that `validate` accepts are written.
import { RULE_KINDS, type RemoteRule, type RuleSpec } from "../model/index.js";
import { compareStrings, isPlainObject } from "./canonical-json.js";
import { isEgressSecretField } from "./mask-secrets.js";
import { normalizeRule, parseStructuredMetadata } from "./normalize.js";
import { byId, matchesManage } from "./ownership.js";

/** "PIN_" + the rule name upper-cased, every character outside [A-Z0-9_] as "_". */
export function pinPlaceholderVar(name: string): string {
  return `PIN_${variablePart(name)}`;
}

function variablePart(text: string): string {
  return text.toUpperCase().replace(/[^A-Z0-9_]/g, "_");
}

/** One placeholder of an export: the variable, and where it stands. */
export interface Placeholder {
  readonly variable: string;
  /** Index of the rule in the exported list. */
  readonly rule: number;
  /** Path of the value in the rule, e.g. ["direct", "pin"] or ["roomConfig", "egress", "tracks", "s3", "secret"]. */
  readonly path: readonly (string | number)[];
}

export interface ExportResult {
  readonly specs: RuleSpec[];
  readonly placeholders: readonly Placeholder[];
}

/**
 * Named rules only (optionally filtered by one `names` glob), sorted by name. Of several rules
 * with one name only the lowest ID is exported (a file cannot hold duplicate names; `plan` then
 * deletes the others, SPEC §4).
 */
export function exportSpecs(remote: readonly RemoteRule[], options: { names?: string; includePins: boolean }): RuleSpec[] {
  return exportRules(remote, options).specs;
}

/**
 * exportSpecs with the placeholders it wrote. Variables are unique: names that spell the same
 * variable (`front-desk`, `front_desk`, `Front Desk` are all FRONT_DESK) get `_2`, `_3`, ... in
 * name order, so the same server always exports the same variables.
 */
export function exportRules(remote: readonly RemoteRule[], options: { names?: string; includePins: boolean }): ExportResult {
  const byName = new Map<string, RemoteRule>();
  for (const rule of [...remote].sort(byId)) {
    const name = rule.spec.name;
    if (name === "" || byName.has(name)) continue;
    if (options.names !== undefined && !matchesManage(name, [options.names])) continue;
    byName.set(name, rule);
  }
  const used = new Set<string>();
  const unique = (base: string): string => {
    let v = base;
    for (let n = 2; used.has(v); n++) v = `${base}_${n}`;
    used.add(v);
    return v;
  };
  const placeholders: Placeholder[] = [];
  const specs = [...byName.keys()].sort(compareStrings).map((name, index) => {
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
    if (options.includePins) return spec;
    for (const kind of RULE_KINDS) {
      const variant = spec[kind];
      if (variant?.pin) {
        const variable = unique(pinPlaceholderVar(name));
        placeholders.push({ variable, rule: index, path: [kind, "pin"] });
        spec = { ...spec, [kind]: { ...variant, pin: `\${${variable}}` } };
      }
    }
    const roomConfig = spec.roomConfig as (Record<string, unknown> & { egress?: unknown }) | undefined;
    if (roomConfig?.egress !== undefined) {
      const egress = placeholdEgress(roomConfig.egress, ["roomConfig", "egress"], (path) => {
        const variable = unique(`EGRESS_${variablePart(name)}_${path.slice(2).map((p) => variablePart(String(p).replace(/([a-z0-9])([A-Z])/g, "$1_$2"))).join("_")}`);
        placeholders.push({ variable, rule: index, path });
        return `\${${variable}}`;
      });
      spec = { ...spec, roomConfig: { ...roomConfig, egress } as RuleSpec["roomConfig"] };
    }
    return spec;
  });
  return { specs, placeholders };
}

/** A copy of an egress value with each set credential replaced by `placeholder(path)`. */
function placeholdEgress(value: unknown, path: readonly (string | number)[], placeholder: (path: readonly (string | number)[]) => string): unknown {
  if (Array.isArray(value)) return value.map((v, i) => placeholdEgress(v, [...path, i], placeholder));
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = value[key];
    const child = [...path, key];
    const replaced = isEgressSecretField(key) && v !== undefined && v !== null && v !== "" ? placeholder(child) : placeholdEgress(v, child, placeholder);
    Object.defineProperty(out, key, { value: replaced, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

// Pure. SPEC §8 trunk names: a rule's `trunks: [NAME]` resolved against the server's inbound
// trunks (ID and name only: the tool never holds more of a trunk). A name must match exactly one
// inbound trunk; zero or several, or a list that failed, is an error at the rule's line and
// nothing is applied. The resolved IDs join `trunkIds`, so the diff and the conflict check work
// on IDs. `trunkIds` that name no inbound trunk are warned about: the server accepts them
// silently, and such a rule never matches a call (livekit-sip-api.md §11.1).
import { conflictKeyId, conflictKeysOf, describeConflictKey, type DesiredRule, type DesiredState, type Diagnostic, type InboundTrunk } from "../model/index.js";

export interface ResolvedTrunk {
  readonly name: string;
  readonly id: string;
}

export interface TrunkResolution {
  /** The state with every `trunks:` name turned into its ID in `trunkIds`. */
  readonly state: DesiredState;
  /** Errors: the state must not be planned when there is any. */
  readonly diagnostics: readonly Diagnostic[];
  readonly warnings: readonly string[];
  /** The names used and their IDs, sorted by name: the plan shows `main-carrier (ST_abc)`. */
  readonly resolved: readonly ResolvedTrunk[];
}

/** Whether the file needs the trunk list at all: names to resolve, or IDs to check. */
export function needsTrunkList(state: DesiredState): boolean {
  return state.rules.some((r) => (r.trunks?.length ?? 0) > 0 || (r.spec.trunkIds?.length ?? 0) > 0);
}

function at(rule: DesiredRule, file: string): Pick<Diagnostic, "file" | "line" | "column"> {
  const loc = rule.loc;
  return loc === undefined ? { file, line: 0, column: 0 } : { file: loc.file, line: loc.line, column: loc.column };
}

function where(state: DesiredState): string {
  return state.environment === undefined ? "on the server" : `in environment ${state.environment.name}`;
}

/** The closest trunk name by a simple measure (same letters ignoring case, `-`, `_` and spaces). */
function similar(name: string, names: readonly string[]): string | undefined {
  const fold = (s: string) => s.toLowerCase().replace(/[\s_-]/g, "");
  return names.find((n) => fold(n) === fold(name));
}

/**
 * Resolves every rule's trunk names with `trunks` (the server's inbound trunks), or reports the
 * list's failure at each rule that names a trunk. Never throws.
 */
export function resolveTrunkNames(state: DesiredState, trunks: readonly InboundTrunk[] | { readonly error: string }): TrunkResolution {
  const diagnostics: Diagnostic[] = [];
  const warnings: string[] = [];
  const named = state.rules.filter((r) => (r.trunks?.length ?? 0) > 0);
  if (!Array.isArray(trunks)) {
    const error = (trunks as { error: string }).error;
    for (const r of named) {
      diagnostics.push({
        code: "trunk-list-failed",
        severity: "error",
        message: `rule \`${r.spec.name}\` names inbound trunks (${(r.trunks ?? []).join(", ")}), but listing the inbound trunks ${where(state)} failed: ${error}`,
        hint: "the names cannot be resolved, so nothing is applied; check the server and the key's sip.admin grant, then run again",
        ...at(r, state.file),
        path: "trunks",
      });
    }
    if (named.length === 0 && needsTrunkList(state)) warnings.push(`trunkIds were not checked against the inbound trunks ${where(state)}: ${error}`);
    return { state, diagnostics, warnings, resolved: [] };
  }
  const list = trunks as readonly InboundTrunk[];
  const byName = new Map<string, string[]>();
  for (const t of list) {
    if (t.name === "") continue;
    const ids = byName.get(t.name);
    if (ids === undefined) byName.set(t.name, [t.id]);
    else ids.push(t.id);
  }
  const inbound = new Set(list.map((t) => t.id));
  const used = new Map<string, string>();
  const rules: DesiredRule[] = state.rules.map((r) => {
    const unknownIds = (r.spec.trunkIds ?? []).filter((id) => !inbound.has(id));
    if (unknownIds.length > 0) {
      warnings.push(
        `rule \`${r.spec.name}\`: trunkIds ${unknownIds.join(", ")} ${unknownIds.length === 1 ? "is" : "are"} not an inbound trunk ${where(state)}; the server accepts it, but the rule never matches a call (an outbound or deleted trunk?)`,
      );
    }
    const names = r.trunks ?? [];
    if (names.length === 0) return r;
    const ids: string[] = [];
    for (const name of names) {
      const found = byName.get(name) ?? [];
      if (found.length === 1) {
        ids.push(found[0] as string);
        used.set(name, found[0] as string);
        continue;
      }
      const near = found.length === 0 ? similar(name, [...byName.keys()]) : undefined;
      diagnostics.push({
        code: found.length === 0 ? "unknown-trunk" : "ambiguous-trunk",
        severity: "error",
        message:
          found.length === 0
            ? `rule \`${r.spec.name}\`: no inbound trunk ${where(state)} is named \`${name}\` (${list.length} inbound trunk(s) listed)`
            : `rule \`${r.spec.name}\`: ${found.length} inbound trunks ${where(state)} are named \`${name}\` (${found.join(", ")})`,
        hint:
          found.length === 0
            ? near !== undefined
              ? `did you mean \`${near}\`? Names are matched exactly`
              : "create the trunk, or fix the name (matched exactly, case included); nothing was applied"
            : "trunk names are not unique on the server: rename all but one, or name the trunk by ID in trunkIds; nothing was applied",
        ...at(r, state.file),
        path: "trunks",
      });
    }
    const trunkIds = [...new Set([...(r.spec.trunkIds ?? []), ...ids])];
    const spec = { ...r.spec, trunkIds };
    // Keep `loc` lazy: read it only when needed, as the loader made it.
    return Object.defineProperty({ spec, trunks: names }, "loc", { get: () => r.loc, enumerable: true }) as DesiredRule;
  });
  // Only with every name resolved: an unresolved rule would look like one on every trunk.
  if (diagnostics.length === 0) diagnostics.push(...conflictsOnIds(rules, state));
  const resolved = [...used.entries()].map(([name, id]) => ({ name, id })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { state: { ...state, rules }, diagnostics, warnings, resolved };
}

/**
 * The server's conflict rule again, now on IDs: two names may be one trunk, or a name may be the
 * trunk another rule names by ID. Only pairs involving a rule with trunk names are new here (the
 * loader checked the rest).
 */
function conflictsOnIds(rules: readonly DesiredRule[], state: DesiredState): Diagnostic[] {
  // Without a trunk name there is no new pair, and the walk over every rule's keys (about 90 ms
  // at 100,000 rules) would find nothing.
  if (!rules.some((r) => r.trunks !== undefined)) return [];
  const owner = new Map<string, DesiredRule>();
  const out: Diagnostic[] = [];
  const reported = new Set<string>();
  for (const r of rules) {
    for (const key of conflictKeysOf(r.spec)) {
      const id = conflictKeyId(key);
      const prev = owner.get(id);
      if (prev === undefined) {
        owner.set(id, r);
        continue;
      }
      if (prev === r || (prev.trunks === undefined && r.trunks === undefined)) continue;
      const pair = `${prev.spec.name}\u0000${r.spec.name}`;
      if (reported.has(pair)) continue;
      reported.add(pair);
      out.push({
        code: "rule-conflict",
        severity: "error",
        message: `rule \`${r.spec.name}\` conflicts with rule \`${prev.spec.name}\` once trunk names are resolved ${where(state)}: both match ${describeConflictKey(key)}`,
        hint: "two trunk names (or a name and a trunk ID) are the same trunk: the server would reject the second rule; give one of them different trunks, numbers or inbound numbers",
        ...at(r, state.file),
        path: "trunks",
      });
    }
  }
  return out;
}

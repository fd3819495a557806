// Pure. Which remote rules this file owns (SPEC §4 `manage` globs), and which of several remote
// rules sharing one name survives (equal to the file first, else the lowest ID).
import type { RemoteRule, RuleSpec } from "../model/index.js";
import { compareStrings } from "./canonical-json.js";
import { equalNormalized } from "./diff-fields.js";
import { normalizeRule } from "./normalize.js";

const globCache = new Map<string, RegExp>();

function globToRegExp(glob: string): RegExp {
  let re = globCache.get(glob);
  if (re === undefined) {
    const body = [...glob]
      .map((ch) => (ch === "*" ? "[\\s\\S]*" : ch === "?" ? "[\\s\\S]" : ch.replace(/[\\^$.|+()[\]{}]/g, "\\$&")))
      .join("");
    re = new RegExp(`^${body}$`, "u");
    globCache.set(glob, re);
  }
  return re;
}

/** True when `name` matches one of the globs (`*` = any run of characters, `?` = one). "" is never managed. */
export function matchesManage(name: string, globs: readonly string[]): boolean {
  if (name === "") return false;
  // A loop rather than globs.some(...): no closure per call; holes are skipped as `some` does.
  for (let i = 0; i < globs.length; i++) {
    if (i in globs && globToRegExp(globs[i] as string).test(name)) return true;
  }
  return false;
}

/**
 * matchesManage(name, globs) as a function of the name, for testing many names against one list:
 * a lone `*` (the default, SPEC §2) matches every non-empty name without running a regex.
 */
export function manageMatcher(globs: readonly string[]): (name: string) => boolean {
  for (let i = 0; i < globs.length; i++) {
    if (i in globs && globs[i] === "*") return (name) => name !== "";
  }
  return (name) => matchesManage(name, globs);
}

/** Sorts remote rules by ID (the server's own list order). */
export function byId(a: RemoteRule, b: RemoteRule): number {
  return compareStrings(a.id, b.id);
}

/** A remote rule with its normalised spec (normalizeRule(rule.spec)). */
export interface NormalizedRemote {
  readonly rule: RemoteRule;
  readonly spec: RuleSpec;
}

/** The rule to keep among remote rules of one name: the first (by ID) equal to the file, else the lowest ID. */
export function pickSurvivor(group: readonly RemoteRule[], desired: RuleSpec): RemoteRule | undefined {
  const sorted = [...group].sort(byId).map((rule) => ({ rule, spec: normalizeRule(rule.spec) }));
  return pickSurvivorNormalized(sorted, normalizeRule(desired))?.rule;
}

/** pickSurvivor for a group already sorted by ID, normalised, against a normalised desired spec. */
export function pickSurvivorNormalized(group: readonly NormalizedRemote[], desired: RuleSpec): NormalizedRemote | undefined {
  // One candidate survives whether or not it equals the file.
  if (group.length <= 1) return group[0];
  return group.find((r) => equalNormalized(r.spec, desired)) ?? group[0];
}

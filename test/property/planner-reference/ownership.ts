// Reference copy of src/core/ownership.ts as it was before the planner speed-up (commit 415d88c), kept
// unchanged so that the property tests can check the fast planner against it. Not product code.
// Pure. Which remote rules this file owns (SPEC §4 `manage` globs), and which of several remote
// rules sharing one name survives (equal to the file first, else the lowest ID).
import type { RemoteRule, RuleSpec } from "../../../src/model/index.js";
import { compareStrings } from "./canonical-json.js";
import { rulesEqual } from "./diff-fields.js";

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
  return globs.some((g) => globToRegExp(g).test(name));
}

/** Sorts remote rules by ID (the server's own list order). */
export function byId(a: RemoteRule, b: RemoteRule): number {
  return compareStrings(a.id, b.id);
}

/** The rule to keep among remote rules of one name: the first (by ID) equal to the file, else the lowest ID. */
export function pickSurvivor(group: readonly RemoteRule[], desired: RuleSpec): RemoteRule | undefined {
  const sorted = [...group].sort(byId);
  return sorted.find((r) => rulesEqual(r.spec, desired)) ?? sorted[0];
}

// Pure. Which remote rules this file owns (SPEC §4 `manage` globs), and which of several remote
// rules sharing one name survives (equal to the file first, else the lowest ID).
import type { RemoteRule, RuleSpec } from "../model/index.js";
import { compareStrings } from "./canonical-json.js";
import { equalNormalized } from "./diff-fields.js";
import { normalizeRule } from "./normalize.js";

/** A glob split at its `*`s, each piece as code points (`?` is one code point, like the old `u` regex). */
interface CompiledGlob {
  readonly pieces: readonly (readonly string[])[];
  /** Whether the glob starts / ends with `*` (the first / last piece may float). */
  readonly openStart: boolean;
  readonly openEnd: boolean;
}

const globCache = new Map<string, CompiledGlob>();

function compileGlob(glob: string): CompiledGlob {
  let c = globCache.get(glob);
  if (c === undefined) {
    const parts = glob.split("*");
    c = {
      pieces: parts.filter((p, i) => p !== "" || i === 0 || i === parts.length - 1).map((p) => [...p]),
      openStart: parts.length > 1 && parts[0] === "",
      openEnd: parts.length > 1 && parts[parts.length - 1] === "",
    };
    if (globCache.size > 1000) globCache.clear();
    globCache.set(glob, c);
  }
  return c;
}

/** Whether `piece` (with `?` = any one) matches `name` at `at`. */
function pieceAt(name: readonly string[], at: number, piece: readonly string[]): boolean {
  if (at + piece.length > name.length) return false;
  for (let k = 0; k < piece.length; k++) if (piece[k] !== "?" && piece[k] !== name[at + k]) return false;
  return true;
}

/**
 * Glob matching without backtracking (a regex with ten `*` took 34 s on a 40-character name):
 * the pieces between `*`s must appear in order, the first at the start and the last at the end
 * unless a `*` frees them; taking each middle piece at its leftmost place is always right. Time is
 * at most (name length x glob length), whatever the glob.
 */
export function globMatches(glob: string, nameText: string): boolean {
  const { pieces, openStart, openEnd } = compileGlob(glob);
  const name = [...nameText];
  if (pieces.length === 1 && !openStart && !openEnd) {
    const only = pieces[0] as readonly string[];
    return only.length === name.length && pieceAt(name, 0, only);
  }
  let from = 0;
  let first = 0;
  let last = pieces.length - 1;
  if (!openStart) {
    const head = pieces[0] as readonly string[];
    if (!pieceAt(name, 0, head)) return false;
    from = head.length;
    first = 1;
  }
  let end = name.length;
  if (!openEnd) {
    const tail = pieces[last] as readonly string[];
    if (end - tail.length < from || !pieceAt(name, end - tail.length, tail)) return false;
    end -= tail.length;
    last -= 1;
  }
  for (let p = first; p <= last; p++) {
    const piece = pieces[p] as readonly string[];
    let at = from;
    while (at + piece.length <= end && !pieceAt(name, at, piece)) at++;
    if (at + piece.length > end) return false;
    from = at + piece.length;
  }
  return true;
}

/** True when `name` matches one of the globs (`*` = any run of characters, `?` = one). "" is never managed. */
export function matchesManage(name: string, globs: readonly string[]): boolean {
  if (name === "") return false;
  // A loop rather than globs.some(...): no closure per call; holes are skipped as `some` does.
  for (let i = 0; i < globs.length; i++) {
    if (i in globs && globMatches(globs[i] as string, name)) return true;
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

// Pure. Detects a second writer (another daemon, a person, a script) that keeps reverting a rule
// this daemon writes (SPEC §6). A rule this daemon wrote successfully that needs writing again,
// while the file has not changed, was flipped back by someone else. After the same rule flipped
// back twice in a row the daemon stops writing it (both sides writing for ever helps nobody and
// hides the problem) until the file changes, or a reconcile finds the held rule in sync (the
// other side stopped, or gave in).

/** Times the same rule may be flipped back before this daemon stops writing it. */
export const FLIPS_BEFORE_FIGHTING = 2;

interface RuleTrack {
  /** Written successfully by this daemon at this file version. */
  writtenAt: unknown;
  /** Consecutive flips back seen since then. */
  flips: number;
  fighting: boolean;
}

export interface FightCheck {
  /** The rule names to leave alone in this reconcile (fighting, old and new). */
  readonly hold: ReadonlySet<string>;
  /** Rules that started fighting in this reconcile (to log once). */
  readonly started: readonly string[];
}

export interface FightTracker {
  /**
   * Before applying: `version` identifies the file's content (a change forgets every rule's
   * history), `needing` names the rules this plan would write, `inSync` those that need nothing.
   */
  check(version: unknown, needing: readonly string[], inSync: Iterable<string>): FightCheck;
  /** After applying: the rules written successfully at `version`. */
  written(version: unknown, names: Iterable<string>): void;
  /** Rules currently left alone, sorted. */
  fighting(): readonly string[];
}

export function createFightTracker(flipsBeforeFighting = FLIPS_BEFORE_FIGHTING): FightTracker {
  let fileVersion: unknown;
  const tracks = new Map<string, RuleTrack>();

  return {
    check(version, needing, inSync) {
      if (version !== fileVersion) {
        fileVersion = version;
        tracks.clear();
      }
      // A held rule found equal to the file: the other side stopped (or gave in). A rule merely
      // in sync since this daemon wrote it keeps its count: the next flip back still counts.
      for (const name of inSync) if (tracks.get(name)?.fighting === true) tracks.delete(name);
      const hold = new Set<string>();
      const started: string[] = [];
      for (const name of needing) {
        const t = tracks.get(name);
        if (t === undefined) continue;
        if (t.fighting) {
          hold.add(name);
          continue;
        }
        if (t.writtenAt !== version) continue;
        // Written by this daemon for this very file, and it needs writing again: flipped back.
        t.flips += 1;
        t.writtenAt = undefined;
        if (t.flips >= flipsBeforeFighting) {
          t.fighting = true;
          hold.add(name);
          started.push(name);
        }
      }
      return { hold, started: started.sort() };
    },
    written(version, names) {
      if (version !== fileVersion) return;
      for (const name of names) {
        const t = tracks.get(name);
        if (t === undefined) tracks.set(name, { writtenAt: version, flips: 0, fighting: false });
        else t.writtenAt = version;
      }
    },
    fighting() {
      return [...tracks].filter(([, t]) => t.fighting).map(([name]) => name).sort();
    },
  };
}

// Process wiring. How far V8 lets the old generation grow after a full collection, for a one-shot
// command that loads a large rules file.
//
// V8 grows it up to 4 times the live size when collecting is cheap. A plan of 100,000 realistic
// rules (a 37 MiB file) keeps about 180 MB live at its end, but the file's parse tree, dead once
// the rules are built and already in the old generation, stayed uncollected to the end: peak RSS
// 480 MB. Bounded to 1.8 times, one more full collection frees it: 425-428 MB, in the same time
// (paired runs, issue 19). On a smaller file the extra collection costs more than it saves (10,000
// rules: 5 % slower, and a peak of 142 MB), hence the threshold.
import { flagGiven, setV8Flag, v8Major } from "./v8-flags.js";

/** Files from this size (about 43,000 realistic rules) load with the bounded growth. */
export const BOUNDED_GROWTH_FROM_BYTES = 16 * 1024 * 1024;

/** --heap-growing-percent: the old generation may grow to 1.8 times its live size. */
const GROWTH_PERCENT = 80;

/**
 * Whether to bound the growth: a large file, a V8 that has the flag (11-13, Node 20-24: an
 * unknown flag prints an error), and no growth given on the command line or in NODE_OPTIONS.
 */
export function boundsHeapGrowth(fileBytes: number, v8Version: string, execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  if (fileBytes < BOUNDED_GROWTH_FROM_BYTES) return false;
  const major = v8Major(v8Version);
  if (!(major >= 11 && major <= 13)) return false;
  return !flagGiven(/heap[-_]growing[-_]percent/, execArgv, nodeOptions);
}

/** Bounds the growth (see above) when boundsHeapGrowth says so; V8 reads the flag at each heap limit. */
export function boundHeapGrowthFor(fileBytes: number): void {
  if (!boundsHeapGrowth(fileBytes, process.versions.v8, process.execArgv, process.env.NODE_OPTIONS)) return;
  setV8Flag(`--heap-growing-percent=${GROWTH_PERCENT}`);
}

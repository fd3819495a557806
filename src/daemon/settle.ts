// I/O through injected functions (stat, clock, sleep). The settle rule (SPEC §6): a plan with
// deletes that follows a file change is applied only once the file has been unchanged for
// `--settle`. A writer that writes the file in place in pieces (a slow copy, a script writing in
// chunks) leaves a shorter, valid-looking file for a moment; its plan deletes what the rest of the
// file would keep, and the rest of the write re-creates it with new IDs. Waiting for quiet costs a
// delete a couple of seconds and nothing else (creates and updates are not held back).

/** What identifies one version of the file on disk; any difference means it changed. */
export interface FileStamp {
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

export interface SettleDeps {
  readonly settleMs: number;
  /** The file's stamp (following symlinks), or undefined when it cannot be read now. */
  readonly stamp: () => Promise<FileStamp | undefined>;
  /** Milliseconds since the watcher's last event on the file; undefined when not known. */
  readonly quietFor?: () => number | undefined;
  /** Monotonic milliseconds. */
  readonly now: () => number;
  /** Wall-clock milliseconds (file times are wall clock). */
  readonly wallNow: () => number;
  /** Resolves after ms, or early once `signal` aborts. */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly signal?: AbortSignal;
}

export interface SettleResult {
  /** How long it waited (0: the file had already been quiet for settleMs). */
  readonly waitedMs: number;
  /** False when the wait ended because `signal` aborted. */
  readonly settled: boolean;
}

function sameStamp(a: FileStamp | undefined, b: FileStamp | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

/**
 * Waits until the file has been unchanged for settleMs: no watcher event and no new stamp (the
 * change time counts from the file's own ctime/mtime, so a write just before the daemon looked
 * counts too; a change seen while waiting counts from when it was seen). A file time in the
 * future (a skewed clock) counts as "changed now" once, never forever.
 */
export async function waitForSettledFile(deps: SettleDeps): Promise<SettleResult> {
  const started = deps.now();
  const changedAt = (stamp: FileStamp | undefined): number => {
    if (stamp === undefined) return deps.now();
    const age = deps.wallNow() - Math.max(stamp.mtimeMs, stamp.ctimeMs);
    return deps.now() - Math.min(Math.max(0, age), deps.settleMs);
  };
  let stamp = await deps.stamp();
  let lastChange = changedAt(stamp);
  let slept = false;
  const waited = (): number => (slept ? Math.max(1, deps.now() - started) : 0);
  for (;;) {
    if (deps.signal?.aborted) return { waitedMs: waited(), settled: false };
    const quiet = deps.quietFor?.();
    if (quiet !== undefined) lastChange = Math.max(lastChange, deps.now() - quiet);
    // Whole milliseconds: a remainder of a fraction of one is no reason to wait (and plan) again.
    const remaining = Math.ceil(deps.settleMs - (deps.now() - lastChange));
    if (remaining <= 0) return { waitedMs: waited(), settled: true };
    slept = true;
    await deps.sleep(Math.min(remaining, deps.settleMs), deps.signal);
    const next = await deps.stamp();
    if (!sameStamp(stamp, next)) {
      // Seen changing while it waited: quiet from now on, whatever its times say (a swapped-in
      // file can carry an old mtime).
      stamp = next;
      lastChange = deps.now();
    }
  }
}

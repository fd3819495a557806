// I/O (reads one file; the reader and sleep are injectable). Re-reads a file until two reads in a
// row are byte-identical, so a file caught half-written is never parsed, let alone applied (SPEC §5).
import { readFile as fsReadFile } from "node:fs/promises";

export type StableReadFailure = "missing" | "unstable" | "unreadable";

export type StableRead =
  | { readonly ok: true; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly reason: StableReadFailure; readonly detail: string };

export interface ReadStableOptions {
  /** Pause between two reads (no pause, and no timer, when 0). */
  readonly settleMs: number;
  /**
   * Pause between the first and the second read, when it differs from settleMs: 0 when the caller
   * already knows that the file has been quiet for settleMs (the watcher saw no event), so the two
   * reads run back to back. Later pauses, for a file that did change between reads, use settleMs.
   */
  readonly firstSettleMs?: number;
  /** Reads before giving up as "unstable"; at least 2. */
  readonly maxReads: number;
  readonly readFile?: (path: string) => Promise<Uint8Array>;
  readonly sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

type OneRead = { readonly ok: true; readonly bytes: Uint8Array } | { readonly ok: false; readonly reason: StableReadFailure; readonly detail: string };

async function readOnce(path: string, read: (p: string) => Promise<Uint8Array>): Promise<OneRead> {
  try {
    return { ok: true, bytes: await read(path) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException | null)?.code;
    const detail = err instanceof Error ? err.message : String(err);
    // ENOTDIR: a parent path component is a file; for the user the rules file is just not there.
    // A dangling symlink (ConfigMap mid-cleanup) also reports ENOENT.
    if (code === "ENOENT" || code === "ENOTDIR") return { ok: false, reason: "missing", detail };
    return { ok: false, reason: "unreadable", detail };
  }
}

export async function readStableFile(path: string, options: ReadStableOptions): Promise<StableRead> {
  const read = options.readFile ?? fsReadFile;
  const sleep = options.sleep ?? defaultSleep;
  const maxReads = Math.max(2, Math.floor(options.maxReads));

  let previous = await readOnce(path, read);
  if (!previous.ok) return previous;
  for (let reads = 2; reads <= maxReads; reads++) {
    const pause = reads === 2 ? (options.firstSettleMs ?? options.settleMs) : options.settleMs;
    if (pause > 0) await sleep(pause);
    const current = await readOnce(path, read);
    if (!current.ok) return current;
    if (sameBytes(previous.bytes, current.bytes)) return current;
    previous = current;
  }
  return {
    ok: false,
    reason: "unstable",
    detail: `${path} was still changing after ${maxReads} reads ${options.settleMs} ms apart`,
  };
}

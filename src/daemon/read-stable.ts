// I/O (reads one file; the reader and sleep are injectable). Re-reads a file until two reads in a
// row are byte-identical, so a file caught half-written is never parsed, let alone applied (SPEC §5).
// Every read has the one-shot commands' guards (SPEC §5 bounds): a regular file under the size cap,
// opened without blocking (a FIFO would otherwise hold a thread-pool thread, and the daemon, for
// good) and read no further than the cap (a symlink to /dev/zero would otherwise fill the heap).
import { Buffer } from "node:buffer";
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { MAX_FILE_BYTES } from "../rules-file/index.js";

export type StableReadFailure = "missing" | "unstable" | "unreadable" | "not-a-file" | "too-large";

/** A read refused by a guard; `reason` says which. */
export class GuardedReadError extends Error {
  readonly reason: "not-a-file" | "too-large";
  constructor(reason: "not-a-file" | "too-large", message: string) {
    super(message);
    this.name = "GuardedReadError";
    this.reason = reason;
  }
}

/**
 * Reads a rules file with the guards: open non-blocking, fstat the open file (so a swap between
 * the check and the read cannot slip a device in), refuse anything but a regular file, refuse a
 * size over `maxBytes`, and stop reading at `maxBytes` + 1 should the file grow meanwhile.
 */
export async function readGuardedFile(path: string, maxBytes: number = MAX_FILE_BYTES): Promise<Uint8Array> {
  const fh = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const info = await fh.stat();
    if (info.isDirectory()) throw new GuardedReadError("not-a-file", `${path} is a directory, not a rules file`);
    if (!info.isFile()) throw new GuardedReadError("not-a-file", `${path} is not a regular file (a FIFO, socket or device)`);
    if (info.size > maxBytes) throw new GuardedReadError("too-large", `${path} is ${info.size} bytes, over the limit of ${maxBytes} (raise it with --max-file-size or DISPATCH_MAX_FILE_SIZE)`);
    // Sized by fstat, grown (up to the cap + 1) for a file that grows while it is read.
    let buffer = Buffer.allocUnsafe(Math.min(maxBytes + 1, info.size + 1));
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > maxBytes) break;
        const bigger = Buffer.allocUnsafe(Math.min(maxBytes + 1, buffer.length * 2 + 64 * 1024));
        buffer.copy(bigger, 0, 0, length);
        buffer = bigger;
      }
      const { bytesRead } = await fh.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > maxBytes) throw new GuardedReadError("too-large", `${path} grew past the limit of ${maxBytes} bytes while it was read`);
    return buffer.subarray(0, length);
  } finally {
    await fh.close();
  }
}

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
  /** Default: readGuardedFile with `maxBytes`. */
  readonly readFile?: (path: string) => Promise<Uint8Array>;
  /** The size cap of the default reader (default MAX_FILE_BYTES). */
  readonly maxBytes?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Native comparison: a byte loop over a 40 MB file took about 100 ms of every edit. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

type OneRead = { readonly ok: true; readonly bytes: Uint8Array } | { readonly ok: false; readonly reason: StableReadFailure; readonly detail: string };

async function readOnce(path: string, read: (p: string) => Promise<Uint8Array>): Promise<OneRead> {
  try {
    return { ok: true, bytes: await read(path) };
  } catch (err) {
    if (err instanceof GuardedReadError) return { ok: false, reason: err.reason, detail: err.message };
    const code = (err as NodeJS.ErrnoException | null)?.code;
    const detail = err instanceof Error ? err.message : String(err);
    // ENOTDIR: a parent path component is a file; for the user the rules file is just not there.
    // A dangling symlink (ConfigMap mid-cleanup) also reports ENOENT.
    if (code === "ENOENT" || code === "ENOTDIR") return { ok: false, reason: "missing", detail };
    return { ok: false, reason: "unreadable", detail };
  }
}

export async function readStableFile(path: string, options: ReadStableOptions): Promise<StableRead> {
  const read = options.readFile ?? ((p: string) => readGuardedFile(p, options.maxBytes));
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

// I/O. Watches the rules file through its directory (chokidar) and reports "it may have changed",
// debounced. Watching the directory, not the file, is what makes write-then-rename saves, delete
// and recreate, and the ConfigMap `..data` symlink swap visible (jimmidyson/configmap-reload#190,
// traefik/traefik#5589; reconciler-anchors.md §1f). What changed is never reported: the reconcile
// re-reads the file (level-based), so a spurious call costs one no-op reconcile, a missed one a
// whole interval.
import { basename, dirname, resolve } from "node:path";
import { realpath, stat } from "node:fs/promises";
import { watch, type FSWatcher } from "chokidar";
import { systemTimer, type SetTimer, type TimerHandle } from "./run-daemon.js";

export interface WatchFileOptions {
  /** Quiet time after the last event before onChange is called (trailing debounce). */
  readonly debounceMs: number;
  readonly onChange: () => void;
  /**
   * Every relevant event at once, before the debounce (e.g. to start reading the file early).
   * Exceptions go to onError.
   */
  readonly onEvent?: () => void;
  /** Watcher errors and exceptions thrown by onChange; watching goes on. */
  readonly onError?: (err: unknown) => void;
  readonly setTimer?: SetTimer;
  /** Milliseconds, for quietFor(); default performance.now. */
  readonly now?: () => number;
  /**
   * The watched directory went away, or came back as another directory (deleted and re-created,
   * or a directory symlink such as a release's `current` swapped to another target). The watch is
   * moved to the new directory and a change is reported; this is for a log line.
   */
  readonly onDirectory?: (change: DirectoryChange) => void;
  /** How often the directory's identity is checked (default 250 ms; 0 turns it off). */
  readonly directoryPollMs?: number;
}

export interface DirectoryChange {
  readonly kind: "gone" | "replaced";
  /** The directory as the file path names it. */
  readonly dir: string;
  /** What it resolves to now (symlinks followed), for "replaced". */
  readonly realPath?: string;
}

export interface FileWatcher {
  /** Resolves once the initial scan is done (or on close): events before it may be missed. */
  readonly ready: Promise<void>;
  /**
   * Milliseconds since the last event on the file (or since watching began, when none came
   * since); undefined until the watcher is ready, and after it failed to start or was closed.
   */
  quietFor(): number | undefined;
  close(): Promise<void>;
}

/** Kubernetes projects ConfigMap keys as `name -> ..data/name` and swaps `..data` atomically. */
const CONFIGMAP_DATA = "..data";

/** Whether an event on `eventPath` can change what `filePath` reads. */
export function isRelevantPath(filePath: string, eventPath: string): boolean {
  const file = resolve(filePath);
  const event = resolve(eventPath);
  if (dirname(event) !== dirname(file)) return false;
  const name = basename(event);
  return name === basename(file) || name === CONFIGMAP_DATA;
}

export interface Debouncer {
  /** (Re)starts the quiet period; `fn` runs once it ends without another trigger. */
  trigger(): void;
  cancel(): void;
}

export function createDebouncer(fn: () => void, ms: number, setTimer: SetTimer): Debouncer {
  let pending: TimerHandle | null = null;
  return {
    trigger() {
      pending?.cancel();
      pending = setTimer(() => {
        pending = null;
        fn();
      }, ms);
    },
    cancel() {
      pending?.cancel();
      pending = null;
    },
  };
}

export function watchFile(path: string, options: WatchFileOptions): FileWatcher {
  const report = (err: unknown): void => {
    try {
      options.onError?.(err);
    } catch {
      // The reporter failed too; watching must go on regardless.
    }
  };
  let closed = false;
  const debouncer = createDebouncer(
    () => {
      if (closed) return;
      try {
        options.onChange();
      } catch (err) {
        report(err);
      }
    },
    options.debounceMs,
    options.setTimer ?? systemTimer,
  );

  const file = resolve(path);
  const dir = dirname(file);
  let watcher: FSWatcher | null = null;
  const now = options.now ?? (() => performance.now());
  /** When the last relevant event came, or when watching began; undefined while not watching. */
  let lastEventAt: number | undefined;
  const sawEvent = (): void => {
    if (lastEventAt !== undefined) lastEventAt = now();
    debouncer.trigger();
    try {
      options.onEvent?.();
    } catch (err) {
      report(err);
    }
  };

  /** The directory's identity: where it resolves to, and that directory's inode. */
  const identity = async (): Promise<{ key: string; realPath: string } | undefined> => {
    try {
      const realPath = await realpath(dir);
      const s = await stat(realPath);
      return s.isDirectory() ? { key: `${realPath}\0${s.dev}:${s.ino}`, realPath } : undefined;
    } catch {
      return undefined;
    }
  };
  /** The identity of the directory being watched; undefined while it is missing. */
  let watchedIdentity: string | undefined;

  /** `known`: the identity the caller already announced (the watch must match what was logged). */
  const start = async (known?: { key: string; realPath: string } | null): Promise<void> => {
    // A directory that does not exist yet (a volume not mounted at start) is awaited from its
    // parent: chokidar, given a missing path, sees the directory appear but none of its files.
    const id = known === undefined ? await identity() : (known ?? undefined);
    const dirExists = id !== undefined;
    if (closed) return;
    watchedIdentity = id?.key;
    const w = watch(dirExists ? dir : dirname(dir), {
      depth: 0,
      ignoreInitial: true,
      // Following symlinks is what turns a `..data` swap into a `change` of the file itself;
      // `atomic` folds an editor's unlink + re-add into one `change`.
      followSymlinks: true,
      atomic: true,
      persistent: true,
    });
    watcher = w;
    w.on("all", (event, eventPath) => {
      if (closed || watcher !== w) return;
      if (!dirExists && event === "addDir" && resolve(eventPath) === dir) {
        // The poll below moves the watch to the directory itself; report the change now.
        sawEvent();
        return;
      }
      if (isRelevantPath(file, eventPath)) sawEvent();
    });
    w.on("error", (err) => {
      // Events may have been lost: quietness is no longer known (stable reads pause again).
      lastEventAt = undefined;
      report(err);
    });
    await new Promise<void>((resolveReady) => w.once("ready", () => resolveReady()));
    // Watching the parent of a missing directory does not see writes inside it once it appears
    // (not until its own watch is in place), so quietness is only claimed for a watched directory.
    if (!closed && dirExists) lastEventAt = now();
  };

  /**
   * A watch stays on the directory it was set on (an inode): a directory deleted and re-created,
   * or a directory symlink swapped to a new target (release-style `current -> releases/v2`), is
   * not seen by it. The directory's identity is checked every directoryPollMs; when it changed,
   * the watch moves to the directory now there, and the file counts as changed.
   */
  let moving = false;
  const checkDirectory = async (): Promise<void> => {
    if (moving || closed) return;
    moving = true;
    try {
      const id = await identity();
      if (closed || id?.key === watchedIdentity) return;
      const old = watcher;
      watcher = null;
      watchedIdentity = id?.key;
      try {
        options.onDirectory?.(id === undefined ? { kind: "gone", dir } : { kind: "replaced", dir, realPath: id.realPath });
      } catch (err) {
        report(err);
      }
      await old?.close().catch(report);
      if (closed) return;
      sawEvent();
      // On what was announced: a directory that came back meanwhile is the next poll's news.
      await start(id ?? null);
    } finally {
      moving = false;
    }
  };
  const pollMs = options.directoryPollMs ?? 250;
  let poll: TimerHandle | null = null;
  const schedulePoll = (): void => {
    if (closed || pollMs <= 0) return;
    poll = (options.setTimer ?? systemTimer)(() => {
      poll = null;
      void checkDirectory().catch(report).finally(schedulePoll);
    }, pollMs);
  };

  let markClosed: () => void = () => undefined;
  const closedSignal = new Promise<void>((resolveClosed) => (markClosed = resolveClosed));
  // Never rejects: a watcher that cannot start is reported, and the interval still converges.
  const ready = Promise.race([start().catch(report), closedSignal]);
  void ready.then(schedulePoll);

  let closing: Promise<void> | null = null;
  return {
    ready,
    quietFor() {
      return closed || lastEventAt === undefined ? undefined : Math.max(0, now() - lastEventAt);
    },
    close() {
      closed = true;
      debouncer.cancel();
      poll?.cancel();
      poll = null;
      markClosed();
      closing ??= ready.then(async () => {
        while (moving) await new Promise((r) => setTimeout(r, 10));
        await watcher?.close();
      }).then(
        () => undefined,
        (err: unknown) => report(err),
      );
      return closing;
    },
  };
}

// I/O. Watches the rules file through its directory (chokidar) and reports "it may have changed",
// debounced. Watching the directory, not the file, is what makes write-then-rename saves, delete
// and recreate, and the ConfigMap `..data` symlink swap visible (jimmidyson/configmap-reload#190,
// traefik/traefik#5589; reconciler-anchors.md §1f). What changed is never reported: the reconcile
// re-reads the file (level-based), so a spurious call costs one no-op reconcile, a missed one a
// whole interval.
import { basename, dirname, resolve } from "node:path";
import { stat } from "node:fs/promises";
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

  const start = async (): Promise<void> => {
    // A directory that does not exist yet (a volume not mounted at start) is awaited from its
    // parent: chokidar, given a missing path, sees the directory appear but none of its files.
    const dirExists = await stat(dir).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (closed) return;
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
      if (closed) return;
      if (!dirExists && event === "addDir" && resolve(eventPath) === dir) {
        w.add(dir);
        // Files may already be in it by the time its watch is in place.
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

  let markClosed: () => void = () => undefined;
  const closedSignal = new Promise<void>((resolveClosed) => (markClosed = resolveClosed));
  // Never rejects: a watcher that cannot start is reported, and the interval still converges.
  const ready = Promise.race([start().catch(report), closedSignal]);

  let closing: Promise<void> | null = null;
  return {
    ready,
    quietFor() {
      return closed || lastEventAt === undefined ? undefined : Math.max(0, now() - lastEventAt);
    },
    close() {
      closed = true;
      debouncer.cancel();
      markClosed();
      closing ??= ready.then(() => watcher?.close()).then(
        () => undefined,
        (err: unknown) => report(err),
      );
      return closing;
    },
  };
}

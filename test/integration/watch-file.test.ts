// Tests watchFile on real temp directories: the saves editors, sed -i and Kubernetes make, the
// debounce, and that unrelated files are ignored.
import { writeFileSync } from "node:fs";
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runDaemon, systemTimer, watchFile, type FileWatcher, type Trigger } from "../../src/daemon/index.js";

const DEBOUNCE_MS = 50;
/** Long enough for a debounced call to have happened if one was coming. */
const QUIET_MS = DEBOUNCE_MS * 5;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, cond: () => boolean, deadlineMs = 2_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

let dir = "";
let watcher: FileWatcher | undefined;
let calls = 0;
let errors: unknown[] = [];

async function startWatching(file: string): Promise<void> {
  watcher = watchFile(file, { debounceMs: DEBOUNCE_MS, onChange: () => void calls++, onError: (e) => void errors.push(e) });
  await watcher.ready;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sds-watch-"));
  calls = 0;
  errors = [];
});

afterEach(async () => {
  await watcher?.close();
  watcher = undefined;
  await rm(dir, { recursive: true, force: true });
  expect(errors).toEqual([]);
});

describe("watchFile: plain file", () => {
  it("sees an in-place write", async () => {
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, "version: 1\n");
    await startWatching(file);
    await writeFile(file, "version: 1\nrules: []\n");
    await waitFor("onChange", () => calls >= 1);
    await sleep(QUIET_MS);
    // One write is one call; a loaded machine may split the truncate and the write into two.
    expect(calls).toBeLessThanOrEqual(2);
  });

  it("sees write-to-temp then rename over, twice in a row", async () => {
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, "a\n");
    await startWatching(file);
    for (const [i, text] of ["b\n", "c\n"].entries()) {
      const before = calls;
      await writeFile(`${file}.tmp`, text);
      await rename(`${file}.tmp`, file);
      await waitFor(`onChange after rename ${i + 1}`, () => calls > before);
      await sleep(QUIET_MS);
    }
    expect(calls).toBeLessThanOrEqual(4);
  });

  it("sees a vim-style save (rename away, write new, delete backup)", async () => {
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, "a\n");
    await startWatching(file);
    await rename(file, `${file}~`);
    await writeFile(file, "b\n");
    await rm(`${file}~`);
    await waitFor("onChange", () => calls >= 1);
    await writeFile(file, "c\n");
    await waitFor("onChange after the next in-place write", () => calls >= 2);
  });

  it("sees a delete, then the file coming back", async () => {
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, "a\n");
    await startWatching(file);
    await rm(file);
    await waitFor("onChange after delete", () => calls >= 1);
    await sleep(QUIET_MS);
    const afterDelete = calls;
    await writeFile(file, "b\n");
    await waitFor("onChange after recreate", () => calls > afterDelete);
    await writeFile(file, "c\n");
    await waitFor("onChange after a write to the recreated file", () => calls > afterDelete + 1);
  });

  it("sees a file that did not exist when watching started", async () => {
    const file = join(dir, "dispatch-rules.yaml");
    await startWatching(file);
    await writeFile(file, "a\n");
    await waitFor("onChange after create", () => calls >= 1);
  });

  it("sees the file once its directory, missing at start, is created", async () => {
    const file = join(dir, "conf", "dispatch-rules.yaml");
    await startWatching(file);
    await mkdir(join(dir, "conf"));
    await writeFile(file, "a\n");
    await waitFor("onChange after the directory appeared", () => calls >= 1);
    await sleep(QUIET_MS);
    const before = calls;
    await writeFile(file, "b\n");
    await waitFor("onChange for a write in the new directory", () => calls > before);
  });

  it("debounces a burst of 20 writes into one or two calls", async () => {
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, "0\n");
    await startWatching(file);
    // Synchronous writes: a burst is writes closer together than the debounce, which awaited
    // writes on a loaded CI machine are not guaranteed to be.
    for (let i = 1; i <= 20; i++) writeFileSync(file, `${i}\n`);
    await waitFor("onChange", () => calls >= 1);
    await sleep(QUIET_MS);
    expect(calls, `onChange calls for 20 writes`).toBeGreaterThanOrEqual(1);
    expect(calls, `onChange calls for 20 writes`).toBeLessThanOrEqual(2);
  });

  it("ignores other files and folders in the directory", async () => {
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, "a\n");
    await startWatching(file);
    await writeFile(join(dir, "other.yaml"), "x\n");
    await writeFile(join(dir, "dispatch-rules.yaml.bak"), "x\n");
    await mkdir(join(dir, "sub"));
    await writeFile(join(dir, "sub", "dispatch-rules.yaml"), "x\n");
    await rm(join(dir, "other.yaml"));
    await sleep(QUIET_MS);
    expect(calls).toBe(0);
    // The watcher is alive: the control write is seen.
    await writeFile(file, "b\n");
    await waitFor("onChange for the control write", () => calls === 1);
  });

  it("calls nothing after close", async () => {
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, "a\n");
    await startWatching(file);
    await writeFile(file, "b\n"); // pending debounce, cancelled by close
    await watcher?.close();
    await writeFile(file, "c\n");
    await sleep(QUIET_MS);
    expect(calls).toBe(0);
  });
});

describe("watchFile: quietFor and onEvent", () => {
  it("reports quiet time from a clock: unknown until ready, reset by each event, unknown after close", async () => {
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, "a\n");
    let clock = 1_000;
    const events: number[] = [];
    watcher = watchFile(file, {
      debounceMs: DEBOUNCE_MS,
      onChange: () => void calls++,
      onEvent: () => void events.push(calls),
      onError: (e) => void errors.push(e),
      now: () => clock,
    });
    expect(watcher.quietFor()).toBeUndefined();
    await watcher.ready;
    clock = 1_500;
    expect(watcher.quietFor()).toBe(500);
    await writeFile(file, "b\n");
    await waitFor("onEvent", () => events.length >= 1);
    // onEvent comes at once, before the debounced onChange.
    expect(events[0]).toBe(0);
    clock = 1_600;
    expect(watcher.quietFor()).toBe(100);
    await waitFor("onChange", () => calls >= 1);
    await writeFile(join(dir, "other.yaml"), "x\n");
    await sleep(QUIET_MS);
    // Other files are no event for this file.
    expect(watcher.quietFor()).toBe(100);
    await watcher.close();
    expect(watcher.quietFor()).toBeUndefined();
  });

  it("claims no quiet time while only the parent of a missing directory is watched", async () => {
    const file = join(dir, "conf", "dispatch-rules.yaml");
    await startWatching(file);
    expect(watcher?.quietFor()).toBeUndefined();
    await mkdir(join(dir, "conf"));
    await writeFile(file, "a\n");
    await waitFor("onChange after the directory appeared", () => calls >= 1);
    expect(watcher?.quietFor()).toBeUndefined();
  });
});

describe("watchFile: Kubernetes ConfigMap volume", () => {
  /** The layout kubelet writes: `..<timestamp>/` dirs, `..data -> ..<ts>`, `name -> ..data/name`. */
  async function configMapDir(name: string): Promise<string> {
    await mkdir(join(dir, "..2026_a"));
    await writeFile(join(dir, "..2026_a", name), "version: 1\nrules: []\n");
    await symlink("..2026_a", join(dir, "..data"));
    await symlink(join("..data", name), join(dir, name));
    return join(dir, name);
  }

  async function swapTo(stamp: string, name: string, text: string, previous: string): Promise<void> {
    await mkdir(join(dir, stamp));
    await writeFile(join(dir, stamp, name), text);
    await symlink(stamp, join(dir, "..data_tmp"));
    await rename(join(dir, "..data_tmp"), join(dir, "..data"));
    await rm(join(dir, previous), { recursive: true });
  }

  it("sees the ..data symlink swap, every time", async () => {
    const name = "dispatch-rules.yaml";
    const file = await configMapDir(name);
    await startWatching(file);
    await swapTo("..2026_b", name, "version: 1\nrules: [b]\n", "..2026_a");
    await waitFor("onChange after the first swap", () => calls >= 1);
    await sleep(QUIET_MS);
    const afterFirst = calls;
    expect(afterFirst).toBeLessThanOrEqual(2);
    await swapTo("..2026_c", name, "version: 1\nrules: [c]\n", "..2026_b");
    await waitFor("onChange after the second swap", () => calls > afterFirst);
  });

  it("ignores unrelated files but reports every ..data swap", async () => {
    // Any swap may change our key (kubelet swaps all keys at once), so every swap is reported:
    // a spurious reconcile is a no-op, a missed one waits a whole interval.
    const name = "dispatch-rules.yaml";
    const file = await configMapDir(name);
    await startWatching(file);
    await writeFile(join(dir, "unrelated-file"), "x");
    await sleep(QUIET_MS);
    expect(calls).toBe(0);
    await swapTo("..2026_b", name, "version: 1\nrules: []\n", "..2026_a");
    await waitFor("onChange after a swap", () => calls >= 1);
  });
});

describe("watchFile plugged into runDaemon", () => {
  it("turns a save into one 'file' reconcile after the start run", async () => {
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, "a\n");
    const triggers: Trigger[] = [];
    let subscribed: FileWatcher | undefined;
    const daemon = runDaemon({
      reconcile: async (trigger) => {
        triggers.push(trigger);
        return { result: "noop" };
      },
      subscribe: (onFileChange) => {
        subscribed = watchFile(file, { debounceMs: DEBOUNCE_MS, onChange: onFileChange, onError: (e) => void errors.push(e) });
        return subscribed;
      },
      intervalMs: 60_000,
      jitter: 0.1,
      backoff: { baseMs: 1_000, maxMs: 30_000 },
      random: Math.random,
      setTimer: systemTimer,
      now: Date.now,
      stopTimeoutMs: 1_000,
    });
    await subscribed?.ready;
    await daemon.idle();
    expect(triggers).toEqual(["start"]);
    await writeFile(`${file}.tmp`, "b\n");
    await rename(`${file}.tmp`, file);
    await waitFor("a file-triggered reconcile", () => triggers.length >= 2);
    expect(await daemon.stop()).toEqual({ timedOut: false });
    await writeFile(file, "c\n");
    await sleep(QUIET_MS);
    expect(triggers).toEqual(["start", "file"]);
  });
});

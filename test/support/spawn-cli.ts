// Test support (I/O: child processes). Starts the built CLI as a long-running child (`watch`,
// `emulator`), collects its stdout JSON log lines, lets a test await a line matching a predicate,
// send a signal and await the exit. Every child is killed when its test finishes (or by killAll),
// so nothing outlives a failing test. Requires `npm run build` first.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import { onTestFinished } from "vitest";
import { CLI_PATH, cleanEnv } from "./run-cli.js";

/** One parsed stdout line (a pino record). */
export type LogRecord = Readonly<Record<string, unknown>>;

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface WaitOptions {
  /** Give up after this long (default 10 s). */
  readonly timeoutMs?: number;
  /** Only records at this index or later count (see `count()`); default 0. */
  readonly from?: number;
  /** Names what is awaited in the timeout message. */
  readonly what?: string;
}

export interface SpawnCliOptions {
  /** Added to cleanEnv(): the caller's LIVEKIT_*, LOG_LEVEL, ... are never inherited. */
  readonly env?: Record<string, string | undefined>;
  readonly cwd?: string;
  /** Instead of `node dist/src/bin.cjs`: the full argv after `node` (e.g. a Dockerfile's ENTRYPOINT). */
  readonly argv?: readonly string[];
}

export interface SpawnedCli {
  readonly pid: number;
  /** Every stdout line that parsed as a JSON object, in order. */
  records(): readonly LogRecord[];
  /** Stdout lines that were not JSON objects (a daemon writing to a pipe should have none). */
  otherLines(): readonly string[];
  /** Number of records so far: pass it as `from` to await only what comes next. */
  count(): number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first record at index >= from matching `match`; rejects on timeout or exit. */
  waitFor(match: (r: LogRecord) => boolean, options?: WaitOptions): Promise<LogRecord>;
  /** Sends a signal (no-op once exited). */
  signal(sig: NodeJS.Signals): void;
  /** Resolves when the process has exited and its output is drained. */
  readonly exited: Promise<Exit>;
  /** The exit, or a rejection naming the timeout (the process is then killed). */
  waitForExit(timeoutMs?: number): Promise<Exit>;
  /** SIGKILL if still running, then wait for the exit. */
  kill(): Promise<Exit>;
}

const running = new Set<SpawnedCli>();

/** Kills every child still running (for afterEach/afterAll; onTestFinished does it per test too). */
export async function killAll(): Promise<void> {
  await Promise.all([...running].map((c) => c.kill()));
}

// Last fence: a worker that exits while a child runs (a crash, a timeout) takes it along.
process.once("exit", () => {
  for (const c of running) c.signal("SIGKILL");
});

/** Event name of a record, when it has one. */
export function eventOf(r: LogRecord): string | undefined {
  return typeof r.event === "string" ? r.event : undefined;
}

export function spawnCli(args: readonly string[], options: SpawnCliOptions = {}): SpawnedCli {
  if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run "npm run build" first`);
  const argv = options.argv ?? [CLI_PATH];
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [...argv, ...args], {
    cwd: options.cwd ?? process.cwd(),
    env: cleanEnv(options.env),
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stdin.end();

  const records: LogRecord[] = [];
  const other: string[] = [];
  let stdout = "";
  let stderr = "";
  let partial = "";
  let waiters: (() => void)[] = [];
  const notify = (): void => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };

  const takeLine = (line: string): void => {
    if (line.trim() === "") return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) records.push(parsed as LogRecord);
    else other.push(line);
  };

  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
    partial += d;
    const lines = partial.split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) takeLine(line);
    notify();
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));

  let done = false;
  const exited = new Promise<Exit>((resolve) => {
    child.on("error", (err) => {
      stderr += `\n[spawn error] ${err.message}`;
    });
    child.on("close", (code, signal) => {
      if (partial !== "") takeLine(partial);
      partial = "";
      done = true;
      running.delete(handle);
      notify();
      resolve({ code, signal });
    });
  });

  const tail = (): string => `\n--- stdout (tail) ---\n${stdout.slice(-4000)}\n--- stderr (tail) ---\n${stderr.slice(-2000)}`;

  const handle: SpawnedCli = {
    pid: child.pid ?? -1,
    records: () => [...records],
    otherLines: () => [...other],
    count: () => records.length,
    stdout: () => stdout,
    stderr: () => stderr,
    waitFor(match, opts = {}) {
      const timeoutMs = opts.timeoutMs ?? 10_000;
      const what = opts.what ?? "a matching log line";
      let next = opts.from ?? 0;
      return new Promise<LogRecord>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== check);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}${tail()}`));
        }, timeoutMs);
        const check = (): void => {
          for (; next < records.length; next++) {
            const r = records[next] as LogRecord;
            if (match(r)) {
              clearTimeout(timer);
              resolve(r);
              return;
            }
          }
          if (done) {
            clearTimeout(timer);
            reject(new Error(`process exited before ${what}${tail()}`));
            return;
          }
          waiters.push(check);
        };
        check();
      });
    },
    signal(sig) {
      if (!done && child.exitCode === null && child.signalCode === null) child.kill(sig);
    },
    exited,
    async waitForExit(timeoutMs = 10_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`process did not exit within ${timeoutMs} ms${tail()}`)), timeoutMs);
      });
      try {
        return await Promise.race([exited, timeout]);
      } catch (err) {
        handle.signal("SIGKILL");
        throw err;
      } finally {
        clearTimeout(timer);
      }
    },
    async kill() {
      handle.signal("SIGKILL");
      return exited;
    },
  };
  running.add(handle);
  try {
    onTestFinished(async () => {
      await handle.kill();
    });
  } catch {
    // Started outside a running test (beforeAll): the caller kills it, or killAll() does.
  }
  return handle;
}

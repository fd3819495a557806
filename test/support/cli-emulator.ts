// Test support (I/O: a child process). The built CLI's `emulator` command as a child: resolves
// with its URL once it prints "emulator listening on URL"; killed when the test finishes.
// Requires `npm run build` first.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { onTestFinished } from "vitest";
import { CLI_PATH, cleanEnv } from "./run-cli.js";

export interface RunningEmulator {
  readonly child: ChildProcessWithoutNullStreams;
  readonly url: string;
  readonly stderr: () => string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** `sip-dispatch-sync emulator ARGS` with only `env` (plus PATH and the like) in its environment. */
export async function startCliEmulator(args: readonly string[], env: Record<string, string> = {}): Promise<RunningEmulator> {
  const child = spawn(process.execPath, [CLI_PATH, "emulator", ...args], { env: cleanEnv(env), stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  onTestFinished(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`emulator: no port line; stderr: ${stderr}`)), 10_000);
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
      const m = /^emulator listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    void exited.then((code) => reject(new Error(`emulator exited ${code}: ${stderr}`)));
  });
  return {
    child,
    url,
    stderr: () => stderr,
    stop: async () => {
      child.kill("SIGTERM");
      return exited;
    },
  };
}

// Test support (I/O: a child process on a pseudo-terminal). Runs the built CLI under util-linux
// `script`, so that its stdin, stdout and stderr are a terminal, as for a person at a shell.
// Answers a prompt when the output matches `answer.when`. Requires `npm run build` first.
import { spawn, spawnSync } from "node:child_process";
import { CLI_PATH, cleanEnv, type CliResult } from "./run-cli.js";

/** True when util-linux `script` can run a command on a pseudo-terminal here. */
export function ptyAvailable(): boolean {
  const r = spawnSync("script", ["-qec", "true", "/dev/null"], { stdio: "ignore" });
  return r.status === 0;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`;
}

export interface PtyOptions {
  readonly env?: Record<string, string | undefined>;
  readonly cwd?: string;
  /** Typed (with a newline) once the output matches `when`. */
  readonly answer?: { readonly when: RegExp; readonly text: string };
  readonly timeoutMs?: number;
  /** Called with the output so far on every chunk (to watch progress as it happens). */
  readonly onOutput?: (all: string, elapsedMs: number) => void;
}

/** `sip-dispatch-sync ARGS` on a terminal; stdout and stderr arrive merged (one terminal). */
export function runInPty(args: readonly string[], options: PtyOptions = {}): Promise<CliResult> {
  const command = [process.execPath, CLI_PATH, ...args].map(shellQuote).join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qec", command, "/dev/null"], {
      cwd: options.cwd ?? process.cwd(),
      env: { ...cleanEnv(options.env), TERM: "xterm" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const started = Date.now();
    let out = "";
    let answered = false;
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      options.onOutput?.(out, Date.now() - started);
      if (options.answer !== undefined && !answered && options.answer.when.test(out)) {
        answered = true;
        child.stdin.write(`${options.answer.text}\r`);
      }
    });
    let err = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 20_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: out.replace(/\r\n/g, "\n"), stderr: err });
    });
  });
}

// Process wiring. The streams, environment and terminal facts a command may use, passed in so
// that commands can be run in-process by tests.
export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly stdoutIsTTY: boolean;
  readonly stdinIsTTY: boolean;
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stdinIsTTY: Boolean(process.stdin.isTTY),
  };
}

/** Colour only on a TTY and when NO_COLOR is unset (SPEC §3). */
export function useColor(io: CliIo): boolean {
  return io.stdoutIsTTY && (io.env.NO_COLOR === undefined || io.env.NO_COLOR === "");
}

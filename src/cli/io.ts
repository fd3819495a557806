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

/**
 * Colour (SPEC §3): never with --no-color; always with FORCE_COLOR set to anything but "0" or
 * "false" (Node's own rule: it wins over NO_COLOR); never with NO_COLOR set and non-empty;
 * otherwise only when stdout is a terminal.
 */
export function useColor(io: CliIo, values?: { readonly [name: string]: unknown }): boolean {
  if (values?.["no-color"] === true) return false;
  const force = io.env.FORCE_COLOR;
  if (force !== undefined && force !== "0" && force !== "false") return true;
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== "") return false;
  return io.stdoutIsTTY;
}

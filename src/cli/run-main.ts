// Process wiring of the entry (main.ts, which the executable bin.cts starts): runs the CLI with
// the real process streams and turns every outcome into an exit code. Never prints a stack trace.
import { formatFatal, processIo, runCli } from "./index.js";

export { processIo, runCli } from "./index.js";
export type { CliIo } from "./index.js";

/**
 * A reader that stops early (`export | head`) closes the pipe: every later write fails with EPIPE,
 * reported as an 'error' event that would crash the process with a stack trace. The command
 * finishes as if it had been read (an apply is never cut short by its reader going away) and what
 * it still writes is dropped; any other stream error is reported once, without a stack.
 */
function quietOnClosedPipe(stream: NodeJS.WriteStream, name: string): void {
  let reported = false;
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE" || reported) return;
    reported = true;
    process.exitCode = 1;
    if (stream !== process.stderr) process.stderr.write(`error: cannot write to ${name} (${err.code ?? err.message})\n`);
  });
}

/** Resolves once everything written to `stream` so far is handed to the system (or failed). */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || stream.writableEnded) resolve();
    else stream.write("", () => resolve());
  });
}

export async function runMain(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  quietOnClosedPipe(process.stdout, "standard output");
  quietOnClosedPipe(process.stderr, "standard error");
  try {
    process.exitCode = await runCli(argv, processIo());
  } catch (err) {
    const { text, exitCode } = formatFatal(err, process.env);
    process.stderr.write(text);
    process.exitCode = exitCode;
  }
  // The command is done (a daemon has shut down): exit once its output is out, without the
  // teardown of a heap that can hold hundreds of MB. validate of 100,000 rules spent 50-60 ms
  // between its last line and its exit freeing it.
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit();
}

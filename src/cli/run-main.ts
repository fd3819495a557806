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
}

// Process wiring shared by the two entries (main.ts, the ES module; bin.cts, the executable's
// CommonJS launcher): runs the CLI with the real process streams and turns every outcome into an
// exit code. Never prints a stack trace.
import { formatFatal, processIo, runCli } from "./index.js";

export { processIo, runCli } from "./index.js";
export type { CliIo } from "./index.js";

export async function runMain(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  try {
    process.exitCode = await runCli(argv, processIo());
  } catch (err) {
    const { text, exitCode } = formatFatal(err, process.env);
    process.stderr.write(text);
    process.exitCode = exitCode;
  }
}

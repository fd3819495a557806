#!/usr/bin/env node
// Process entry: runs the CLI with the real process streams and turns every outcome into an
// exit code. The only process.exit in the program; never prints a stack trace.
import { runCli, processIo, formatFatal } from "./cli/index.js";

try {
  const code = await runCli(process.argv.slice(2), processIo());
  process.exitCode = code;
} catch (err) {
  const { text, exitCode } = formatFatal(err, process.env);
  process.stderr.write(text);
  process.exitCode = exitCode;
}

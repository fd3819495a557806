// Process wiring. Debug-level notes of the one-shot commands that load no logger (validate, plan,
// export): one plain line on stderr, only when --log-level or $LOG_LEVEL asks for debug or trace.
import { stringFlag, type ParsedFlags } from "./flags.js";
import type { CliIo } from "./io.js";

export function debugWanted(values: ParsedFlags["values"], io: CliIo): boolean {
  const level = (stringFlag(values, "log-level") ?? io.env.LOG_LEVEL ?? "").toLowerCase();
  return level === "debug" || level === "trace";
}

/** The file took the `yaml`-library path: name what the fast path does not read (it is slower). */
export function noteYamlFallback(values: ParsedFlags["values"], io: CliIo, file: string, reason: string | undefined): void {
  if (reason === undefined || !debugWanted(values, io)) return;
  io.stderr.write(`debug: ${file}: read by the yaml library, not the fast path (${reason})\n`);
}

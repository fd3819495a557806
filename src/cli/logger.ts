// Process wiring. The logger of one-shot commands (apply); a module of its own so that the
// commands that never log (validate, plan, export) do not load pino at start-up.
import { createLogger, parseLogLevel, type Logger } from "../log.js";
import { stringFlag, type ParsedFlags } from "./flags.js";
import type { CliIo } from "./io.js";

/**
 * Logger for one-shot commands: JSON lines on stderr (stdout carries the plan). A person at a
 * terminal who did not ask for a level sees warnings only, so the plan stays readable.
 */
export function oneShotLogger(values: ParsedFlags["values"], io: CliIo, stderrIsTTY: boolean): Logger {
  const explicit = stringFlag(values, "log-level") ?? io.env.LOG_LEVEL;
  const level = explicit ? parseLogLevel(explicit) : stderrIsTTY ? "warn" : "info";
  return createLogger({ level, destination: { write: (s: string) => void io.stderr.write(s) } });
}

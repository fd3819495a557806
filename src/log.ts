// Process wiring. The pino logger: JSON lines on stdout (pretty on a TTY is left to pino-pretty
// piping), with redaction of every field that could hold a secret as a second fence (STYLE §8.11).
import { pino, type Logger, type DestinationStream } from "pino";

export type { Logger } from "pino";

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Paths redacted in every log line; the code never puts secrets in fields to begin with. */
export const REDACT_PATHS = [
  "apiSecret", "*.apiSecret", "secret", "*.secret", "token", "*.token", "authorization", "*.authorization",
  "headers.authorization", "pin", "*.pin", "*.*.pin", "*.*.*.pin", "*.*.*.*.pin",
];

export function createLogger(options: { level: LogLevel; destination?: DestinationStream; base?: Record<string, unknown> }): Logger {
  return pino(
    {
      level: options.level,
      base: options.base ?? { name: "sip-dispatch-sync" },
      redact: { paths: REDACT_PATHS, censor: "(sensitive)" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ fd: 1, sync: true }),
  );
}

export function parseLogLevel(text: string | undefined): LogLevel {
  const v = (text ?? "info").toLowerCase();
  return (LOG_LEVELS as readonly string[]).includes(v) ? (v as LogLevel) : "info";
}

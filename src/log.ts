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

const LEVEL_TAG: Readonly<Record<string, string>> = { trace: "TRACE", debug: "DEBUG", info: "INFO ", warn: "WARN ", error: "ERROR", fatal: "FATAL" };
const PRETTY_SKIP = new Set(["level", "time", "msg", "name", "pid", "hostname"]);

/**
 * For a person at a terminal: each JSON line becomes `HH:MM:SS LEVEL message key=value ...`.
 * The same fields as the JSON (already redacted by pino), so nothing secret can appear here either.
 */
export function prettyDestination(out: { write(s: string): unknown }): DestinationStream {
  return {
    write(line: string) {
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line) as Record<string, unknown>;
      } catch {
        out.write(line);
        return;
      }
      const time = typeof rec.time === "string" ? rec.time.slice(11, 19) : "";
      const level = LEVEL_TAG[String(rec.level)] ?? String(rec.level);
      const rest = Object.entries(rec)
        .filter(([k]) => !PRETTY_SKIP.has(k))
        .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
        .join(" ");
      out.write(`${time} ${level} ${String(rec.msg ?? "")}${rest ? `  ${rest}` : ""}\n`);
    },
  };
}

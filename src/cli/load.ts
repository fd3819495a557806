// Process wiring. The reads shared by the server commands: the rules file (fail closed on any
// problem), the live server or a saved server state, and the loggers of one-shot commands.
import { readFile } from "node:fs/promises";
import { createSipClient, decodeServerState, type ApiCallEvent } from "../livekit/index.js";
import { readRulesFile } from "../rules-file/index.js";
import { AppError, ConfigError, type DesiredState, type SipClient } from "../model/index.js";
import { createLogger, parseLogLevel, type Logger } from "../log.js";
import { stringFlag, type ParsedFlags } from "./flags.js";
import type { CliIo } from "./io.js";
import { resolveServerOptions } from "./server-options.js";

/** Loads and validates the rules file; throws ConfigError with every diagnostic. */
export async function loadDesired(path: string, io: CliIo): Promise<DesiredState> {
  const result = await readRulesFile(path, { env: io.env });
  if (!result.ok) throw new ConfigError(result.diagnostics);
  return result.state;
}

export function makeClient(values: ParsedFlags["values"], io: CliIo, onApiCall?: (e: ApiCallEvent) => void): SipClient {
  const opts = resolveServerOptions(values, io);
  return createSipClient({ ...opts, ...(onApiCall ? { onApiCall } : {}) });
}

/** A saved server state (`export --format json` or the emulator's --state file). */
export async function readServerState(path: string) {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? "unreadable";
    throw new AppError("bad-state-file", `--against ${path}: cannot read it (${why})`, {
      hint: "pass a file written by `sip-dispatch-sync export --format json` or the emulator's --state",
    });
  }
  return decodeServerState(text);
}

/**
 * Logger for one-shot commands: JSON lines on stderr (stdout carries the plan). A person at a
 * terminal who did not ask for a level sees warnings only, so the plan stays readable.
 */
export function oneShotLogger(values: ParsedFlags["values"], io: CliIo, stderrIsTTY: boolean): Logger {
  const explicit = stringFlag(values, "log-level") ?? io.env.LOG_LEVEL;
  const level = explicit ? parseLogLevel(explicit) : stderrIsTTY ? "warn" : "info";
  return createLogger({ level, destination: { write: (s: string) => void io.stderr.write(s) } });
}

// Process wiring. Debug-level notes of the one-shot commands that load no logger (validate, plan,
// export): one plain line on stderr, only when --log-level or $LOG_LEVEL asks for debug or trace.
import { versionFloorText, type VersionFloor } from "../livekit/server-version.js";
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

/**
 * The server's version floor as the client read it from its List answer (livekit-sip-api.md
 * §11.2; doctor prints the same reading), and whether Update is proven or only assumed.
 */
export function noteServerVersion(values: ParsedFlags["values"], io: CliIo, server: string, floor: VersionFloor | undefined): void {
  if (!debugWanted(values, io)) return;
  const update = floor?.update === true ? "UpdateSIPDispatchRule proven by it" : "UpdateSIPDispatchRule assumed (apply falls back to delete + create only on a Twirp bad_route)";
  io.stderr.write(`debug: ${server}: server version ${versionFloorText(floor)}; ${update}\n`);
}

// Process wiring. The reads shared by the server commands: the rules file (fail closed on any
// problem), and the live server or a saved server state. The loggers of one-shot commands are in
// logger.ts, so that commands that do not log never load pino.
import { readFile } from "node:fs/promises";
import { createNodeTransport } from "../livekit/http-transport.js";
import { createSipClient, decodeServerState, type ApiCallEvent } from "../livekit/index.js";
import { AppError, ConfigError, type DesiredState, type RemoteRule, type SipClient } from "../model/index.js";
import type { ParsedFlags } from "./flags.js";
import type { CliIo } from "./io.js";
import { noteYamlFallback } from "./debug-note.js";
import { maxFileBytes } from "./file-limit.js";
import { readRules } from "./rules-input.js";
import { resolveServerOptions, type ServerOptions } from "./server-options.js";
import type { FingerprintKey } from "../core/index.js";

/** Loads and validates the rules file (under the --max-file-size cap); throws ConfigError with every diagnostic. */
export async function loadDesired(path: string, io: CliIo, values: ParsedFlags["values"] = {}): Promise<DesiredState> {
  const result = await readRules(path, io, maxFileBytes(values, io.env));
  if (!result.ok) throw new ConfigError(result.diagnostics);
  noteYamlFallback(values, io, path, result.yamlFallback);
  return result.state;
}

/**
 * The SipClient of the one-shot commands, over node:http like the daemon's: the global fetch
 * (undici) loads its own HTTP stack on first use and costs several times more CPU per request,
 * which shows in both the start-up of `plan` and the rate of `apply`.
 */
export function makeClient(values: ParsedFlags["values"], io: CliIo, onApiCall?: (e: ApiCallEvent) => void): SipClient {
  return clientFor(resolveServerOptions(values, io), onApiCall);
}

function clientFor(opts: ServerOptions, onApiCall?: (e: ApiCallEvent) => void): SipClient {
  const transport = createNodeTransport();
  return createSipClient({ ...opts, fetch: transport.fetch, ...(onApiCall ? { onApiCall } : {}) });
}

/**
 * The rules file and the server's rules, read together: the List request goes out first and its
 * round trip overlaps the file's checks (it is read-only: starting it early changes nothing).
 * What is reported stays in the old order: a problem with the file (ConfigError) first, and the
 * listing is then aborted; a server that cannot be configured (no URL, key, secret) only for a
 * valid file; then a failed listing.
 */
export async function loadDesiredAndList(
  config: string,
  values: ParsedFlags["values"],
  io: CliIo,
  onApiCall?: (e: ApiCallEvent) => void,
): Promise<{ readonly desired: DesiredState; readonly client: SipClient; readonly remote: readonly RemoteRule[]; readonly fingerprintKey: FingerprintKey }> {
  let client: SipClient | undefined;
  let clientError: unknown;
  let fingerprintKey: FingerprintKey | undefined;
  try {
    const opts = resolveServerOptions(values, io);
    // The plan's fingerprint is keyed with the API secret (core/fingerprint.ts).
    fingerprintKey = { apiSecret: opts.apiSecret };
    client = clientFor(opts, onApiCall);
  } catch (err) {
    clientError = err;
  }
  const abort = new AbortController();
  const listing = client?.listRules({ signal: abort.signal });
  // Settled here or awaited below; never an unhandled rejection when the file fails first.
  listing?.catch(() => undefined);
  // One turn of the event loop, so that the request is written before the (synchronous) checks.
  if (listing !== undefined) await new Promise<void>((resolve) => setImmediate(resolve));
  let desired: DesiredState;
  try {
    desired = await loadDesired(config, io, values);
  } catch (err) {
    abort.abort();
    throw err;
  }
  if (client === undefined || listing === undefined || fingerprintKey === undefined) throw clientError;
  return { desired, client, remote: await listing, fingerprintKey };
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

// Process wiring. The reads shared by the server commands: the rules file (fail closed on any
// problem), and the live server or a saved server state. The loggers of one-shot commands are in
// logger.ts, so that commands that do not log never load pino.
import { readFile } from "node:fs/promises";
import { createNodeTransport } from "../livekit/http-transport.js";
import { createSipClient, decodeServerState, type ApiCallEvent, type RetryWaitEvent } from "../livekit/index.js";
import { AppError, ConfigError, type DesiredState, type Diagnostic, type RemoteRule, type SipClient } from "../model/index.js";
import type { ParsedFlags } from "./flags.js";
import type { CliIo } from "./io.js";
import { noteYamlFallback } from "./debug-note.js";
import { maxFileBytes } from "./file-limit.js";
import { applyStrict, readRules } from "./rules-input.js";
import { resolveServerOptions, type ServerOptions } from "./server-options.js";
import type { FingerprintKey } from "../core/index.js";

/** Loads and validates the rules file (under the --max-file-size cap); throws ConfigError with every diagnostic (warnings too under --strict). */
export async function loadDesired(path: string, io: CliIo, values: ParsedFlags["values"] = {}): Promise<DesiredState> {
  return (await loadDesiredChecked(path, io, values.strict === true, values)).state;
}

/** loadDesired with the lints' warnings of a valid file. */
export async function loadDesiredChecked(
  path: string,
  io: CliIo,
  strict: boolean,
  values: ParsedFlags["values"] = {},
): Promise<{ readonly state: DesiredState; readonly warnings: readonly Diagnostic[] }> {
  const loaded = await readRules(path, io, maxFileBytes(values, io.env));
  if (loaded.ok) noteYamlFallback(values, io, path, loaded.yamlFallback);
  const result = applyStrict(loaded, strict);
  if (!result.ok) throw new ConfigError(result.diagnostics);
  return { state: result.state, warnings: result.warnings };
}

/**
 * The SipClient of the one-shot commands, over node:http like the daemon's: the global fetch
 * (undici) loads its own HTTP stack on first use and costs several times more CPU per request,
 * which shows in both the start-up of `plan` and the rate of `apply`.
 */
export function makeClient(values: ParsedFlags["values"], io: CliIo, hooks: ClientHooks = {}): SipClient {
  return clientFor(resolveServerOptions(values, io), hooks);
}

function clientFor(opts: ServerOptions, hooks: ClientHooks): SipClient {
  const transport = createNodeTransport();
  return createSipClient({ ...opts, fetch: transport.fetch, ...hooks });
}

/** What a command observes of the client's calls. */
export interface ClientHooks {
  readonly onApiCall?: (e: ApiCallEvent) => void;
  /** Before each wait for a retry (SPEC §3: reported as it happens). */
  readonly onRetryWait?: (e: RetryWaitEvent) => void;
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
  hooks: ClientHooks = {},
  strict = false,
): Promise<{
  readonly desired: DesiredState;
  readonly warnings: readonly Diagnostic[];
  readonly client: SipClient;
  readonly remote: readonly RemoteRule[];
  readonly fingerprintKey: FingerprintKey;
}> {
  let client: SipClient | undefined;
  let clientError: unknown;
  let fingerprintKey: FingerprintKey | undefined;
  try {
    const opts = resolveServerOptions(values, io);
    // The plan's fingerprint is keyed with the API secret (core/fingerprint.ts).
    fingerprintKey = { apiSecret: opts.apiSecret };
    client = clientFor(opts, hooks);
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
  let warnings: readonly Diagnostic[];
  try {
    ({ state: desired, warnings } = await loadDesiredChecked(config, io, strict, values));
  } catch (err) {
    abort.abort();
    throw err;
  }
  if (client === undefined || listing === undefined || fingerprintKey === undefined) throw clientError;
  return { desired, warnings, client, remote: await listing, fingerprintKey };
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

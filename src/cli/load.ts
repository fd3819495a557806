// Process wiring. The reads shared by the server commands: the rules file (fail closed on any
// problem), and the live server or a saved server state. The loggers of one-shot commands are in
// logger.ts, so that commands that do not log never load pino.
import { statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createNodeTransport } from "../livekit/http-transport.js";
import { needsTrunkList } from "../core/index.js";
import { createSipClient, decodeServerState, type ApiCallEvent, type HttpSipClient, type RetryWaitEvent } from "../livekit/index.js";
import { decodeTrunkItems } from "../livekit/inbound-trunks.js";
import { AppError, ConfigError, type DesiredState, type Diagnostic, type InboundTrunk, type InboundTrunkLister, type RemoteRule } from "../model/index.js";
import { selectedEnvironment, type EnvironmentContext } from "./environment-options.js";
import type { ParsedFlags } from "./flags.js";
import type { CliIo } from "./io.js";
import { noteYamlFallback } from "./debug-note.js";
import { maxFileBytes } from "./file-limit.js";
import { boundHeapGrowthFor } from "./heap-growth.js";
import { withoutOptimizingCompiler } from "./optimizing-compiler.js";
import { applyStrict, readRules } from "./rules-input.js";
import { resolveServerOptions, type ServerOptions } from "./server-options.js";
import type { FingerprintKey } from "../core/index.js";

/** Loads and validates the rules file (under the --max-file-size cap); throws ConfigError with every diagnostic (warnings too under --strict). */
export async function loadDesired(path: string, io: CliIo, values: ParsedFlags["values"] = {}, environment?: string): Promise<DesiredState> {
  return (await loadDesiredChecked(path, io, values.strict === true, values, environment)).state;
}

/** loadDesired with the lints' warnings of a valid file. */
export async function loadDesiredChecked(
  path: string,
  io: CliIo,
  strict: boolean,
  values: ParsedFlags["values"] = {},
  /** SPEC §8: the file's environment to load. */
  environment?: string,
): Promise<{ readonly state: DesiredState; readonly warnings: readonly Diagnostic[] }> {
  const size = path === "-" ? undefined : fileSize(path);
  if (size !== undefined) boundHeapGrowthFor(size);
  // The state is planned from after the load: its strings must not hold the file's text.
  // A small file's load ends before an optimising compile would pay back (optimizing-compiler.ts).
  const loaded = await withoutOptimizingCompiler(size, () => readRules(path, io, maxFileBytes(values, io.env), environment, true));
  if (loaded.ok) noteYamlFallback(values, io, path, loaded.yamlFallback);
  const result = applyStrict(loaded, strict);
  if (!result.ok) throw new ConfigError(result.diagnostics);
  return { state: result.state, warnings: result.warnings };
}

/** The file's size, or 0 when it cannot be read (the load reports why). */
function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * The SipClient of the one-shot commands, over node:http like the daemon's: the global fetch
 * (undici) loads its own HTTP stack on first use and costs several times more CPU per request,
 * which shows in both the start-up of `plan` and the rate of `apply`.
 */
export function makeClient(values: ParsedFlags["values"], io: CliIo, hooks: ClientHooks = {}, environment?: EnvironmentContext): HttpSipClient {
  return clientFor(resolveServerOptions(values, io, environment), hooks);
}

function clientFor(opts: ServerOptions, hooks: ClientHooks): HttpSipClient {
  return clientAndTransport(opts, hooks).client;
}

function clientAndTransport(opts: ServerOptions, hooks: ClientHooks): { readonly client: HttpSipClient; readonly transport: ReturnType<typeof createNodeTransport> } {
  const transport = createNodeTransport();
  return { client: createSipClient({ ...opts, fetch: transport.fetch, ...hooks }), transport };
}

/** The longest wait for the List request to be written before the file's load goes ahead anyway. */
const WRITE_WAIT_MS = 500;

/**
 * Until the requests started so far are written (or WRITE_WAIT_MS): the file's checks that
 * follow are synchronous, and a request still connecting would only reach the server after them
 * (issue 19: at 100,000 rules the server's 0.4-0.6 s of work then came after the file's 1.5 s
 * load instead of during it). One turn of the event loop first, for the client to start the
 * request (token, then fetch: microtasks and this turn).
 */
async function requestsWritten(written: () => Promise<void>): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([written(), new Promise<void>((resolve) => (timer = setTimeout(resolve, WRITE_WAIT_MS)))]);
  clearTimeout(timer);
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
  /** The environment to plan; default --env / $DISPATCH_ENV. */
  environment: string | undefined = selectedEnvironment(values, io),
): Promise<{
  readonly desired: DesiredState;
  readonly warnings: readonly Diagnostic[];
  readonly client: HttpSipClient;
  readonly remote: readonly RemoteRule[];
  readonly fingerprintKey: FingerprintKey;
  readonly trunks: TrunkListing;
}> {
  if (environment !== undefined) {
    // The server is named by the file's environment: the file is read first (SPEC §8).
    const { state: desired, warnings } = await loadDesiredChecked(config, io, strict, values, environment);
    const opts = resolveServerOptions(values, io, environmentContext(desired, config));
    const client = clientFor(opts, hooks);
    const trunks = listTrunksFor(desired, client);
    // The plan's fingerprint is keyed with the API secret (core/fingerprint.ts).
    return { desired, warnings, client, remote: await client.listRules(), fingerprintKey: { apiSecret: opts.apiSecret }, trunks: await trunks };
  }
  let client: HttpSipClient | undefined;
  let written: (() => Promise<void>) | undefined;
  let clientError: unknown;
  let fingerprintKey: FingerprintKey | undefined;
  try {
    const opts = resolveServerOptions(values, io);
    // The plan's fingerprint is keyed with the API secret (core/fingerprint.ts).
    fingerprintKey = { apiSecret: opts.apiSecret };
    let transport: ReturnType<typeof createNodeTransport>;
    ({ client, transport } = clientAndTransport(opts, hooks));
    written = transport.written;
  } catch (err) {
    clientError = err;
  }
  const abort = new AbortController();
  const listing = client?.listRules({ signal: abort.signal });
  // Settled here or awaited below; never an unhandled rejection when the file fails first.
  listing?.catch(() => undefined);
  // The request is written before the (synchronous) checks, so that the server works meanwhile.
  if (listing !== undefined && written !== undefined) await requestsWritten(written);
  let desired: DesiredState;
  let warnings: readonly Diagnostic[];
  try {
    ({ state: desired, warnings } = await loadDesiredChecked(config, io, strict, values));
  } catch (err) {
    abort.abort();
    throw err;
  }
  if (client === undefined || listing === undefined || fingerprintKey === undefined) throw clientError;
  // The trunk list (when the file needs it) overlaps the rule list still in flight.
  const trunks = listTrunksFor(desired, client);
  return { desired, warnings, client, remote: await listing, fingerprintKey, trunks: await trunks };
}

/** The server's inbound trunks, or why they could not be listed; undefined when the file names no trunk. */
export type TrunkListing = readonly InboundTrunk[] | { readonly error: string } | undefined;

/**
 * SPEC §8: one ListSIPInboundTrunk (all pages) when the file names trunks by name or by ID. The
 * answer is reduced to IDs and names by the client; a failure is kept as its message, for the
 * resolution to report at the rules that need it.
 */
export async function listTrunksFor(desired: DesiredState, client: InboundTrunkLister): Promise<TrunkListing> {
  if (!needsTrunkList(desired)) return undefined;
  try {
    return await client.listInboundTrunks();
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

/** The loaded environment with its file, for the server options; undefined when the file has none. */
export function environmentContext(desired: DesiredState, configFile: string): EnvironmentContext | undefined {
  return desired.environment === undefined ? undefined : { environment: desired.environment, configFile };
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
 * The inbound trunks of a saved state (the emulator's --state file has them under `trunks`), for
 * `plan --against` of a file with trunk names or IDs; IDs and names only.
 */
export async function readStateTrunks(path: string, desired: DesiredState): Promise<TrunkListing> {
  if (!needsTrunkList(desired)) return undefined;
  try {
    const json = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown> | null;
    const trunks = json?.trunks;
    if (trunks === undefined) {
      // A state without trunks (export --format json) cannot check trunkIds: only names need them.
      if (!desired.rules.some((r) => (r.trunks?.length ?? 0) > 0)) return undefined;
      return { error: `${path} holds no inbound trunks ("trunks"); it cannot resolve trunk names` };
    }
    return decodeTrunkItems({ items: trunks });
  } catch (err) {
    return { error: `${path}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

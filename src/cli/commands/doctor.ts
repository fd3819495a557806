// Process wiring for `doctor` (SPEC §3): every check at once, each ok / warn / fail with a hint,
// read-only (one ListSIPDispatchRule; never a write method, probes included). Exit 0 when no
// check failed (warnings allowed), 1 when one did. To add a check, append to DOCTOR_CHECKS.
import { readFileSync } from "node:fs";
import { needsTrunkList, resolveTrunkNames } from "../../core/index.js";
import { DEFAULT_RETRY, createNodeTransport, createSipClient, resolveBaseUrl } from "../../livekit/index.js";
import { probeList, type ListProbe } from "../../livekit/probe.js";
import { releaseStoring, ruleUsesField, versionFloor, versionFloorText, type VersionFloor } from "../../livekit/server-version.js";
import { AppError, EXIT, type ExitCode, type InboundTrunk } from "../../model/index.js";
import { ALL_ENVIRONMENTS, type LoadResult } from "../../rules-file/index.js";
import { environmentServerOptions, selectedEnvironment } from "../environment-options.js";
import { choiceFlag, configPath, flagsFor, parseFlags, stringFlag, type ParsedFlags } from "../flags.js";
import { useColor, type CliIo } from "../io.js";
import { displayFile, readRules } from "../rules-input.js";
import { CREDENTIAL_SOURCES, resolveTimeout } from "../server-options.js";

export const help = `Usage: sip-dispatch-sync doctor [flags]

Check everything a plan or an apply needs, all at once, and say what to fix. Read-only: one
ListSIPDispatchRule request (and one ListSIPInboundTrunk when the file names trunks), never a
write.

Checks:
  file         the rules file loads and is valid (warnings are shown)
  url, api-key, api-secret
               where each credential comes from (flag, environment, secret file); all missing
               ones are named together
  server       the URL answers as a LiveKit Twirp server
  sip.admin    the key may list dispatch rules (it has the sip.admin grant)
  clock        the local clock against the server's Date header (tokens carry nbf and exp)
  version      the server's version floor, read from the keys of its List answer
  fields       fields of the file that this server would silently drop
  trunks       every \`trunks:\` name resolves to exactly one inbound trunk, and every trunkId
               is an inbound trunk (one ListSIPInboundTrunk; IDs and names only)

Flags:
  -c, --config FILE       rules file; - reads standard input (default $DISPATCH_RULES_FILE,
                          else ./dispatch-rules.yaml, else ./dispatch-rules.yml)
      --format FORMAT     text (default) | json
      --no-color          no colours (also NO_COLOR; FORCE_COLOR forces them)
      --env NAME          the environment of the file to check (default $DISPATCH_ENV): its url
                          and credentials, its rules and trunk names
      --url, --api-key, --api-secret, --timeout, --log-level   as for plan

Exit codes: 0 every check ok (warnings allowed), 1 a check failed.
`;

export type CheckStatus = "ok" | "warn" | "fail" | "skip";

export interface CheckResult {
  readonly check: string;
  readonly status: CheckStatus;
  readonly message: string;
  readonly hint?: string;
}

/** A credential and where it came from; never its value for the key and the secret. */
interface Credential {
  readonly value: string | undefined;
  readonly source: string | undefined;
  readonly problem?: string;
}

/** What the checks share; the server is asked once, on first use. */
export interface DoctorContext {
  readonly io: CliIo;
  readonly values: ParsedFlags["values"];
  readonly config: string;
  readonly file: LoadResult;
  readonly url: Credential;
  readonly apiKey: Credential;
  readonly apiSecret: Credential;
  readonly timeoutMs: number;
  /** The base URL when the URL is usable. */
  readonly server: string | undefined;
  /** One List request (undefined when a credential is missing). */
  probe(): Promise<ListProbe | undefined>;
  /** The version floor from that answer (undefined when it could not be listed). */
  version(): Promise<VersionFloor | undefined>;
}

export interface DoctorCheck {
  readonly id: string;
  run(ctx: DoctorContext): Promise<readonly CheckResult[]>;
}

const ok = (check: string, message: string, hint?: string): CheckResult => ({ check, status: "ok", message, ...(hint ? { hint } : {}) });
const warn = (check: string, message: string, hint?: string): CheckResult => ({ check, status: "warn", message, ...(hint ? { hint } : {}) });
const fail = (check: string, message: string, hint?: string): CheckResult => ({ check, status: "fail", message, ...(hint ? { hint } : {}) });
const skip = (check: string, message: string): CheckResult => ({ check, status: "skip", message });

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

const fileCheck: DoctorCheck = {
  id: "file",
  async run(ctx) {
    const name = displayFile(ctx.config);
    const r = ctx.file;
    if (!r.ok) {
      const errors = r.diagnostics.filter((d) => d.severity === "error");
      const first = errors[0];
      const at = first === undefined ? "" : first.line > 0 ? `${first.file}:${first.line}:${first.column}: ` : `${first.file}: `;
      return [fail("file", `${name}: ${plural(errors.length, "error")}; the first: ${at}${first?.message ?? "invalid"}`, `${first?.hint ? `${first.hint}; ` : ""}run "sip-dispatch-sync validate -c ${ctx.config}" for every problem`)];
    }
    const rules = plural(r.state.rules.length, "rule");
    if (r.warnings.length === 0) return [ok("file", `${name}: ${rules}, valid`)];
    const w = r.warnings[0];
    return [warn("file", `${name}: ${rules}, valid, ${plural(r.warnings.length, "warning")}; the first: ${w?.line ? `line ${w.line}: ` : ""}${w?.message ?? ""}`, `run "sip-dispatch-sync validate -c ${ctx.config}" to see them all`)];
  },
};

const credentialsCheck: DoctorCheck = {
  id: "credentials",
  async run(ctx) {
    const out: CheckResult[] = [];
    const missing = [
      ctx.url.value ? undefined : "LiveKit server URL",
      ctx.apiKey.value ? undefined : "API key",
      ctx.apiSecret.value ? undefined : "API secret",
    ].filter((x): x is string => x !== undefined);
    const missingNote = missing.length > 1 ? ` (missing together: ${missing.join(", ")})` : "";
    if (ctx.url.problem) out.push(fail("url", `${ctx.url.problem}`, "pass the server's base URL, e.g. wss://my-project.livekit.cloud or http://127.0.0.1:7880"));
    else if (ctx.url.value) out.push(ok("url", `${ctx.server ?? ctx.url.value} (from ${ctx.url.source})`));
    else out.push(fail("url", `no LiveKit server URL${missingNote}`, CREDENTIAL_SOURCES.url));
    if (ctx.apiKey.problem) out.push(fail("api-key", ctx.apiKey.problem, CREDENTIAL_SOURCES.apiKey));
    else if (ctx.apiKey.value) out.push(ok("api-key", `from ${ctx.apiKey.source}`));
    else out.push(fail("api-key", `no API key${missingNote}`, CREDENTIAL_SOURCES.apiKey));
    if (ctx.apiSecret.problem) out.push(fail("api-secret", ctx.apiSecret.problem, "point LIVEKIT_API_SECRET_FILE at a readable file that holds only the API secret"));
    else if (!ctx.apiSecret.value) out.push(fail("api-secret", `no API secret${missingNote}`, CREDENTIAL_SOURCES.apiSecret));
    else if (ctx.apiSecret.source === "--api-secret") out.push(warn("api-secret", "from --api-secret", "a secret on the command line shows in `ps` and shell history: prefer LIVEKIT_API_SECRET or LIVEKIT_API_SECRET_FILE"));
    else if (ctx.apiSecret.source === "LIVEKIT_API_SECRET" && ctx.io.env.LIVEKIT_API_SECRET_FILE) {
      out.push(warn("api-secret", "from LIVEKIT_API_SECRET; LIVEKIT_API_SECRET_FILE is set too and is ignored", "unset one of them so that it is clear which secret is used"));
    } else out.push(ok("api-secret", `from ${ctx.apiSecret.source}`));
    return out;
  },
};

const serverCheck: DoctorCheck = {
  id: "server",
  async run(ctx) {
    const p = await ctx.probe();
    if (p === undefined) return [skip("server", "not checked: the URL, the key or the secret is missing")];
    if (p.status === 0) return [fail("server", `${ctx.server}: no answer (${p.failure ?? "network error"})`, "check the URL and the port (LiveKit's HTTP port is 7880 by default; ws:// and wss:// URLs work too)")];
    if (!p.twirp) return [fail("server", `${ctx.server} answers (HTTP ${p.status}), but not as a LiveKit Twirp server: ${p.message ?? ""}`, "point --url at the LiveKit server itself, not at a dashboard, a path or a proxy that rewrites /twirp/")];
    if (p.code === "bad_route") return [fail("server", `${ctx.server} is a Twirp server without the SIP service (${p.message ?? "bad_route"})`, "LiveKit SIP needs livekit-server v1.5.2 or later")];
    return [ok("server", `${ctx.server} answers as a LiveKit Twirp server (HTTP ${p.status} in ${Math.round(p.roundTripMs)} ms)`)];
  },
};

const adminCheck: DoctorCheck = {
  id: "sip.admin",
  async run(ctx) {
    const p = await ctx.probe();
    if (p === undefined || p.status === 0 || !p.twirp || p.code === "bad_route") return [skip("sip.admin", "not checked: the server did not answer as LiveKit")];
    if (p.status >= 200 && p.status < 300) return [ok("sip.admin", `the key may list dispatch rules (${plural(p.items?.length ?? 0, "rule")} in the first page)`)];
    if (p.code === "unauthenticated" || p.code === "permission_denied" || p.status === 401 || p.status === 403) {
      return [fail("sip.admin", `the server refused the key (HTTP ${p.status} ${p.code ?? ""}: ${p.message ?? ""})`, "use a key with the sip.admin grant and its own secret; a clock far off the server's (see clock) also makes tokens invalid")];
    }
    return [fail("sip.admin", `ListSIPDispatchRule failed: HTTP ${p.status} ${p.code ?? ""}: ${p.message ?? ""}`, p.status >= 500 ? "the server has a problem (is its Redis reachable? SIP needs it)" : "see the message")];
  },
};

/** The server's token check allows this much clock difference (go-jose's default leeway). */
const TOKEN_LEEWAY_MS = 60_000;

const clockCheck: DoctorCheck = {
  id: "clock",
  async run(ctx) {
    const p = await ctx.probe();
    if (p === undefined || p.status === 0) return [skip("clock", "not checked: no answer from the server")];
    if (p.serverDateMs === undefined) return [warn("clock", "the server sent no Date header: the clock difference cannot be told", "compare the clocks by hand if tokens are refused")];
    // Date has whole seconds: up to 1 s plus half the round trip is noise.
    const skew = p.localMidMs - p.serverDateMs;
    const noise = 1000 + p.roundTripMs / 2;
    const beyond = Math.max(0, Math.abs(skew) - noise);
    const side = skew > 0 ? "ahead of" : "behind";
    if (beyond === 0) return [ok("clock", "within 1 s of the server's clock")];
    const text = `the local clock is about ${(Math.abs(skew) / 1000).toFixed(0)} s ${side} the server's`;
    if (beyond < 10_000) return [ok("clock", text)];
    if (beyond < TOKEN_LEEWAY_MS) return [warn("clock", text, "synchronise the clock (NTP): tokens carry nbf and exp, and the server allows about a minute")];
    return [fail("clock", text, "synchronise the clock (NTP): the server rejects tokens from a clock more than a minute off")];
  },
};

const versionCheck: DoctorCheck = {
  id: "version",
  async run(ctx) {
    const v = await ctx.version();
    if (v === undefined) return [skip("version", "not checked: the server's rules could not be listed")];
    if (v.items === 0) return [warn("version", "cannot tell: the server has no dispatch rules yet (the version is read from a listed rule's keys)", "run doctor again after the first apply")];
    if (!v.emitsDefaults) return [warn("version", "cannot tell: the List answer leaves out default values (a proxy, or LiveKit Cloud)", "the fields check cannot run either; compare the server's release notes with the fields you use")];
    // The same reading and text as plan/apply's debug line (one version floor, issue #12).
    return [ok("version", versionFloorText(v))];
  },
};

const fieldsCheck: DoctorCheck = {
  id: "fields",
  async run(ctx) {
    const v = await ctx.version();
    if (!ctx.file.ok) return [skip("fields", "not checked: the file is invalid")];
    if (v === undefined || v.items === 0 || !v.emitsDefaults) return [skip("fields", "not checked: the server's version cannot be told")];
    const out: CheckResult[] = [];
    for (const field of v.missingFields) {
      const users = ctx.file.state.rules.filter((r) => ruleUsesField(r.spec as unknown as Record<string, unknown>, field)).map((r) => r.spec.name);
      if (users.length === 0) continue;
      const shown = users.slice(0, 5).map((n) => JSON.stringify(n)).join(", ") + (users.length > 5 ? `, and ${users.length - 5} more` : "");
      const release = releaseStoring(field) ?? "a newer release";
      out.push(
        fail("fields", `the server would silently drop \`${field}\` of ${plural(users.length, "rule")} (${shown}): it is older than ${release}`, `upgrade livekit-server to ${release} or later, or remove \`${field}\` from those rules; otherwise apply succeeds and plan shows the same change forever`),
      );
    }
    return out.length > 0 ? out : [ok("fields", "the server stores every field the file sets")];
  },
};

/**
 * SPEC §8: every `trunks:` name resolves to exactly one inbound trunk of the server (one
 * ListSIPInboundTrunk, IDs and names only), and every trunkId is an inbound trunk.
 */
const trunksCheck: DoctorCheck = {
  id: "trunks",
  async run(ctx) {
    if (!ctx.file.ok) return [skip("trunks", "not checked: the file is invalid")];
    const state = ctx.file.state;
    if (!needsTrunkList(state)) return [ok("trunks", "the file names no trunk (every rule takes every inbound trunk)")];
    if (ctx.server === undefined || !ctx.apiKey.value || !ctx.apiSecret.value) return [skip("trunks", "not checked: no usable server and credentials")];
    const transport = createNodeTransport();
    let listing: readonly InboundTrunk[] | { readonly error: string };
    try {
      const client = createSipClient({ url: ctx.server, apiKey: ctx.apiKey.value, apiSecret: ctx.apiSecret.value, timeoutMs: ctx.timeoutMs, fetch: transport.fetch, retry: { ...DEFAULT_RETRY, maxAttempts: 1 } });
      listing = await client.listInboundTrunks();
    } catch (err) {
      listing = { error: err instanceof Error ? err.message : String(err) };
    } finally {
      transport.close();
    }
    const r = resolveTrunkNames(state, listing);
    const out: CheckResult[] = [];
    for (const d of r.diagnostics) out.push(fail("trunks", `${d.line > 0 ? `line ${d.line}: ` : ""}${d.message}`, d.hint));
    for (const w of r.warnings) out.push(warn("trunks", w, "use the ID of an inbound trunk (ListSIPInboundTrunk), or name the trunk with trunks: [NAME]"));
    if (out.length === 0) {
      const names = r.resolved.map((x) => `${x.name} (${x.id})`).join(", ");
      out.push(ok("trunks", names === "" ? "every trunkId is an inbound trunk" : `every trunk name resolves: ${names}`));
    }
    return out;
  },
};

/** Every check, in the order they are reported. Append new checks here. */
export const DOCTOR_CHECKS: DoctorCheck[] = [fileCheck, credentialsCheck, serverCheck, adminCheck, clockCheck, versionCheck, fieldsCheck, trunksCheck];

function credential(flag: string | undefined, flagName: string, env: string | undefined, envName: string): Credential {
  if (flag) return { value: flag, source: flagName };
  if (env) return { value: env, source: envName };
  return { value: undefined, source: undefined };
}

function secretCredential(values: ParsedFlags["values"], io: CliIo): Credential {
  const direct = credential(stringFlag(values, "api-secret"), "--api-secret", io.env.LIVEKIT_API_SECRET, "LIVEKIT_API_SECRET");
  if (direct.value) return direct;
  const path = io.env.LIVEKIT_API_SECRET_FILE;
  if (!path) return direct;
  try {
    const secret = readFileSync(path, "utf8").replace(/\r?\n$/, "");
    if (secret === "") return { value: undefined, source: undefined, problem: `LIVEKIT_API_SECRET_FILE ${path} is empty` };
    return { value: secret, source: `LIVEKIT_API_SECRET_FILE (${path})` };
  } catch (err) {
    return { value: undefined, source: undefined, problem: `LIVEKIT_API_SECRET_FILE ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? "unreadable"})` };
  }
}

/**
 * SPEC §8: with an environment, the file names the server and may hold the credentials; they are
 * checked as the server commands take them (--url / LIVEKIT_URL must agree with its url).
 */
function environmentCredentials(values: ParsedFlags["values"], io: CliIo, config: string, file: LoadResult): { url: Credential; apiKey: Credential; apiSecret: Credential } | undefined {
  if (!file.ok || file.state.environment === undefined) return undefined;
  const env = file.state.environment;
  const source = `environments.${env.name}`;
  try {
    const opts = environmentServerOptions(values, io, { environment: env, configFile: config });
    const keySource = stringFlag(values, "api-key") !== undefined ? "--api-key" : env.apiKey !== undefined ? `${source}.apiKey` : "LIVEKIT_API_KEY";
    const secretSource = stringFlag(values, "api-secret") !== undefined ? "--api-secret" : env.apiSecretFile !== undefined ? `${source}.apiSecretFile` : io.env.LIVEKIT_API_SECRET ? "LIVEKIT_API_SECRET" : "LIVEKIT_API_SECRET_FILE";
    return { url: { value: opts.url, source: `${source}.url` }, apiKey: { value: opts.apiKey, source: keySource }, apiSecret: { value: opts.apiSecret, source: secretSource } };
  } catch (err) {
    const message = err instanceof AppError ? err.message : String(err);
    const url: Credential = { value: env.url, source: `${source}.url`, ...(/url|refused/i.test(message) ? { problem: message } : {}) };
    const blank: Credential = { value: undefined, source: undefined };
    if (/API key/.test(message)) return { url, apiKey: { ...blank, problem: message }, apiSecret: blank };
    return { url, apiKey: blank, apiSecret: { ...blank, problem: message } };
  }
}

async function makeContext(io: CliIo, values: ParsedFlags["values"]): Promise<DoctorContext> {
  const config = configPath(values, io);
  const environment = selectedEnvironment(values, io);
  const file = await readRules(config, io, undefined, environment === ALL_ENVIRONMENTS ? undefined : environment);
  const fromEnvironment = environmentCredentials(values, io, config, file);
  let url = fromEnvironment?.url ?? credential(stringFlag(values, "url"), "--url", io.env.LIVEKIT_URL, "LIVEKIT_URL");
  let server: string | undefined;
  if (url.value && url.problem === undefined) {
    try {
      server = resolveBaseUrl(url.value);
    } catch (err) {
      url = { ...url, problem: err instanceof AppError ? err.message : String(err) };
    }
  }
  const apiKey = fromEnvironment?.apiKey ?? credential(stringFlag(values, "api-key"), "--api-key", io.env.LIVEKIT_API_KEY, "LIVEKIT_API_KEY");
  const apiSecret = fromEnvironment?.apiSecret ?? secretCredential(values, io);
  const timeoutMs = resolveTimeout(values);
  let probe: Promise<ListProbe | undefined> | undefined;
  let version: Promise<VersionFloor | undefined> | undefined;
  const ctx: DoctorContext = {
    io,
    values,
    config,
    file,
    url,
    apiKey,
    apiSecret,
    timeoutMs,
    server,
    probe() {
      probe ??= (async () => {
        if (server === undefined || !apiKey.value || !apiSecret.value) return undefined;
        const transport = createNodeTransport();
        try {
          return await probeList({ url: server, apiKey: apiKey.value, apiSecret: apiSecret.value, timeoutMs, fetch: transport.fetch });
        } finally {
          transport.close();
        }
      })();
      return probe;
    },
    version() {
      version ??= ctx.probe().then((p) => (p?.items === undefined || p.status < 200 || p.status >= 300 ? undefined : versionFloor({ rules: p.items })));
      return version;
    },
  };
  return ctx;
}

const PAINT: Readonly<Record<CheckStatus, string>> = { ok: "\u001b[32m", warn: "\u001b[33m", fail: "\u001b[31m", skip: "\u001b[2m" };

export function renderDoctorText(results: readonly CheckResult[], head: string, color: boolean): string {
  const width = Math.max(...results.map((r) => r.check.length));
  const lines = [head, ""];
  for (const r of results) {
    const status = r.status.padEnd(4);
    lines.push(`  ${color ? `${PAINT[r.status]}${status}\u001b[0m` : status}  ${r.check.padEnd(width)}  ${r.message}`);
    if (r.hint) lines.push(`  ${" ".repeat(4)}  ${" ".repeat(width)}  hint: ${r.hint}`);
  }
  const count = (s: CheckStatus) => results.filter((r) => r.status === s).length;
  const skipped = count("skip");
  lines.push("", `Doctor: ${count("ok")} ok, ${plural(count("warn"), "warning")}, ${count("fail")} failed${skipped > 0 ? `, ${skipped} not checked` : ""}.`);
  return `${lines.join("\n")}\n`;
}

export async function run(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const { values } = parseFlags("doctor", args, flagsFor("doctor"));
  const format = choiceFlag(values, "format", ["text", "json"] as const, "text");
  const ctx = await makeContext(io, values);
  const results: CheckResult[] = [];
  for (const check of DOCTOR_CHECKS) results.push(...(await check.run(ctx)));
  const failed = results.some((r) => r.status === "fail");
  if (format === "json") {
    io.stdout.write(`${JSON.stringify({ formatVersion: 1, ok: !failed, checks: results.map((r) => ({ check: r.check, status: r.status, message: r.message, hint: r.hint ?? null })) }, null, 2)}\n`);
  } else {
    const head = `Doctor: ${displayFile(ctx.config)} against ${ctx.server ?? "(no server URL)"}`;
    io.stdout.write(renderDoctorText(results, head, useColor(io, values)));
  }
  return failed ? EXIT.error : EXIT.ok;
}

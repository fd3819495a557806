// Process wiring. SPEC §8: the environment a server command runs against (--env NAME, else
// $DISPATCH_ENV), and its server options: the environment's `url` (a different --url or
// LIVEKIT_URL is refused: planning production against staging's server is the mistake this
// guards against), and its credentials (`apiKey`, `apiSecretFile`) before the process's.
import { readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { resolveBaseUrl } from "../livekit/base-url.js";
import { UsageError, type FileEnvironment } from "../model/index.js";
import { interpolateString } from "../rules-file/index.js";
import { parseDuration } from "./duration.js";
import { stringFlag, type ParsedFlags } from "./flags.js";
import type { CliIo } from "./io.js";

/** The selected environment of a loaded file, with the file it came from (for relative paths). */
export interface EnvironmentContext {
  readonly environment: FileEnvironment;
  readonly configFile: string;
}

/** --env, else $DISPATCH_ENV; undefined when neither names one. */
export function selectedEnvironment(values: ParsedFlags["values"], io: CliIo): string | undefined {
  const flag = stringFlag(values, "env");
  if (flag !== undefined) {
    if (flag === "") throw new UsageError("--env: the environment name is empty", "pass --env NAME with a name from the file's `environments:`");
    return flag;
  }
  const fromEnv = io.env.DISPATCH_ENV;
  return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv;
}

/** Where the environment was asked for, for messages. */
export function environmentSource(values: ParsedFlags["values"]): string {
  return stringFlag(values, "env") !== undefined ? "--env" : "DISPATCH_ENV";
}

/** A secret file: a regular file under 64 KiB; the trailing newline of `echo` or a mounted Secret is dropped. */
const MAX_SECRET_FILE_BYTES = 64 * 1024;

function readSecretFileAt(path: string, label: string): string {
  let text: string;
  try {
    const info = statSync(path);
    if (!info.isFile()) throw new UsageError(`${label} ${path} is not a regular file`, "point it at a file that holds only the API secret");
    if (info.size > MAX_SECRET_FILE_BYTES) throw new UsageError(`${label} ${path} is ${info.size} bytes, over ${MAX_SECRET_FILE_BYTES}`, "point it at a file that holds only the API secret");
    text = readFileSync(path, "utf8");
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const why = (err as NodeJS.ErrnoException).code ?? "unreadable";
    throw new UsageError(`${label} ${path}: cannot read it (${why})`, "point it at a readable file that holds only the API secret");
  }
  const secret = text.replace(/\r?\n$/, "");
  if (secret === "") throw new UsageError(`${label} ${path} is empty`, "write the API secret into the file");
  return secret;
}

/** `apiKey` / `apiSecretFile` of an environment with ${...} resolved; a missing variable is an error naming it. */
function interpolated(env: FileEnvironment, field: "apiKey" | "apiSecretFile"): string | undefined {
  const raw = env[field];
  if (raw === undefined) return undefined;
  const r = interpolateString(raw, env.vars);
  const problem = r.problems[0];
  if (problem !== undefined) throw new UsageError(`environment ${env.name}: ${field}: ${problem.message}`, problem.hint);
  // `${VAR:-}` (an explicit empty default) means "not given here": the process's credentials are used.
  return r.value === "" ? undefined : r.value;
}

export function environmentServerOptions(values: ParsedFlags["values"], io: CliIo, ctx: EnvironmentContext) {
  const env = ctx.environment;
  const url = env.url;
  const base = resolveBaseUrl(url);
  for (const [source, other] of [["--url", stringFlag(values, "url")], ["LIVEKIT_URL", io.env.LIVEKIT_URL]] as const) {
    if (other === undefined || other === "") continue;
    let otherBase: string;
    try {
      otherBase = resolveBaseUrl(other);
    } catch {
      otherBase = other;
    }
    if (otherBase !== base) {
      throw new UsageError(
        `refused: environment ${env.name} is ${base}, but ${source} points at ${otherBase}; nothing was read or changed`,
        `unset ${source === "--url" ? "--url" : "LIVEKIT_URL"} (the environment's url is used), or pick the environment of that server with --env`,
      );
    }
  }
  const apiKey = stringFlag(values, "api-key") ?? interpolated(env, "apiKey") ?? io.env.LIVEKIT_API_KEY;
  if (!apiKey) throw new UsageError(`no API key for environment ${env.name}`, `set LIVEKIT_API_KEY, pass --api-key, or give environments.${env.name}.apiKey in the file`);
  const secretFile = interpolated(env, "apiSecretFile");
  const apiSecret =
    stringFlag(values, "api-secret") ??
    (secretFile === undefined ? undefined : readSecretFileAt(isAbsolute(secretFile) ? secretFile : resolve(dirname(ctx.configFile), secretFile), `environments.${env.name}.apiSecretFile`)) ??
    (io.env.LIVEKIT_API_SECRET || undefined) ??
    (io.env.LIVEKIT_API_SECRET_FILE ? readSecretFileAt(io.env.LIVEKIT_API_SECRET_FILE, "LIVEKIT_API_SECRET_FILE") : undefined);
  if (!apiSecret) {
    throw new UsageError(
      `no API secret for environment ${env.name}`,
      `set LIVEKIT_API_SECRET (or LIVEKIT_API_SECRET_FILE), pass --api-secret, or give environments.${env.name}.apiSecretFile in the file`,
    );
  }
  return { url, apiKey, apiSecret, timeoutMs: parseDuration("timeout", stringFlag(values, "timeout") ?? "10s") };
}

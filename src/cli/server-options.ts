// Process wiring. Resolves the server flags/env of SPEC §3 (--url, --api-key, --api-secret or
// $LIVEKIT_API_SECRET_FILE, --timeout) into client options. Secrets are never echoed.
import { readFileSync } from "node:fs";
import { UsageError } from "../model/index.js";
import { parseDuration } from "./duration.js";
import { environmentServerOptions, type EnvironmentContext } from "./environment-options.js";
import { stringFlag, type ParsedFlags } from "./flags.js";
import type { CliIo } from "./io.js";

export interface ServerOptions {
  readonly url: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly timeoutMs: number;
}

export function resolveTimeout(values: ParsedFlags["values"]): number {
  return parseDuration("timeout", stringFlag(values, "timeout") ?? "10s");
}

export function resolveServerOptions(values: ParsedFlags["values"], io: CliIo, environment?: EnvironmentContext): ServerOptions {
  if (environment !== undefined) return environmentServerOptions(values, io, environment);
  const url = stringFlag(values, "url") ?? io.env.LIVEKIT_URL;
  if (!url) {
    throw new UsageError("no LiveKit server URL", "set LIVEKIT_URL or pass --url (for the built-in emulator: --url http://127.0.0.1:7880)");
  }
  const apiKey = stringFlag(values, "api-key") ?? io.env.LIVEKIT_API_KEY;
  if (!apiKey) throw new UsageError("no API key", "set LIVEKIT_API_KEY or pass --api-key");
  const apiSecret = stringFlag(values, "api-secret") ?? io.env.LIVEKIT_API_SECRET ?? readSecretFile(io);
  if (!apiSecret) {
    throw new UsageError("no API secret", "set LIVEKIT_API_SECRET, or LIVEKIT_API_SECRET_FILE to a file holding it, or pass --api-secret");
  }
  return { url, apiKey, apiSecret, timeoutMs: resolveTimeout(values) };
}

function readSecretFile(io: CliIo): string | undefined {
  const path = io.env.LIVEKIT_API_SECRET_FILE;
  if (!path) return undefined;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? "unreadable";
    throw new UsageError(`LIVEKIT_API_SECRET_FILE ${path}: cannot read it (${why})`, "point LIVEKIT_API_SECRET_FILE at a readable file that holds only the API secret");
  }
  // Files mounted from Kubernetes Secrets or written by `echo` end with a newline.
  const secret = text.replace(/\r?\n$/, "");
  if (secret === "") throw new UsageError(`LIVEKIT_API_SECRET_FILE ${path} is empty`, "write the API secret into the file");
  return secret;
}

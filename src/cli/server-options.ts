// Process wiring. Resolves the server flags/env of SPEC §3 (--url, --api-key, --api-secret or
// $LIVEKIT_API_SECRET_FILE, --timeout) into client options. Secrets are never echoed.
import { readFileSync } from "node:fs";
import { UsageError } from "../model/index.js";
import { parseDuration } from "./duration.js";
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

/** Where each server setting comes from, for messages and `doctor`. */
export const CREDENTIAL_SOURCES = {
  url: "set LIVEKIT_URL or pass --url (for the built-in emulator: --url http://127.0.0.1:7880)",
  apiKey: "set LIVEKIT_API_KEY or pass --api-key",
  apiSecret: "set LIVEKIT_API_SECRET, or LIVEKIT_API_SECRET_FILE to a file holding it, or pass --api-secret",
} as const;

/**
 * The server settings, every missing one named in one error (a run per missing variable is a
 * slow way to learn three names).
 */
export function resolveServerOptions(values: ParsedFlags["values"], io: CliIo): ServerOptions {
  const url = stringFlag(values, "url") ?? io.env.LIVEKIT_URL;
  const apiKey = stringFlag(values, "api-key") ?? io.env.LIVEKIT_API_KEY;
  const apiSecret = stringFlag(values, "api-secret") ?? io.env.LIVEKIT_API_SECRET ?? readSecretFile(io);
  const missing: [string, string][] = [];
  if (!url) missing.push(["LiveKit server URL", CREDENTIAL_SOURCES.url]);
  if (!apiKey) missing.push(["API key", CREDENTIAL_SOURCES.apiKey]);
  if (!apiSecret) missing.push(["API secret", CREDENTIAL_SOURCES.apiSecret]);
  if (missing.length === 1) {
    const [what, hint] = missing[0] as [string, string];
    throw new UsageError(`no ${what}`, hint);
  }
  if (missing.length > 1) {
    throw new UsageError(`missing ${missing.map(([what]) => what).join(", ")}`, missing.map(([, hint]) => hint).join("; "));
  }
  return { url: url as string, apiKey: apiKey as string, apiSecret: apiSecret as string, timeoutMs: resolveTimeout(values) };
}

export function readSecretFile(io: CliIo): string | undefined {
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

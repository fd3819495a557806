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
  /** SPEC §5 bounds; absent = the client's defaults (sized for 100,000 rules). */
  readonly maxAnswerBytes?: number;
  readonly maxListPages?: number;
}

const SIZE_UNITS: Readonly<Record<string, number>> = { "": 1, b: 1, k: 1e3, kb: 1e3, kib: 1024, m: 1e6, mb: 1e6, mib: 1024 ** 2, g: 1e9, gb: 1e9, gib: 1024 ** 3 };

/** "128MiB", "500MB", "1000000" -> bytes; a UsageError naming the flag otherwise. */
export function parseByteSize(flag: string, text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m === null ? undefined : SIZE_UNITS[(m[2] ?? "").toLowerCase()];
  const n = m === null || unit === undefined ? NaN : Math.floor(Number(m[1]) * unit);
  if (!(Number.isSafeInteger(n) && n > 0)) throw new UsageError(`${flag}: cannot read ${JSON.stringify(text)} as a size`, `pass a positive size such as 128MiB, 500MB or 1000000 (bytes)`);
  return n;
}

function parseCount(flag: string, text: string): number {
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!(Number.isSafeInteger(n) && n > 0)) throw new UsageError(`${flag}: cannot read ${JSON.stringify(text)} as a page count`, "pass a positive whole number such as 2000");
  return n;
}

/** --max-answer-bytes / --max-list-pages, else $DISPATCH_MAX_ANSWER_BYTES / $DISPATCH_MAX_LIST_PAGES (SPEC §5). */
export function resolveBounds(values: ParsedFlags["values"], io: CliIo): { maxAnswerBytes?: number; maxListPages?: number } {
  const bytesFlag = stringFlag(values, "max-answer-bytes");
  const bytes = bytesFlag ?? (io.env.DISPATCH_MAX_ANSWER_BYTES || undefined);
  const pagesFlag = stringFlag(values, "max-list-pages");
  const pages = pagesFlag ?? (io.env.DISPATCH_MAX_LIST_PAGES || undefined);
  return {
    ...(bytes === undefined ? {} : { maxAnswerBytes: parseByteSize(bytesFlag === undefined ? "DISPATCH_MAX_ANSWER_BYTES" : "--max-answer-bytes", bytes) }),
    ...(pages === undefined ? {} : { maxListPages: parseCount(pagesFlag === undefined ? "DISPATCH_MAX_LIST_PAGES" : "--max-list-pages", pages) }),
  };
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
  return { url: url as string, apiKey: apiKey as string, apiSecret: apiSecret as string, timeoutMs: resolveTimeout(values), ...resolveBounds(values, io) };
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

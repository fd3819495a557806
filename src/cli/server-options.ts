// Process wiring. Resolves the server flags/env of SPEC §3 (--url, --api-key, --api-secret or
// $LIVEKIT_API_SECRET_FILE, --timeout) into client options. Secrets are never echoed.
import { Buffer } from "node:buffer";
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";
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
export function resolveServerOptions(values: ParsedFlags["values"], io: CliIo, environment?: EnvironmentContext): ServerOptions {
  // SPEC §8: the file's environment names the server and may hold the credentials.
  if (environment !== undefined) return environmentServerOptions(values, io, environment);
  const url = stringFlag(values, "url") ?? io.env.LIVEKIT_URL;
  const apiKey = stringFlag(values, "api-key") ?? io.env.LIVEKIT_API_KEY;
  // A non-empty LIVEKIT_API_SECRET wins; an empty one (an undefined CI secret) does not hide the file.
  const apiSecret = trimSecret(stringFlag(values, "api-secret") || io.env.LIVEKIT_API_SECRET || readSecretFile(io), io);
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

/**
 * The API secret when one is given (flag, environment or file), else undefined: `plan --against`
 * needs no server, but keys its fingerprint with the secret when there is one (core/fingerprint.ts).
 */
export function optionalApiSecret(values: ParsedFlags["values"], io: CliIo): string | undefined {
  return trimSecret(stringFlag(values, "api-secret") || io.env.LIVEKIT_API_SECRET || readSecretFile(io), io) || undefined;
}

/** A secret file holds a few dozen bytes; anything larger is the wrong file (or /dev/zero). */
export const MAX_SECRET_FILE_BYTES = 64 * 1024;

/**
 * Surrounding whitespace is never part of a LiveKit secret: a stray space or newline from
 * `echo` or an editor would only give a bare 401. It is trimmed, with a warning (which never
 * shows the secret).
 */
function trimSecret(secret: string | undefined, io: CliIo): string | undefined {
  if (secret === undefined) return undefined;
  const trimmed = secret.trim();
  // One trailing newline is what files mounted from Kubernetes Secrets or written by `echo` end with.
  if (trimmed !== secret && trimmed !== secret.replace(/\r?\n$/, "")) {
    io.stderr.write("warning: the API secret has surrounding whitespace; it was trimmed\n");
  }
  return trimmed;
}

export function readSecretFile(io: CliIo): string | undefined {
  const path = io.env.LIVEKIT_API_SECRET_FILE;
  if (!path) return undefined;
  const hint = "point LIVEKIT_API_SECRET_FILE at a readable regular file that holds only the API secret";
  let fd: number | undefined;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UsageError(`LIVEKIT_API_SECRET_FILE ${path} is not a regular file (${kindOf(st)})`, hint);
    if (st.size > MAX_SECRET_FILE_BYTES) throw new UsageError(`LIVEKIT_API_SECRET_FILE ${path} is ${st.size} bytes, over the limit of ${MAX_SECRET_FILE_BYTES}`, hint);
    const buf = Buffer.alloc(MAX_SECRET_FILE_BYTES + 1);
    const n = readSync(fd, buf, 0, buf.length, 0);
    if (n > MAX_SECRET_FILE_BYTES) throw new UsageError(`LIVEKIT_API_SECRET_FILE ${path} is over the limit of ${MAX_SECRET_FILE_BYTES} bytes`, hint);
    const secret = buf.subarray(0, n).toString("utf8");
    if (secret.trim() === "") throw new UsageError(`LIVEKIT_API_SECRET_FILE ${path} is empty`, "write the API secret into the file");
    return secret;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const why = (err as NodeJS.ErrnoException).code ?? "unreadable";
    throw new UsageError(`LIVEKIT_API_SECRET_FILE ${path}: cannot read it (${why})`, hint);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function kindOf(st: Stats): string {
  if (st.isFIFO()) return "a named pipe";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isDirectory()) return "a directory";
  if (st.isSocket()) return "a socket";
  return "not a file";
}

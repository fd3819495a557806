// I/O. The transport for the SipClient: the subset of `fetch` that the client uses
// (POST, headers, body, AbortSignal, redirect: "manual"; status, headers.get, text()) over
// node:http / node:https with one keep-alive agent per scheme. Why not the global fetch: Node's
// fetch is undici, which loads its own HTTP stack (llhttp in WebAssembly, WHATWG streams) and adds
// about 12-16 MB to the resident set of a process that is otherwise idle; node:http is already
// loaded for the daemon's own endpoints. Transport failures reject with Node's errors as they are
// (`code` ECONNREFUSED, ENOTFOUND, ECONNRESET, ERR_TLS_*...), which is what the client classifies.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type * as Zlib from "node:zlib";

/** What the SipClient reads from an answer. */
export interface TransportResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
  /**
   * The body's bytes handed to `onChunk` as they arrive (decompressed, counted against maxBytes
   * like text()), instead of text(): a large List answer is decoded without ever being held whole
   * (list-stream.ts). Optional: the global fetch has no such method and is read with text().
   * An exception from `onChunk` stops the read and rejects with it.
   */
  consume?(onChunk: (chunk: Buffer) => void): Promise<void>;
}

export interface TransportInit {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly signal?: AbortSignal | null;
  /** Redirects are never followed: a 3xx is returned as it is (fetch's "manual"). */
  readonly redirect?: "manual";
  /**
   * The most bytes of body text() may hold, counted after decompression (SPEC §5 bounds; a gzip
   * bomb stops at this size). Past it text() rejects with an error whose code is
   * ANSWER_TOO_LARGE. Not part of fetch: a transport that ignores it is checked by the caller.
   */
  readonly maxBytes?: number;
}

/** The `code` of the error text() rejects with when the body passes TransportInit.maxBytes. */
export const ANSWER_TOO_LARGE = "ERR_ANSWER_TOO_LARGE";

export function answerTooLarge(maxBytes: number): Error {
  return Object.assign(new Error(`the answer is larger than ${maxBytes} bytes`), { code: ANSWER_TOO_LARGE, maxBytes });
}

export type Transport = (url: string, init?: TransportInit) => Promise<TransportResponse>;

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return Object.assign(new Error("This operation was aborted"), { name: "AbortError", code: "ABORT_ERR" });
}

function headerGetter(res: IncomingMessage): TransportResponse["headers"] {
  return {
    get(name: string): string | null {
      const v = res.headers[name.toLowerCase()];
      if (v === undefined) return null;
      return Array.isArray(v) ? v.join(", ") : v;
    },
  };
}

/**
 * The body's bytes, decompressed when encoded, to `onChunk` as they arrive; rejects with
 * ANSWER_TOO_LARGE past `maxBytes` (decompressed bytes are counted: a gzip bomb stops there).
 */
async function pumpBody(res: IncomingMessage, maxBytes: number, onChunk: (chunk: Buffer) => void): Promise<void> {
  const encoding = (res.headers["content-encoding"] ?? "identity").trim().toLowerCase();
  const declared = Number(res.headers["content-length"] ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    res.destroy();
    throw answerTooLarge(maxBytes);
  }
  let stream: NodeJS.ReadableStream = res;
  let decoder: Zlib.Gunzip | Zlib.Inflate | Zlib.BrotliDecompress | undefined;
  if (encoding === "gzip" || encoding === "x-gzip" || encoding === "deflate" || encoding === "br") {
    // Only sent by a server that ignores the absent Accept-Encoding; zlib is loaded only then
    // (getBuiltinModule, not import(): the executable runs this code in a script, see bin.cts).
    const zlib = process.getBuiltinModule("node:zlib") as typeof Zlib;
    const d = encoding === "br" ? zlib.createBrotliDecompress() : encoding === "deflate" ? zlib.createInflate() : zlib.createGunzip();
    decoder = d;
    res.on("error", (err) => d.destroy(err));
    stream = res.pipe(d);
  }
  let size = 0;
  await new Promise<void>((resolve, reject) => {
    let failed = false;
    const fail = (err: unknown): void => {
      if (failed) return;
      failed = true;
      decoder?.destroy();
      res.destroy();
      reject(err);
    };
    stream.on("data", (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > maxBytes) {
        // Decompressed bytes are counted: stop inflating and drop the connection at once.
        fail(answerTooLarge(maxBytes));
        return;
      }
      try {
        onChunk(c);
      } catch (err) {
        fail(err);
      }
    });
    stream.once("error", reject);
    stream.once("end", resolve);
    // A peer that resets mid-body: Node emits "error" (ECONNRESET) and "close" without "end".
    res.once("close", () => {
      if (!res.complete) reject(Object.assign(new Error("the connection closed mid-body"), { code: "ECONNRESET" }));
    });
  });
}

/** The body as text (UTF-8, a leading BOM dropped, as fetch's text() does), decompressed when encoded. */
async function readBody(res: IncomingMessage, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  await pumpBody(res, maxBytes, (c) => chunks.push(c));
  // Buffer's decoder replaces malformed bytes with U+FFFD as TextDecoder does, and is faster here.
  const text = (chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)).toString("utf8");
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** A keep-alive transport; `close()` ends its idle connections (for a graceful stop). */
export function createNodeTransport(): {
  readonly fetch: Transport;
  close(): void;
  /**
   * Resolves once every request started so far has been written to its socket, or has failed
   * (connecting, TLS and sending are done; the answers may still be on their way). A caller about
   * to block the event loop (a large file's synchronous load) waits for it first, so that the
   * server works on the request meanwhile: the connect and the write need the event loop.
   */
  written(): Promise<void>;
} {
  const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
  let unwritten = 0;
  let waiters: (() => void)[] = [];
  const wroteOne = (): void => {
    unwritten -= 1;
    if (unwritten > 0) return;
    const ready = waiters;
    waiters = [];
    for (const resolve of ready) resolve();
  };

  const fetch: Transport = (url, init = {}) =>
    new Promise<TransportResponse>((resolve, reject) => {
      const signal = init.signal ?? undefined;
      if (signal?.aborted) {
        reject(abortError(signal));
        return;
      }
      let target: URL;
      try {
        target = new URL(url);
      } catch (err) {
        reject(Object.assign(err instanceof Error ? err : new Error(String(err)), { code: "ERR_INVALID_URL" }));
        return;
      }
      const https = target.protocol === "https:";
      if (!https && target.protocol !== "http:") {
        reject(Object.assign(new Error(`unsupported protocol ${target.protocol}`), { code: "ERR_INVALID_URL" }));
        return;
      }
      const body = init.body === undefined ? undefined : Buffer.from(init.body, "utf8");
      const headers: Record<string, string | number> = { ...(init.headers ?? {}) };
      if (body !== undefined) headers["Content-Length"] = body.length;
      const options = { method: init.method ?? "GET", headers, agent: https ? agents.https : agents.http };
      const req = https ? httpsRequest(target, options) : httpRequest(target, options);
      unwritten += 1;
      let counted = true;
      const wrote = (): void => {
        if (!counted) return;
        counted = false;
        wroteOne();
      };
      // "finish": the request is handed to the socket; "close": it ended another way (error, abort).
      req.once("finish", wrote);
      req.once("close", wrote);

      let settled = false;
      let response: IncomingMessage | undefined;
      const onAbort = (): void => {
        const err = abortError(signal as AbortSignal);
        // Before the head: the request fails; after it, a body still being read fails.
        req.destroy(err);
        response?.destroy(err);
        if (!settled) {
          settled = true;
          reject(err);
        }
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      const done = (): void => signal?.removeEventListener("abort", onAbort);

      req.once("error", (err) => {
        if (settled) return;
        settled = true;
        done();
        reject(err);
      });
      req.once("response", (res) => {
        response = res;
        settled = true;
        // The body is read once, by text() or by consume().
        let read: Promise<unknown> | undefined;
        const maxBytes = init.maxBytes ?? Number.POSITIVE_INFINITY;
        resolve({
          status: res.statusCode ?? 0,
          headers: headerGetter(res),
          text: () => (read ??= readBody(res, maxBytes).finally(done)) as Promise<string>,
          consume: (onChunk) => (read ??= pumpBody(res, maxBytes, onChunk).finally(done)) as Promise<void>,
        });
      });
      req.end(body);
    });

  return {
    fetch,
    written: () => (unwritten === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

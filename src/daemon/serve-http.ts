// I/O. Binds an HttpHandler to node:http on host:port (`--listen`), and closes it promptly on stop.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { AppError } from "../model/index.js";
import type { HttpHandler } from "./http-handler.js";

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export interface HttpServer {
  /** `http://host:port` with the port actually bound (useful with port 0). */
  readonly url: string;
  readonly port: number;
  /** Stops accepting, lets responses in progress finish (at most closeGraceMs), then resolves. */
  close(): Promise<void>;
}

/** `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (all interfaces); port 0 picks a free port. */
export function parseListenAddress(
  text: string,
): { readonly ok: true; readonly address: ListenAddress } | { readonly ok: false; readonly message: string } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port > 65535) {
    return { ok: false, message: `"${text}" is not HOST:PORT (for example 0.0.0.0:9464 or [::]:9464)` };
  }
  const host = m[1] ?? (m[2] === undefined || m[2] === "" ? "0.0.0.0" : m[2]);
  return { ok: true, address: { host, port } };
}

function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

export async function serveHttp(
  handler: HttpHandler,
  options: ListenAddress & { readonly closeGraceMs?: number; readonly onError?: (err: unknown) => void },
): Promise<HttpServer> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    handler({ method: req.method ?? "GET", url: req.url ?? "/" }).then(
      (r) => {
        res.writeHead(r.status, { ...r.headers, "content-length": Buffer.byteLength(r.body) });
        res.end(r.body);
      },
      () => {
        // The handler never rejects; this only guards against a future bug leaving a socket open.
        res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
        res.end("internal error\n");
      },
    );
  });
  // Probes and scrapers send tiny requests; a slow client must not hold the server open.
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(
        new AppError("listen-failed", `cannot listen on ${urlHost(options.host)}:${options.port}: ${err.code ?? err.message}`, {
          hint: "pass another --listen HOST:PORT, or stop the process that holds this port",
          cause: err,
        }),
      );
    };
    server.once("error", onError);
    server.listen(options.port, options.host, () => {
      server.off("error", onError);
      // A listening server's later errors are reported, never thrown as an unhandled 'error' event.
      server.on("error", (err) => options.onError?.(err));
      resolve();
    });
  });

  const addr = server.address();
  const port = typeof addr === "object" && addr !== null ? addr.port : options.port;
  let closing: Promise<void> | null = null;

  return {
    url: `http://${urlHost(options.host)}:${port}`,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const grace = setTimeout(() => server.closeAllConnections(), options.closeGraceMs ?? 2_000);
        server.close(() => {
          clearTimeout(grace);
          resolve();
        });
        // Keep-alive sockets of Prometheus would otherwise hold close() until they time out.
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

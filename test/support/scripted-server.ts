// Test support (I/O: an HTTP server on 127.0.0.1:0). Records every request and answers each from
// a queue of scripted responses: JSON or raw bodies, wrong content types, delays, and sockets
// destroyed before the headers or in the middle of the body.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ScriptedResponse {
  /** Default 200. */
  readonly status?: number;
  /** Sent as JSON with Content-Type application/json (unless contentType says otherwise). */
  readonly json?: unknown;
  /** Raw body, sent as is. */
  readonly body?: string;
  /** Overrides the Content-Type; null sends none. */
  readonly contentType?: string | null;
  readonly headers?: Readonly<Record<string, string>>;
  /** Wait this long before answering. */
  readonly delayMs?: number;
  /** "before-headers": read the request, then drop the connection. "mid-body": announce the full length, send half, drop. */
  readonly destroy?: "before-headers" | "mid-body";
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly bodyText: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: unknown;
}

export type Script = ScriptedResponse | ((req: RecordedRequest) => ScriptedResponse);

export interface ScriptedServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Queue answers, used in order; when the queue is empty the fallback answers. */
  enqueue(...scripts: Script[]): void;
  /** Requests whose path ends with `/<method>`. */
  requestsFor(method: string): RecordedRequest[];
  stop(): Promise<void>;
}

/** A Twirp JSON error body (livekit-sip-api.md §7). */
export function twirpError(status: number, code: string, msg: string, meta?: Record<string, string>): ScriptedResponse {
  return { status, json: { code, msg, ...(meta ? { meta } : {}) } };
}

const NOTHING_QUEUED: ScriptedResponse = { status: 500, json: { code: "internal", msg: "scripted server: no response queued" } };

export async function startScriptedServer(options: { fallback?: Script } = {}): Promise<ScriptedServer> {
  const queue: Script[] = [];
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const bodyText = Buffer.concat(chunks).toString("utf8");
      let json: unknown;
      try {
        json = JSON.parse(bodyText);
      } catch {
        json = undefined;
      }
      const recorded: RecordedRequest = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, bodyText, json };
      requests.push(recorded);
      const script = queue.shift() ?? options.fallback ?? NOTHING_QUEUED;
      const answer = typeof script === "function" ? script(recorded) : script;
      const respond = () => send(res, answer);
      if (answer.delayMs !== undefined && answer.delayMs > 0) {
        const t = setTimeout(() => {
          timers.delete(t);
          respond();
        }, answer.delayMs);
        timers.add(t);
      } else {
        respond();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (...scripts) => void queue.push(...scripts),
    requestsFor: (method) => requests.filter((r) => r.path.endsWith(`/${method}`)),
    stop: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(res: ServerResponse, answer: ScriptedResponse): void {
  if (res.destroyed) return;
  if (answer.destroy === "before-headers") {
    res.socket?.destroy();
    return;
  }
  const body = answer.body ?? (answer.json === undefined ? "" : JSON.stringify(answer.json));
  const contentType = answer.contentType === undefined ? (answer.json === undefined ? undefined : "application/json") : answer.contentType;
  const headers: Record<string, string> = { ...(answer.headers ?? {}) };
  if (contentType !== undefined && contentType !== null) headers["Content-Type"] = contentType;
  const bytes = Buffer.from(body, "utf8");
  headers["Content-Length"] = String(bytes.length);
  res.writeHead(answer.status ?? 200, headers);
  if (answer.destroy === "mid-body") {
    res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => res.socket?.destroy());
    return;
  }
  res.end(bytes);
}

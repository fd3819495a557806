// Test support (I/O: an HTTP server on 127.0.0.1:0). A stand-in for the three GitHub REST
// routes of issue comments the action uses (list with pages, create, update), holding comments in
// memory and recording every request. It answers like api.github.com: 401 without the token, 403
// when it is read-only (a fork's pull request), 404 for an unknown issue or comment, Link-less
// pages of at most per_page (<= 100) comments, ascending by id.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeComment {
  id: number;
  body: string;
  user: { login: string; type: "User" | "Bot" };
  html_url: string;
}

export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
  readonly body?: unknown;
}

export interface FakeGitHub {
  readonly url: string;
  readonly requests: FakeRequest[];
  /** Comments of issue `n` of `repository`, in order. */
  comments(repository: string, n: number): FakeComment[];
  addComment(repository: string, n: number, body: string, login?: string): FakeComment;
  /** Tokens allowed to read / to write; a token only in `read` gets 403 on writes. */
  readonly tokens: { read: Set<string>; write: Set<string> };
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = "";
    req.setEncoding("utf8");
    req.on("data", (d: string) => (s += d));
    req.on("end", () => resolve(s));
    req.on("error", reject);
  });
}

export async function startFakeGitHub(): Promise<FakeGitHub> {
  const issues = new Map<string, FakeComment[]>();
  const requests: FakeRequest[] = [];
  const tokens = { read: new Set<string>(), write: new Set<string>() };
  let nextId = 1000;
  const key = (repo: string, n: number) => `${repo}#${n}`;
  const list = (repo: string, n: number): FakeComment[] => {
    const k = key(repo, n);
    if (!issues.has(k)) issues.set(k, []);
    return issues.get(k) as FakeComment[];
  };
  const url = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const add = (repo: string, n: number, body: string, login = "github-actions[bot]"): FakeComment => {
    const id = nextId++;
    const c: FakeComment = { id, body, user: { login, type: login.endsWith("[bot]") ? "Bot" : "User" }, html_url: `https://github.com/${repo}/pull/${n}#issuecomment-${id}` };
    list(repo, n).push(c);
    return c;
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const u = new URL(req.url ?? "/", "http://127.0.0.1");
      const text = await readBody(req);
      let body: unknown;
      try {
        body = text === "" ? undefined : JSON.parse(text);
      } catch {
        body = text;
      }
      const authorization = req.headers.authorization;
      requests.push({ method: req.method ?? "", path: `${u.pathname}${u.search}`, authorization, ...(body === undefined ? {} : { body }) });
      const send = (status: number, payload: unknown) => {
        res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
        res.end(JSON.stringify(payload));
      };
      const token = /^Bearer (.+)$/.exec(authorization ?? "")?.[1] ?? "";
      const canRead = tokens.read.has(token) || tokens.write.has(token);
      if (!canRead) return send(401, { message: "Bad credentials" });
      const writing = req.method !== "GET";
      if (writing && !tokens.write.has(token)) return send(403, { message: "Resource not accessible by integration" });
      if (writing && req.headers["content-type"] !== "application/json") return send(415, { message: "Unsupported Media Type" });

      const listMatch = /^\/repos\/([^/]+\/[^/]+)\/issues\/(\d+)\/comments$/.exec(u.pathname);
      if (listMatch) {
        const [repo, n] = [listMatch[1] as string, Number(listMatch[2])];
        if (req.method === "GET") {
          const perPage = Math.min(100, Number(u.searchParams.get("per_page") ?? 30));
          const page = Number(u.searchParams.get("page") ?? 1);
          return send(200, list(repo, n).slice((page - 1) * perPage, page * perPage));
        }
        if (req.method === "POST") {
          const b = body as { body?: unknown } | undefined;
          if (typeof b?.body !== "string") return send(422, { message: "body is missing" });
          return send(201, add(repo, n, b.body));
        }
        return send(405, { message: "Method Not Allowed" });
      }
      const oneMatch = /^\/repos\/([^/]+\/[^/]+)\/issues\/comments\/(\d+)$/.exec(u.pathname);
      if (oneMatch && req.method === "PATCH") {
        const [repo, id] = [oneMatch[1] as string, Number(oneMatch[2])];
        const found = [...issues.entries()].filter(([k]) => k.startsWith(`${repo}#`)).flatMap(([, cs]) => cs).find((c) => c.id === id);
        if (found === undefined) return send(404, { message: "Not Found" });
        const b = body as { body?: unknown } | undefined;
        if (typeof b?.body !== "string") return send(422, { message: "body is missing" });
        found.body = b.body;
        return send(200, found);
      }
      return send(404, { message: "Not Found" });
    })().catch((err: unknown) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: url(),
    requests,
    comments: (repo, n) => list(repo, n),
    addComment: add,
    tokens,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

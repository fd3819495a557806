// Tests the daemon's node:http transport (the fetch subset the SipClient uses) against local
// servers on 127.0.0.1:0: what it sends, what it hands back, and how it fails (refused, aborted,
// cut off), then the real client over it against the emulator.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { createNodeTransport } from "../../src/livekit/index.js";
import { createSipClient } from "../../src/livekit/index.js";
import { ApiError } from "../../src/model/index.js";
import { startEmulator } from "../support/emulator.js";

const servers: Server[] = [];
const transport = createNodeTransport();

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function serve(handler: (req: IncomingMessage, body: string, res: ServerResponse) => void): Promise<string> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handler(req, Buffer.concat(chunks).toString("utf8"), res));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function rejection(p: Promise<unknown>): Promise<NodeJS.ErrnoException> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as NodeJS.ErrnoException;
}

describe("createNodeTransport", () => {
  it("sends the method, headers and body, and returns status, headers and text", async () => {
    let seen: { method?: string; url?: string; auth?: string; length?: string; body?: string } = {};
    const url = await serve((req, body, res) => {
      seen = { method: req.method, url: req.url, auth: req.headers.authorization, length: req.headers["content-length"], body };
      res.writeHead(201, { "Content-Type": "application/json", "X-Two": ["a", "b"] });
      res.end('{"ok":"é"}');
    });
    const res = await transport.fetch(`${url}/twirp/x`, { method: "POST", headers: { Authorization: "Bearer t" }, body: '{"q":"ü"}' });
    expect(seen).toEqual({ method: "POST", url: "/twirp/x", auth: "Bearer t", length: "10", body: '{"q":"ü"}' });
    expect(res.status).toBe(201);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("CONTENT-TYPE")).toBe("application/json");
    expect(res.headers.get("x-two")).toBe("a, b");
    expect(res.headers.get("retry-after")).toBeNull();
    expect(await res.text()).toBe('{"ok":"é"}');
  });

  it("does not follow a redirect", async () => {
    const url = await serve((_req, _body, res) => {
      res.writeHead(302, { Location: "http://elsewhere.invalid/" });
      res.end();
    });
    const res = await transport.fetch(url, { method: "POST", body: "{}", redirect: "manual" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("http://elsewhere.invalid/");
    expect(await res.text()).toBe("");
  });

  it("decodes UTF-8 split across chunks, drops a BOM, and gunzips an encoded body", async () => {
    const text = `{"name":"${"ü".repeat(40_000)}"}`;
    const url = await serve((req, _body, res) => {
      if (req.url === "/gz") {
        res.writeHead(200, { "Content-Encoding": "gzip" });
        res.end(gzipSync(text));
        return;
      }
      const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
      res.write(bytes.subarray(0, 1001)); // splits a two-byte character
      setTimeout(() => res.end(bytes.subarray(1001)), 5);
    });
    expect(await (await transport.fetch(`${url}/plain`)).text()).toBe(text);
    expect(await (await transport.fetch(`${url}/gz`)).text()).toBe(text);
  });

  it("rejects with the error code when the connection is refused", async () => {
    const url = await serve(() => undefined);
    await new Promise((r) => (servers.pop() as Server).close(r));
    const err = await rejection(transport.fetch(url, { method: "POST", body: "{}" }));
    expect(err.code).toBe("ECONNREFUSED");
  });

  it("rejects on abort, before the answer and while the body is read", async () => {
    const url = await serve((req, _body, res) => {
      if (req.url === "/body") {
        res.writeHead(200, { "Content-Length": "100" });
        res.write("partial");
      }
      // Otherwise: never answers.
    });
    const before = new AbortController();
    const pending = transport.fetch(`${url}/head`, { method: "POST", body: "{}", signal: before.signal });
    setTimeout(() => before.abort(), 20);
    expect((await rejection(pending)).name).toBe("AbortError");

    const during = new AbortController();
    const res = await transport.fetch(`${url}/body`, { signal: during.signal });
    const text = res.text();
    during.abort();
    expect((await rejection(text)).name).toBe("AbortError");

    const already = new AbortController();
    already.abort();
    expect((await rejection(transport.fetch(url, { signal: already.signal }))).name).toBe("AbortError");
  });

  it("rejects text() when the connection closes mid-body", async () => {
    const url = await serve((_req, _body, res) => {
      res.writeHead(200, { "Content-Length": "100" });
      res.write("partial", () => res.socket?.destroy());
    });
    const res = await transport.fetch(url);
    expect(res.status).toBe(200);
    const err = await rejection(res.text());
    expect(err.code).toBe("ECONNRESET");
  });
});

describe("the SipClient over the node transport", () => {
  it("lists, creates and classifies failures as over fetch", async () => {
    const em = await startEmulator();
    const client = createSipClient({ url: em.url, apiKey: em.apiKey, apiSecret: em.apiSecret, timeoutMs: 2_000, sleep: async () => undefined, fetch: transport.fetch as unknown as typeof fetch });
    expect(await client.listRules()).toEqual([]);
    const created = await client.createRule({ name: "main", direct: { roomName: "main-room" }, trunkIds: ["ST_a"] });
    expect((await client.listRules()).map((r) => r.id)).toEqual([created.id]);
    expect(await client.supportsUpdate()).toBe(true);

    em.control.failNext("ListSIPDispatchRule", 1, { status: 403, code: "permission_denied", msg: "no grant" });
    const denied = await rejection(client.listRules());
    expect(denied).toBeInstanceOf(ApiError);
    expect((denied as unknown as ApiError).twirpCode).toBe("permission_denied");

    await em.stop();
    const down = (await rejection(client.listRules())) as unknown as ApiError;
    expect(down.twirpCode).toBe("network");
    expect(down.message).toContain("ECONNREFUSED");
  });

  it("times out a server that does not answer", async () => {
    const url = await serve(() => undefined);
    const client = createSipClient({ url, apiKey: "k", apiSecret: "a-secret-of-some-length", timeoutMs: 100, retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 }, fetch: transport.fetch as unknown as typeof fetch });
    const err = (await rejection(client.listRules())) as unknown as ApiError;
    expect(err.twirpCode).toBe("timeout");
  });
});

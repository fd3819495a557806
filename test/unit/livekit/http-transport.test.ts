// The node:http transport's written(): it resolves once the requests started so far are on their
// sockets (or failed), without waiting for the answers. `plan` waits for it before the file's
// synchronous load, so that the server works on the List meanwhile (src/cli/load.ts).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createNodeTransport } from "../../../src/livekit/http-transport.js";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A loopback server that holds every request until `answer` is called. */
async function holdingServer() {
  const held: { req: IncomingMessage; res: ServerResponse; body: string }[] = [];
  let arrived: () => void = () => undefined;
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8").on("data", (c: string) => (body += c));
    req.on("end", () => {
      held.push({ req, res, body });
      arrived();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  server.on("connection", (s) => closers.push(async () => void s.destroy()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/twirp/x`;
  return {
    url,
    held,
    /** Resolves once `n` requests have fully arrived. */
    until: (n: number) =>
      new Promise<void>((resolve) => {
        const check = () => (held.length >= n ? resolve() : undefined);
        arrived = check;
        check();
      }),
  };
}

describe("createNodeTransport().written()", () => {
  it("resolves at once when nothing was started", async () => {
    const t = createNodeTransport();
    closers.push(async () => t.close());
    await expect(Promise.race([t.written().then(() => "written"), new Promise((r) => setTimeout(() => r("pending"), 50))])).resolves.toBe("written");
  });

  it("resolves when the requests are written, before any answer, and the server then holds them whole", async () => {
    const server = await holdingServer();
    const t = createNodeTransport();
    closers.push(async () => t.close());
    const body = JSON.stringify({ page: { limit: 0 }, pad: "x".repeat(200_000) });
    const answers = [t.fetch(server.url, { method: "POST", body }), t.fetch(server.url, { method: "POST", body: "{}" })];
    // The server answers only after this: a written() that waited for answers would never resolve.
    await t.written();
    await server.until(2);
    expect(server.held.map((h) => h.body.length).sort((a, b) => a - b)).toEqual([2, body.length]);
    for (const h of server.held) h.res.end('{"ok":true}');
    const texts = await Promise.all(answers.map(async (a) => (await a).text()));
    expect(texts).toEqual(['{"ok":true}', '{"ok":true}']);
  });

  it("resolves when a request fails to connect (it will never be written)", async () => {
    // A port that was just listened on and closed: nothing listens there now (loopback only).
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const t = createNodeTransport();
    closers.push(async () => t.close());
    const failed = t.fetch(`http://127.0.0.1:${port}/x`, { method: "POST", body: "{}" });
    failed.catch(() => undefined);
    await t.written();
    await expect(failed).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });

  it("resolves when a request is aborted before it is written", async () => {
    const server = await holdingServer();
    const t = createNodeTransport();
    closers.push(async () => t.close());
    const abort = new AbortController();
    const answer = t.fetch(server.url, { method: "POST", body: "{}", signal: abort.signal });
    answer.catch(() => undefined);
    abort.abort();
    await t.written();
    await expect(answer).rejects.toMatchObject({ name: "AbortError" });
  });
});

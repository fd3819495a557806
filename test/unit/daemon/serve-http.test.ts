// Tests serveHttp on a real loopback port (127.0.0.1:0) and the --listen address parser.
import { createServer } from "node:net";
import { describe, expect, it, onTestFinished } from "vitest";
import { AppError } from "../../../src/model/index.js";
import { parseListenAddress, serveHttp, type HttpHandler } from "../../../src/daemon/index.js";

const echo: HttpHandler = async (req) => ({
  status: req.url === "/missing" ? 404 : 200,
  headers: { "content-type": "application/json; charset=utf-8" },
  body: JSON.stringify({ method: req.method, url: req.url }),
});

describe("serveHttp", () => {
  it("serves the handler's responses and reports the bound port", async () => {
    const server = await serveHttp(echo, { host: "127.0.0.1", port: 0 });
    onTestFinished(() => server.close());
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const ok = await fetch(`${server.url}/readyz?x=1`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ method: "GET", url: "/readyz?x=1" });
    expect(ok.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect((await fetch(`${server.url}/missing`)).status).toBe(404);
  });

  it("closes promptly even with a keep-alive connection open", async () => {
    const server = await serveHttp(echo, { host: "127.0.0.1", port: 0, closeGraceMs: 200 });
    const r = await fetch(`${server.url}/healthz`, { headers: { connection: "keep-alive" } });
    await r.text();
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });

  it("fails with a typed error and a hint when the port is taken", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    onTestFinished(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const addr = blocker.address();
    const port = typeof addr === "object" && addr !== null ? addr.port : 0;
    const err = await serveHttp(echo, { host: "127.0.0.1", port }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe("listen-failed");
    expect((err as AppError).message).toContain("EADDRINUSE");
    expect((err as AppError).hint).toContain("--listen");
  });
});

describe("parseListenAddress", () => {
  it("reads HOST:PORT, [IPv6]:PORT and :PORT", () => {
    expect(parseListenAddress("0.0.0.0:9464")).toEqual({ ok: true, address: { host: "0.0.0.0", port: 9464 } });
    expect(parseListenAddress("localhost:0")).toEqual({ ok: true, address: { host: "localhost", port: 0 } });
    expect(parseListenAddress("[::]:9464")).toEqual({ ok: true, address: { host: "::", port: 9464 } });
    expect(parseListenAddress(":9464")).toEqual({ ok: true, address: { host: "0.0.0.0", port: 9464 } });
  });

  it("rejects anything else with an example", () => {
    for (const bad of ["9464", "host:", "host:65536", "host:port", "::1:80", ""]) {
      const r = parseListenAddress(bad);
      expect(r.ok, bad).toBe(false);
      expect(!r.ok && r.message).toContain("0.0.0.0:9464");
    }
  });
});

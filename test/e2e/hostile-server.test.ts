// End-to-end (I/O: child processes, temp files, servers on 127.0.0.1:0): what comes from outside
// the file (issue #13): the API secret's sources, server answers with hostile text, URLs that read
// two ways, and http/https mix-ups, each with a clear error and nothing leaked.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type StartedEmulator } from "../support/emulator.js";
import { runCli } from "../support/run-cli.js";
import { startScriptedServer, twirpError } from "../support/scripted-server.js";
import { eventOf, spawnCli } from "../support/spawn-cli.js";

const KEY = "hs-key-Lp3";
const SECRET = "hs-Secr3t-Zq81Wv5Nn2";
let em: StartedEmulator;
const dir = mkdtempSync(join(tmpdir(), "sds-hostile-server-"));
const FILE = join(dir, "rules.yaml");
beforeAll(async () => {
  em = await startEmulator({ apiKey: KEY, apiSecret: SECRET });
  writeFileSync(FILE, "version: 1\nrules:\n  - name: a\n    callee: {}\n");
});
afterAll(async () => {
  await em.stop();
  rmSync(dir, { recursive: true, force: true });
});

const plan = (env: Record<string, string>, timeoutMs = 20_000) => runCli(["plan", "-c", FILE], { env: { LIVEKIT_URL: em.url, LIVEKIT_API_KEY: KEY, ...env }, timeoutMs });

describe("the API secret's sources (SPEC §3, §5)", () => {
  it("an empty LIVEKIT_API_SECRET does not hide LIVEKIT_API_SECRET_FILE", async () => {
    const file = join(dir, "secret");
    writeFileSync(file, `${SECRET}\n`);
    const r = await plan({ LIVEKIT_API_SECRET: "", LIVEKIT_API_SECRET_FILE: file });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain("whitespace");
  });

  it("trims surrounding whitespace with a warning, instead of a bare 401", async () => {
    const file = join(dir, "secret-space");
    writeFileSync(file, `  ${SECRET} \n`);
    const r = await plan({ LIVEKIT_API_SECRET_FILE: file });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("warning: the API secret has surrounding whitespace; it was trimmed");
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  it("refuses a FIFO (it would hang) and /dev/zero (it would read forever), naming what they are", async () => {
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    const r = await plan({ LIVEKIT_API_SECRET_FILE: fifo }, 10_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`LIVEKIT_API_SECRET_FILE ${fifo} is not a regular file (a named pipe)`);
    const zero = await plan({ LIVEKIT_API_SECRET_FILE: "/dev/zero" }, 10_000);
    expect(zero.code).toBe(1);
    expect(zero.stderr).toContain("LIVEKIT_API_SECRET_FILE /dev/zero is not a regular file (a character device)");
  });

  it("refuses a secret file over the size cap", async () => {
    const big = join(dir, "big-secret");
    writeFileSync(big, "x".repeat(100_000));
    const r = await plan({ LIVEKIT_API_SECRET_FILE: big });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("over the limit of 65536");
  });
});

describe("server text is shown escaped, bounded and without the token", () => {
  it("a 5 MB error message with terminal escapes, a forged ::error line and the token's parts", async () => {
    const server = await startScriptedServer({
      fallback: (req) => {
        const token = String(req.headers.authorization ?? "").replace(/^Bearer /, "");
        const [header, payload, signature] = token.split(".");
        const msg = `bad \u001b[2J\u001b]0;owned\u0007 token ${payload} sig ${signature} hdr ${header}\n::error file=x::forged\u202e${"A".repeat(5_000_000)}`;
        return twirpError(400, "invalid_argument", msg);
      },
    });
    try {
      const r = await runCli(["plan", "-c", FILE], { env: { LIVEKIT_URL: server.url, LIVEKIT_API_KEY: KEY, LIVEKIT_API_SECRET: SECRET } });
      expect(r.code).toBe(1);
      // eslint-disable-next-line no-control-regex -- looking for raw control characters is the point
      expect(r.stderr).not.toMatch(/[\u0007\u001b\u202e]/);
      expect(r.stderr).not.toMatch(/^::error/m);
      expect(r.stderr.length).toBeLessThan(2000);
      expect(r.stderr).toContain("(redacted)");
      const token = String(server.requests[0]?.headers.authorization ?? "").replace(/^Bearer /, "");
      for (const part of token.split(".")) expect(r.stderr).not.toContain(part);
    } finally {
      await server.stop();
    }
  });
});

describe("server answers that carry secrets or hostile text, in plan and in watch", () => {
  it("a non-string pin in a List answer is an error that does not show the value", async () => {
    const server = await startScriptedServer({
      fallback: { json: { items: [{ sip_dispatch_rule_id: "SDR_1", name: "a", rule: { dispatch_rule_direct: { room_name: "r", pin: 74019358 } } }] } },
    });
    try {
      const r = await runCli(["plan", "-c", FILE], { env: { LIVEKIT_URL: server.url, LIVEKIT_API_KEY: KEY, LIVEKIT_API_SECRET: SECRET } });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("pin: expected a string, got a number (value not shown");
      expect(r.stdout + r.stderr).not.toContain("74019358");
    } finally {
      await server.stop();
    }
  });

  it("watch's /readyz reports a 5 MB server error bounded and escaped", async () => {
    const server = await startScriptedServer({ fallback: twirpError(500, "internal", `boom \u001b[2J${"B".repeat(5_000_000)}`) });
    try {
      const cli = spawnCli(["watch", "-c", FILE, "--listen", "127.0.0.1:0", "--interval", "60s"], { env: { LIVEKIT_URL: server.url, LIVEKIT_API_KEY: KEY, LIVEKIT_API_SECRET: SECRET } });
      const start = await cli.waitFor((r) => eventOf(r) === "start", { what: "the start event" });
      await cli.waitFor((r) => eventOf(r) === "reconcile", { what: "the first reconcile", timeoutMs: 60_000 });
      const res = await fetch(`${String(start.listen)}/readyz`);
      const body = await res.text();
      await cli.kill();
      expect(res.status).toBe(503);
      expect(body.length).toBeLessThan(2000);
      expect(body).toContain("more characters");
      // eslint-disable-next-line no-control-regex -- looking for raw control characters is the point
      expect(body).not.toMatch(/[\u001b]/);
      for (const line of cli.stdout().split("\n")) expect(line.length).toBeLessThan(5000);
    } finally {
      await server.stop();
    }
  }, 90_000);
});

describe("URLs", () => {
  it("refuses a URL with a backslash instead of showing one host and using another", async () => {
    const r = await runCli(["plan", "-c", FILE], { env: { LIVEKIT_URL: "http://127.0.0.1:9\\@example.com", LIVEKIT_API_KEY: KEY, LIVEKIT_API_SECRET: SECRET } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("contains a backslash");
    expect(r.stderr).not.toContain("***@example.com");
  });

  it("says to use http:// when a TLS request reaches a plain HTTP port", async () => {
    const r = await runCli(["plan", "-c", FILE, "--timeout", "3s"], { env: { LIVEKIT_URL: em.url.replace("http://", "https://"), LIVEKIT_API_KEY: KEY, LIVEKIT_API_SECRET: SECRET } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("answered in plain HTTP, not TLS: use http://");
  });

  it("says to use https:// when a plain request reaches a TLS port (Go's answer)", async () => {
    const tls: Server = createServer((socket) => {
      socket.once("data", () => socket.end("HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"));
    });
    await new Promise<void>((resolve) => tls.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = tls.address() as AddressInfo;
      const r = await runCli(["plan", "-c", FILE], { env: { LIVEKIT_URL: `http://127.0.0.1:${port}`, LIVEKIT_API_KEY: KEY, LIVEKIT_API_SECRET: SECRET } });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("expects TLS: use https://");
    } finally {
      await new Promise((resolve) => tls.close(resolve));
    }
  });
});

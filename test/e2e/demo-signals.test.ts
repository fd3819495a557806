// End-to-end (I/O: child processes, loopback ports). `npm run demo` stops everything it started
// when it is stopped: SIGTERM to npm (which does not pass it on to the script), SIGTERM or SIGINT
// to the demo script itself. Afterwards no child is left and the ports are free again.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { cleanEnv } from "../support/run-cli.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const started: number[] = [];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterEach(() => {
  // Nothing a failed test started outlives it.
  for (const pid of started.splice(0)) if (alive(pid)) process.kill(pid, "SIGKILL");
});

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

interface Demo {
  readonly child: ChildProcess;
  readonly pids: { demo: number; emulator: number; watch: number };
  readonly ports: number[];
  output(): string;
}

/** Starts the demo (through npm, or the script itself) and waits until watch has reconciled. */
async function startDemo(viaNpm: boolean): Promise<Demo> {
  const env = cleanEnv({ DEMO_LISTEN: "127.0.0.1:0", DEMO_SKIP_BUILD: "1" });
  const child = viaNpm
    ? spawn("npm", ["run", "--silent", "demo"], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] })
    : spawn(process.execPath, [join(root, "scripts/demo.mjs")], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  started.push(child.pid ?? -1);
  let out = "";
  child.stdout?.setEncoding("utf8").on("data", (c: string) => (out += c));
  child.stderr?.setEncoding("utf8").on("data", (c: string) => (out += c));
  await until(() => /"event":"reconcile"/.test(out), 30_000, `the demo's first reconcile; output so far:\n${out}`);
  const m = /demo: pids: demo (\d+), emulator (\d+), watch (\d+)/.exec(out);
  expect(m, out).not.toBeNull();
  const pids = { demo: Number(m?.[1]), emulator: Number(m?.[2]), watch: Number(m?.[3]) };
  started.push(pids.demo, pids.emulator, pids.watch);
  const ports = [...out.matchAll(/(?:emulator at |"listen":")http:\/\/127\.0\.0\.1:(\d+)/g)].map((p) => Number(p[1]));
  expect(ports.length, out).toBeGreaterThanOrEqual(2);
  for (const p of ports) expect(await portFree(p)).toBe(false);
  return { child, pids, ports, output: () => out };
}

describe("npm run demo (scripts/demo.mjs) leaves nothing running when stopped", () => {
  it("SIGTERM to npm: the demo, the emulator and watch are gone, and their ports are free", async () => {
    const demo = await startDemo(true);
    demo.child.kill("SIGTERM");
    await until(() => !alive(demo.pids.demo) && !alive(demo.pids.emulator) && !alive(demo.pids.watch), 20_000, "every process of the demo to exit");
    for (const p of demo.ports) expect(await portFree(p)).toBe(true);
  });

  it.each(["SIGTERM", "SIGINT"] as const)("%s to the demo script: its children stop gracefully (watch logs stopped) and it exits 0", async (sig) => {
    const demo = await startDemo(false);
    const exited = new Promise<number | null>((resolve) => demo.child.once("exit", (code) => resolve(code)));
    demo.child.kill(sig);
    expect(await exited).toBe(0);
    await until(() => !alive(demo.pids.emulator) && !alive(demo.pids.watch), 20_000, "the demo's children to exit");
    expect(demo.output()).toMatch(/"event":"stopped"/);
    for (const p of demo.ports) expect(await portFree(p)).toBe(true);
  });
});

// Quick-start demo (I/O): builds, then starts the built-in emulator and `watch` on
// config/dispatch-rules.yaml, so a newcomer sees a plan applied, edits the file, and sees the
// next plan. Ctrl-C (SIGINT), SIGTERM or SIGHUP stops both; so does the end of the process that
// started it (npm does not pass SIGTERM on to a script: `kill <npm's pid>` would otherwise leave
// the emulator and watch running, holding the port). Nothing it started outlives it.
// Run through `npm run demo`. Options via environment:
//   DEMO_CONFIG   rules file (default config/dispatch-rules.yaml)
//   DEMO_LISTEN   watch's HTTP address (default 127.0.0.1:9464)
//   DEMO_EXIT_AFTER_MS  stop by itself after this long (used by the test of this script)
//   DEMO_SKIP_BUILD=1   use dist/ as it is (the tests, which build once for every test)
import { spawn } from "node:child_process";
import { setInterval } from "node:timers";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const cli = fileURLToPath(new URL("../dist/src/bin.cjs", import.meta.url));
const config = process.env.DEMO_CONFIG ?? "config/dispatch-rules.yaml";
const listen = process.env.DEMO_LISTEN ?? "127.0.0.1:9464";
const apiKey = "devkey";
// The emulator's own throwaway credentials; a real server's secret never belongs in a script.
const apiSecret = "demo-secret-not-for-production";

const children = new Set();
let stopping = false;

/** Starts a child, tracked until it exits, so a stop reaches every one still running. */
function start(args, options) {
  const child = spawn(process.execPath, args, { cwd: root, ...options });
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

function stopAll(code) {
  if (stopping) return;
  stopping = true;
  for (const c of children) c.kill("SIGTERM");
  // watch finishes what is in flight (at most its --timeout, 10 s); then anything left is killed.
  const force = setTimeout(() => {
    for (const c of children) c.kill("SIGKILL");
  }, 12_000);
  force.unref();
  Promise.all([...children].map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once("exit", r))))).then(() => {
    clearTimeout(force);
    process.exit(code);
  });
}
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => stopAll(0));

// The parent (npm, a shell) went away: nobody can stop the demo any more, so it stops itself.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) stopAll(0);
}, 500).unref();

function build() {
  if (process.env.DEMO_SKIP_BUILD === "1") return Promise.resolve(0);
  const npm = process.env.npm_execpath;
  const child = npm ? start([npm, "run", "build"], { stdio: "inherit" }) : spawn("npm", ["run", "build"], { cwd: root, stdio: "inherit", shell: process.platform === "win32" });
  children.add(child);
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve(signal ? 1 : (code ?? 1))));
}

function startEmulator() {
  const emulator = start([cli, "emulator", "--listen", "127.0.0.1:0", "--api-key", apiKey, "--api-secret", apiSecret], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, LOG_LEVEL: "warn" },
  });
  emulator.on("exit", (code) => {
    if (!stopping) {
      console.error(`demo: the emulator stopped unexpectedly (exit ${code})`);
      stopAll(1);
    }
  });
  let buffer = "";
  emulator.stdout.setEncoding("utf8");
  emulator.stdout.on("data", (chunk) => {
    buffer += chunk;
    const m = /emulator listening on (\S+)/.exec(buffer);
    if (m) {
      startWatch(m[1], emulator.pid);
      buffer = "";
    }
  });
}

let watchStarted = false;
function startWatch(url, emulatorPid) {
  if (watchStarted || stopping) return;
  watchStarted = true;
  console.log(`demo: emulator at ${url} (key ${apiKey}); watching ${config}`);
  console.log(`demo: edit ${config} and save to see the next plan; Ctrl-C stops the demo.\n`);
  const watch = start([cli, "watch", "-c", config, "--listen", listen, "--interval", "30s"], {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, LIVEKIT_URL: url, LIVEKIT_API_KEY: apiKey, LIVEKIT_API_SECRET: apiSecret },
  });
  console.log(`demo: pids: demo ${process.pid}, emulator ${emulatorPid}, watch ${watch.pid}`);
  watch.on("exit", (code) => {
    if (!stopping) {
      console.error(`demo: watch stopped (exit ${code})`);
      stopAll(code ?? 1);
    }
  });
}

const exitAfter = Number(process.env.DEMO_EXIT_AFTER_MS ?? 0);
const code = await build();
if (code !== 0) {
  console.error(`demo: the build failed (exit ${code})`);
  process.exit(code);
}
if (!stopping) {
  startEmulator();
  if (exitAfter > 0) setTimeout(() => stopAll(0), exitAfter).unref();
}

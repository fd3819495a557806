// Quick-start demo (I/O): starts the built-in emulator and `watch` on config/dispatch-rules.yaml,
// so a newcomer sees a plan applied, edits the file, and sees the next plan. Ctrl-C stops both.
// Run through `npm run demo` (which builds first). Options via environment:
//   DEMO_CONFIG   rules file (default config/dispatch-rules.yaml)
//   DEMO_LISTEN   watch's HTTP address (default 127.0.0.1:9464)
//   DEMO_ENV      the file's environment to keep (default staging for the example file)
//   DEMO_EXIT_AFTER_MS  stop by itself after this long (used by the test of this script)
import { spawn } from "node:child_process";
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

function stopAll(code) {
  if (stopping) return;
  stopping = true;
  for (const c of children) c.kill("SIGTERM");
  setTimeout(() => process.exit(code), 3000).unref();
  Promise.all([...children].map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.once("exit", r))))).then(() => process.exit(code));
}
process.on("SIGINT", () => stopAll(0));
process.on("SIGTERM", () => stopAll(0));

// The example file names inbound trunks (`trunks:`) and has a staging and a production environment:
// the emulator gets those trunks, and the demo keeps `staging` (DEMO_ENV) pointed at the emulator.
const env = process.env.DEMO_ENV ?? (process.env.DEMO_CONFIG === undefined ? "staging" : undefined);
const trunks = ["--trunk", "main-carrier", "--trunk", "support-carrier"];
const emulator = spawn(process.execPath, [cli, "emulator", "--listen", "127.0.0.1:0", "--api-key", apiKey, "--api-secret", apiSecret, ...trunks], {
  cwd: root,
  stdio: ["ignore", "pipe", "inherit"],
  env: { ...process.env, LOG_LEVEL: "warn" },
});
children.add(emulator);
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
    startWatch(m[1]);
    buffer = "";
  }
});

let watchStarted = false;
function startWatch(url) {
  if (watchStarted) return;
  watchStarted = true;
  console.log(`demo: emulator at ${url} (key ${apiKey}); watching ${config}`);
  console.log(`demo: edit ${config} and save to see the next plan; Ctrl-C stops the demo.\n`);
  const watch = spawn(process.execPath, [cli, "watch", "-c", config, "--listen", listen, "--interval", "30s"], {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, LIVEKIT_URL: url, LIVEKIT_API_KEY: apiKey, LIVEKIT_API_SECRET: apiSecret, ...(env ? { DISPATCH_ENV: env, STAGING_LIVEKIT_URL: url } : {}) },
  });
  children.add(watch);
  watch.on("exit", (code) => {
    children.delete(watch);
    if (!stopping) {
      console.error(`demo: watch stopped (exit ${code})`);
      stopAll(code ?? 1);
    }
  });
}

const exitAfter = Number(process.env.DEMO_EXIT_AFTER_MS ?? 0);
if (exitAfter > 0) setTimeout(() => stopAll(0), exitAfter).unref();

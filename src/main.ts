// The ES module entry (bin.cts, the executable, starts it). Runs the CLI with the real process
// streams.
//
// One-shot commands start with V8's on-disk compile cache where Node has one (22.1+; Node 20
// lacks module.enableCompileCache): the next run skips compiling the modules it loads. The CLI
// is imported only after that, since a static import would be compiled before this code runs.
// Not for `watch`, a daemon that starts once (and in Kubernetes has a small /tmp). Nothing
// happens when the directory cannot be written (read-only file system): Node reports a status
// instead of throwing, and a throw is ignored too.
const nodeModule = process.getBuiltinModule?.("node:module") as { enableCompileCache?: () => unknown } | undefined;
if (typeof nodeModule?.enableCompileCache === "function" && process.argv[2] !== "watch") {
  try {
    nodeModule.enableCompileCache();
  } catch {
    // No cache: start-up as without one.
  }
}

const { runMain } = await import("./cli/run-main.js");
await runMain();

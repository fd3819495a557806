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

// One-shot commands also let their old generation grow by 1.8x its live size after a full
// collection, not V8's up to 4x: a plan of 100,000 rules keeps about 180 MB live, and the file's
// parse tree, dead once the rules are built, was left uncollected to the end (peak RSS 480 MB;
// with this, 420-430 MB, in the same time: paired runs, issue 19). The flag is V8's own, read at
// each heap limit; it is set only on the V8 versions of Node 20-24 (11-13), which have it: an
// unknown flag would print an error. A growth given on the command line or in NODE_OPTIONS wins.
const v8Major = Number(process.versions.v8.split(".")[0]);
const growthGiven = [...process.execArgv, process.env.NODE_OPTIONS ?? ""].some((a) => /heap[-_]growing[-_]percent/.test(a));
if (process.argv[2] !== "watch" && v8Major >= 11 && v8Major <= 13 && !growthGiven) {
  const v8 = process.getBuiltinModule?.("node:v8") as { setFlagsFromString?: (flags: string) => void } | undefined;
  v8?.setFlagsFromString?.("--heap-growing-percent=80");
}

const { runMain } = await import("./cli/run-main.js");
await runMain();

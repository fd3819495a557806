// Process wiring. Whether the load of small rules files runs without V8's optimising compiler
// (TurboFan): all of `validate`, and the file's load in the other commands (cli/load.ts).
//
// Checking a small file takes a few tens of milliseconds, most of them in code that V8 has not
// optimised yet. TurboFan then compiles about twenty hot functions of the YAML parser and the
// schema check on a second thread, and the process exits before that work pays back: it costs the
// compiles' time and memory (8 MB of peak RSS for 1,000 rules, on a machine where fresh memory
// costs about 2.6 ms a MB). Measured without it, in pairs against the same build with it
// (Node 20, 2-core VM, issue 19): 1,000 plain rules (145 KB) 0.89x; 300 and 1,000 realistic rules
// (116 KB, 387 KB) 0.88x and 0.91x; 3,000 (1.1 MB) 0.98x; 10,000 (3.7 MB) 1.32x, where the
// parser's loops need optimised code. Hence a bound well below that crossing: it leaves room for
// a file that is loaded once per environment. Elsewhere only the file's load goes without it, and
// it is back on after: the rest of `plan` and `apply` grows with the server's rules, unknown until
// listed (`plan` of 2,000 rules in sync: 0.90-0.91x; of a 2,000-rule file against a server of 50,000
// rules: 1.01x, where TurboFan off for the whole run took 1.33x). The daemon's own loads in
// `watch` are left alone.
import { statSync } from "node:fs";
import { flagGiven, setV8Flag, v8Major } from "./v8-flags.js";

/** Files (all of one `validate` run, together) below this size are checked without TurboFan. */
export const NO_OPTIMIZING_BELOW_BYTES = 512 * 1024;

/**
 * Whether to turn TurboFan off: a known total below the bound, V8 11 (Node 20, where it was
 * measured: Node 22 and later tier up through Maglev first, and this was not measured there; the
 * image runs Node 22), and no tiering flag given on Node's command line or in NODE_OPTIONS (which
 * refuses most of them, not `--jitless`, under which turning TurboFan back on would contradict it).
 */
export function skipsOptimizingCompiler(totalBytes: number | undefined, v8Version: string, execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  if (totalBytes === undefined || !(totalBytes < NO_OPTIMIZING_BELOW_BYTES)) return false;
  if (v8Major(v8Version) !== 11) return false;
  return !flagGiven(/--(?:no[-_])?(?:turbofan|opt|maglev|jitless)\b|always[-_](?:turbofan|opt)/, execArgv, nodeOptions);
}

/** The total size of the files, or undefined when any is standard input or cannot be read. */
export function totalSize(paths: readonly string[]): number | undefined {
  let total = 0;
  for (const path of paths) {
    if (path === "-") return undefined;
    try {
      total += statSync(path).size;
    } catch {
      // Missing or unreadable: reported by the load; nothing to compile for it.
    }
  }
  return total;
}

/**
 * `load()`, with TurboFan off when skipsOptimizingCompiler says so for the bytes it reads
 * (totalSize; see above), and back on after it, for whatever the process does next.
 */
export async function withoutOptimizingCompiler<T>(totalBytes: number | undefined, load: () => Promise<T>): Promise<T> {
  if (!skipsOptimizingCompiler(totalBytes, process.versions.v8, process.execArgv, process.env.NODE_OPTIONS)) return load();
  setV8Flag("--no-turbofan");
  try {
    return await load();
  } finally {
    setV8Flag("--turbofan");
  }
}

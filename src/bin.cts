#!/usr/bin/env node
// The `sip-dispatch-sync` executable (CommonJS: Node starts a CommonJS entry without its ES
// module loader, which a one-shot run would otherwise spend start-up time on).
//
// One-shot commands (validate, plan, apply, export) run from chunks/cli.cjs, the CLI bundled by
// the build into one script, compiled here with the V8 code cache the build trained for it
// (chunks/cli.cache; chunks/cli-validate.cache for validate): what a run calls is then neither
// parsed nor compiled again. Everything else
// (watch, emulator, help, version) runs the ES module entry, main.js. A missing bundle, a missing
// cache, or a cache V8 rejects (another Node version or V8 flags, e.g. NODE_OPTIONS) only costs
// start-up time: V8 compiles the script as usual. NODE_DISABLE_COMPILE_CACHE=1 skips the cache.
//
// CommonJS under verbatimModuleSyntax: `require` and `module.exports`; only type imports.
import type * as Fs from "node:fs";
import type * as Path from "node:path";
import type * as Url from "node:url";
import type * as Vm from "node:vm";
const { existsSync, readFileSync } = require("node:fs") as typeof Fs;
const { join } = require("node:path") as typeof Path;
const { pathToFileURL } = require("node:url") as typeof Url;
const { Script } = require("node:vm") as typeof Vm;

/** What chunks/cli.cjs exports (src/cli/run-main.ts). */
interface CliBundle {
  runMain(argv?: readonly string[]): Promise<void>;
  runCli(argv: readonly string[], io: unknown): Promise<number>;
}

const ONE_SHOT = new Set(["validate", "plan", "apply", "export"]);
const BUNDLE = join(__dirname, "chunks", "cli.cjs");
const CACHE = join(__dirname, "chunks", "cli.cache");
/** What `validate` compiles only: a smaller cache, quicker to read and deserialise. */
const VALIDATE_CACHE = join(__dirname, "chunks", "cli-validate.cache");

/**
 * Compiles and runs the bundle's top level, with `cachedData` when given. The build trains the
 * cache through this same function (scripts/after-build.mjs), so the compiled text is the same.
 * `import.meta.url` in the bundled modules is the bundle's own URL (the build defines it so).
 */
function loadCliBundle(cachedData: Buffer | undefined): { exports: CliBundle; script: InstanceType<typeof Script>; rejected: boolean } {
  const source = readFileSync(BUNDLE, "utf8");
  const wrapper = `(function (exports, require, module, __filename, __dirname, __importMetaUrl) {"use strict";${source}\n})`;
  const script = new Script(wrapper, { filename: BUNDLE, ...(cachedData === undefined ? {} : { cachedData }) });
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  const mod = { exports: {} as CliBundle };
  run(mod.exports, require, mod, BUNDLE, join(__dirname, "chunks"), pathToFileURL(BUNDLE).href);
  return { exports: mod.exports, script, rejected: cachedData !== undefined && script.cachedDataRejected === true };
}

function readCache(command: string): Buffer | undefined {
  if (process.env.NODE_DISABLE_COMPILE_CACHE === "1") return undefined;
  try {
    return readFileSync(command === "validate" ? VALIDATE_CACHE : CACHE);
  } catch {
    return undefined;
  }
}

function main(): void {
  const command = process.argv[2];
  if (command !== undefined && ONE_SHOT.has(command) && existsSync(BUNDLE)) {
    let bundle: CliBundle | undefined;
    try {
      bundle = loadCliBundle(readCache(command)).exports;
    } catch {
      // A bundle that does not load (a broken build): the ES module entry does the same work.
    }
    if (bundle !== undefined) {
      void bundle.runMain();
      return;
    }
  }
  void import(pathToFileURL(join(__dirname, "main.js")).href);
}

if (require.main === module) main();

module.exports = { loadCliBundle, BUNDLE, CACHE, VALIDATE_CACHE };

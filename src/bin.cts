#!/usr/bin/env node
// The `sip-dispatch-sync` executable (CommonJS: Node starts a CommonJS entry without its ES
// module loader, which a one-shot run would otherwise spend start-up time on).
//
// One-shot commands (validate, plan, apply, export) run from chunks/cli.cjs, the CLI bundled by
// the build into one CommonJS script: a run then reads and links one file instead of the ES module
// graph (about a tenth of `validate` on 1,000 rules). Everything else (watch, emulator, help,
// version) runs the ES module entry, main.js. A missing or broken bundle only costs start-up time.
//
// CommonJS under verbatimModuleSyntax: `require` and `module.exports`; only type imports.
import type * as Fs from "node:fs";
import type * as Path from "node:path";
import type * as Url from "node:url";
const { existsSync } = require("node:fs") as typeof Fs;
const { join } = require("node:path") as typeof Path;
const { pathToFileURL } = require("node:url") as typeof Url;

/** What chunks/cli.cjs exports (src/cli/run-main.ts). */
interface CliBundle {
  runMain(argv?: readonly string[]): Promise<void>;
  runCli(argv: readonly string[], io: unknown): Promise<number>;
}

const ONE_SHOT = new Set(["validate", "plan", "apply", "export"]);
const BUNDLE = join(__dirname, "chunks", "cli.cjs");

function main(): void {
  const command = process.argv[2];
  if (command !== undefined && ONE_SHOT.has(command) && existsSync(BUNDLE)) {
    let bundle: CliBundle | undefined;
    try {
      bundle = require(BUNDLE) as CliBundle;
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

module.exports = { BUNDLE };

#!/usr/bin/env node
// The `sip-dispatch-sync` executable: starts the ES module entry, main.js (bundled by the build,
// scripts/after-build.mjs). CommonJS so that the package's `bin` runs under any loader settings.
//
// CommonJS under verbatimModuleSyntax: `require` only; only type imports.
import type * as Path from "node:path";
import type * as Url from "node:url";
const { join } = require("node:path") as typeof Path;
const { pathToFileURL } = require("node:url") as typeof Url;

void import(pathToFileURL(join(__dirname, "main.js")).href);

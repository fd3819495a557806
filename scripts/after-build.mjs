// Build step after tsc: make the CLI entry executable. Does I/O on dist/ only.
import { chmodSync, existsSync } from "node:fs";

const entry = new URL("../dist/src/main.js", import.meta.url);
if (existsSync(entry)) chmodSync(entry, 0o755);

// Benchmark runner (I/O): runs every bench/*.bench.mjs in its own process, one after another, on
// the built CLI (npm run bench builds first). Each prints its own figures; nothing is asserted.
import { readdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const dir = fileURLToPath(new URL(".", import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.mjs"))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
console.log(`sip-dispatch-sync benchmarks — node ${process.version}, ${new Date().toISOString()}`);
let failed = 0;
for (const f of files) {
  console.log(`\n## ${f.replace(/\.bench\.mjs$/, "")}`);
  const r = spawnSync(process.execPath, [`${dir}${f}`], { stdio: "inherit" });
  if (r.status !== 0) {
    failed += 1;
    console.log(`(${f} exited with ${r.status})`);
  }
}
process.exitCode = failed === 0 ? 0 : 1;

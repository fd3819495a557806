// Benchmark runner (I/O): runs every bench/*.bench.mjs in its own process, one after another, on
// the built CLI (npm run bench builds first). Each prints its own figures; nothing is asserted.
// `npm run bench -- --rules 100000` sets the size of the scale benchmark (BENCH_RULES) and runs
// it alone; other arguments pick benchmarks by name (`npm run bench -- watch`).
import { readdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const dir = fileURLToPath(new URL(".", import.meta.url));
const args = process.argv.slice(2);
const env = { ...process.env };
const only = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--rules") {
    const n = Number(args[++i]);
    if (!Number.isInteger(n) || n < 1) {
      console.error(`--rules: "${args[i]}" is not a whole number of rules`);
      process.exit(1);
    }
    env.BENCH_RULES = String(n);
    if (!args.some((a) => !a.startsWith("-") && !/^\d+$/.test(a))) only.push("scale");
  } else only.push(args[i]);
}
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.mjs"))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
console.log(`sip-dispatch-sync benchmarks — node ${process.version}, ${new Date().toISOString()}`);
let failed = 0;
for (const f of files) {
  console.log(`\n## ${f.replace(/\.bench\.mjs$/, "")}`);
  const r = spawnSync(process.execPath, [`${dir}${f}`], { stdio: "inherit", env });
  if (r.status !== 0) {
    failed += 1;
    console.log(`(${f} exited with ${r.status})`);
  }
}
process.exitCode = failed === 0 ? 0 : 1;

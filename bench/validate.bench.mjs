// Benchmark (I/O): `validate` wall time on a generated 1,000-rule file next to bare Node start-up
// (`node -e 0`), run alternately in pairs so that machine load affects both alike.
// Target: validate <= 2.0x bare Node. Run after `npm run build`.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const RULES = 1000;
const RUNS = Number(process.env.BENCH_RUNS ?? 21);
const TARGET = 2.0;
const cli = fileURLToPath(new URL("../dist/src/bin.cjs", import.meta.url));

function generate(n) {
  const lines = ["# yaml-language-server: $schema=../schemas/dispatch-rules.schema.json", "version: 1", "rules:"];
  for (let i = 0; i < n; i++) {
    const kind = i % 3;
    lines.push(`  - name: rule-${String(i).padStart(4, "0")}`);
    if (kind === 0) lines.push("    individual:", `      roomPrefix: call-${i}-`);
    else if (kind === 1) lines.push("    direct:", `      roomName: room-${i}`, `      pin: \${PIN_${i}:-${1000 + i}}`);
    else lines.push("    callee:", `      roomPrefix: line-${i}-`, "      randomize: true");
    lines.push(`    trunkIds: [ST_trunk${i % 7}]`, `    numbers: ["+1555${String(i).padStart(7, "0")}"]`);
    if (i % 5 === 0) lines.push("    metadata: { tier: gold }", "    media: { encryption: allow }");
  }
  return `${lines.join("\n")}\n`;
}

function timeOnce(args) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return { ms, status: r.status, out: `${r.stdout}${r.stderr}` };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const dir = mkdtempSync(join(tmpdir(), "sds-bench-"));
try {
  const file = join(dir, "dispatch-rules.yaml");
  writeFileSync(file, generate(RULES));
  const check = timeOnce([cli, "validate", file]);
  if (check.status !== 0) {
    console.log(`validate failed on the generated file (exit ${check.status}):\n${check.out}`);
    process.exitCode = 1;
  } else {
    const validate = [];
    const bare = [];
    for (let i = 0; i < RUNS; i++) {
      bare.push(timeOnce(["-e", "0"]).ms);
      validate.push(timeOnce([cli, "validate", file]).ms);
    }
    const v = median(validate);
    const b = median(bare);
    // Each validate run is paired with the `node -e 0` just before it; the median of the pairs'
    // ratios is the figure (a burst of load on a shared VM then hits both sides of a pair).
    const ratio = median(validate.map((ms, i) => ms / bare[i]));
    console.log(
      `validate ${RULES} rules: median ${v.toFixed(1)} ms; node -e 0: median ${b.toFixed(1)} ms; ratio of medians ${(v / b).toFixed(2)}x, fastest/fastest ${(Math.min(...validate) / Math.min(...bare)).toFixed(2)}x`,
    );
    console.log(`  validate / node -e 0, median of ${RUNS} paired runs: ${ratio.toFixed(2)}x (target <= ${TARGET.toFixed(1)}x) ${ratio <= TARGET ? "met" : "MISSED"}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// Bench helper (reads the Dockerfile): the environment the image gives the process, the final
// stage's ENV lines (e.g. NODE_OPTIONS), so that what is measured runs the way the container runs it.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export function imageEnv() {
  const text = readFileSync(fileURLToPath(new URL("../Dockerfile", import.meta.url)), "utf8").replace(/\\\r?\n/g, " ");
  const lines = text.split(/\r?\n/).filter((l) => !/^\s*#/.test(l));
  const lastFrom = lines.findLastIndex((l) => /^\s*FROM\s/i.test(l));
  const env = {};
  for (const line of lines.slice(lastFrom + 1)) {
    const m = /^\s*ENV\s+(.*)$/i.exec(line);
    if (m) for (const kv of m[1].matchAll(/(\w+)=("[^"]*"|\S+)/g)) env[kv[1]] = kv[2].replace(/^"|"$/g, "");
  }
  return env;
}

// End-to-end (I/O: reads README.md and the daemon's sources, runs the built CLI). The README's
// `watch` section names every log event the daemon emits, every metric it exports, the signals,
// the settle rule and fighting detection, and `watch --help` names --settle (SPEC §6).
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { METRIC_NAMES } from "../../src/daemon/index.js";
import { runCli } from "../support/run-cli.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

async function watchSection(): Promise<string> {
  const readme = await readFile(join(root, "README.md"), "utf8");
  const start = readme.indexOf("### `watch`");
  expect(start).toBeGreaterThan(0);
  const end = readme.indexOf("\n### ", start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

/** Every `event: "name"` in the code that logs for the daemon. */
async function loggedEvents(): Promise<string[]> {
  const files = [
    ...(await readdir(join(root, "src/daemon"))).map((f) => join(root, "src/daemon", f)),
    join(root, "src/cli/commands/watch.ts"),
    join(root, "src/apply/apply-plan.ts"),
  ];
  const names = new Set<string>();
  for (const f of files) for (const m of (await readFile(f, "utf8")).matchAll(/event: "([a-z-]+)"/g)) names.add(m[1] as string);
  return [...names].sort();
}

describe("README: the watch daemon", () => {
  it("names every log event the daemon emits", async () => {
    const section = await watchSection();
    const names = await loggedEvents();
    expect(names.length).toBeGreaterThan(15);
    expect(names.filter((n) => !section.includes(`\`${n}\``))).toEqual([]);
  });

  it("names every metric the daemon exports", async () => {
    const section = await watchSection();
    expect(Object.values(METRIC_NAMES).filter((n) => !section.includes(`\`${n}`))).toEqual([]);
  });

  it("documents the signals, the settle rule and fighting detection, and --help names --settle", async () => {
    const section = await watchSection();
    for (const s of ["SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP", "SIGUSR1", "SIGUSR2", "--settle", "Settle rule", "Fighting writers", "HEAD"]) expect(section).toContain(s);
    const help = await runCli(["watch", "--help"]);
    expect(help.stdout).toMatch(/--settle DURATION/);
    expect(help.stdout).toMatch(/SIGHUP/);
  });
});

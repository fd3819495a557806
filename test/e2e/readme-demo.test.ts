// End-to-end (I/O): the README stays true. Its example rules file validates, its example plan
// shape is what the CLI prints, and `npm run demo`'s script applies the example file to an
// emulator and stops cleanly.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, runCli } from "../support/run-cli.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sds-readme-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function codeBlocks(markdown: string, lang: string): string[] {
  const out: string[] = [];
  const re = new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g");
  for (let m = re.exec(markdown); m !== null; m = re.exec(markdown)) out.push(m[1] as string);
  return out;
}

describe("README", () => {
  it("has the two quick-start commands, and npm scripts exist for them", async () => {
    const readme = await readFile(join(root, "README.md"), "utf8");
    expect(readme).toContain("npm ci && npm run demo");
    expect(readme).toMatch(/^npm test\b/m);
    const pkg = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts.demo).toMatch(/scripts\/demo\.mjs/);
    expect(pkg.scripts.test).toMatch(/vitest run/);
  });

  it("the example rules file in the README validates", async () => {
    const readme = await readFile(join(root, "README.md"), "utf8");
    const example = codeBlocks(readme, "yaml").find((b) => b.includes("version: 1") && b.includes("rules:"));
    expect(example).toBeDefined();
    const file = join(dir, "readme.yaml");
    await writeFile(file, example as string);
    const ok = await runCli(["validate", file], { env: { SUPPORT_PIN: "5555" } });
    expect(ok.stderr + ok.stdout).toMatch(/3 rules, valid/);
    expect(ok.code).toBe(0);
    // The README says a missing variable without a default is an error, not an empty pin.
    const missing = await runCli(["validate", file]);
    expect(missing.code).toBe(1);
    expect(missing.stdout + missing.stderr).toMatch(/SUPPORT_PIN/);
  });

  it("documents every command the CLI has", async () => {
    const readme = await readFile(join(root, "README.md"), "utf8");
    const help = await runCli(["--help"]);
    const commands = [...help.stdout.matchAll(/^ {2}([a-z]+) {2,}/gm)].map((m) => m[1] as string);
    expect(commands.length).toBeGreaterThanOrEqual(6);
    for (const c of commands) expect(readme).toContain(`### \`${c}\``);
  });
});

describe("npm run demo (scripts/demo.mjs)", () => {
  it("starts the emulator and watch, applies the example file, and stops on its own", async () => {
    const child = spawn(process.execPath, [join(root, "scripts/demo.mjs")], {
      cwd: root,
      env: cleanEnv({ DEMO_LISTEN: "127.0.0.1:0", DEMO_EXIT_AFTER_MS: "4000", DEMO_SKIP_BUILD: "1" }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (out += c));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).toBe(0);
    const events = out
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { event?: string; result?: string; summary?: { create: number } });
    const plan = events.find((e) => e.event === "plan");
    expect(plan?.summary?.create).toBe(4);
    expect(events.filter((e) => e.event === "operation")).toHaveLength(4);
    expect(events.find((e) => e.event === "reconcile")?.result).toBe("success");
    expect(events.some((e) => e.event === "stopped")).toBe(true);
    // The example's pins (defaults 4321 and 1234) never reach the logs.
    // Digit-bounded: an ephemeral port such as 43217 is not a pin.
    expect(out).not.toMatch(/(?<!\d)(?:4321|1234)(?!\d)/);
  });
});

// End-to-end (I/O: temp git repositories, child processes):
// the config-repository integration as a user installs it. The pre-commit hook definition
// (.pre-commit-hooks.yaml) and its entry run the way pre-commit runs it; the plain Git hook
// (config/hooks/pre-commit) on staged content, also through a real `git commit`. The hook under
// the real pre-commit framework: pre-commit-real.test.ts; the GitHub Action and the example
// workflow: github-action.test.ts.
import { execFileSync, spawn } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CLI_PATH, cleanEnv, runCli } from "../support/run-cli.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const HOOK = join(ROOT, "config/hooks/pre-commit");
const PACKAGE = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { name: string; version: string; bin: Record<string, string>; files: string[]; scripts: Record<string, string> };
/** The built CLI as a command line, for SIP_DISPATCH_SYNC (no spaces in either path here). */
const CLI_COMMAND = `${process.execPath} ${CLI_PATH}`;

const GOOD = `version: 1
rules:
  - name: support
    individual:
      roomPrefix: support-
    trunkIds: [ST_support]
  - name: front-desk
    direct:
      roomName: front-desk
    trunkIds: [ST_main]
`;
const UNKNOWN_KEY = "version: 1\nrules:\n  - name: a\n    individual:\n      roomPrefx: call-\n";
const MERGE_CONFLICT = `version: 1
rules:
<<<<<<< HEAD
  - name: support
    individual: { roomPrefix: a- }
=======
  - name: support
    individual: { roomPrefix: b- }
>>>>>>> feature
`;
const CONFLICTING_RULES = `version: 1
rules:
  - name: a
    individual:
      roomPrefix: a-
    trunkIds: [ST_1]
  - name: b
    individual:
      roomPrefix: b-
    trunkIds: [ST_1]
`;

/** Files a hook is handed because the name matches: each must give exit 1 and an error at `line` (0 = the file). */
const BAD_INPUTS: readonly { readonly name: string; readonly content: string | Buffer; readonly line: number }[] = [
  { name: "dispatch-rules-prose.yaml", content: "These are the dispatch rules we talked about.\n", line: 1 },
  { name: "dispatch-rules-binary.yml", content: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff]), line: 1 },
  { name: "dispatch-rules-empty.yaml", content: "", line: 0 },
  { name: "dispatch-rules-merge.yaml", content: MERGE_CONFLICT, line: 3 },
  { name: "dispatch-rules-conflicts.yaml", content: CONFLICTING_RULES, line: 7 },
];

/** `FILE:LINE:COL: error:` (or `FILE: error:` for a file-level problem) for this file and line. */
function errorAt(output: string, file: string, line: number): void {
  const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const re = line === 0 ? new RegExp(`^${escaped}: error: `, "m") : new RegExp(`^${escaped}:${line}:\\d+: error: `, "m");
  expect(output, `an error at ${file}${line === 0 ? "" : `:${line}`}`).toMatch(re);
}

function expectNoCrash(output: string): void {
  expect(output, "no stack trace").not.toMatch(/\n\s+at .*:\d+:\d+/);
  expect(output).not.toMatch(/internal error|TypeError|RangeError/);
}

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "sds-config-repo-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function freshDir(name: string): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  return dir;
}

async function writeIn(dir: string, name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
  return path;
}

// ---------------------------------------------------------------------------------------------
// pre-commit framework

interface HookDef {
  id: string;
  name: string;
  entry: string;
  language: string;
  files: string;
  pass_filenames?: boolean;
  require_serial?: boolean;
}

const hooks = parse(readFileSync(join(ROOT, ".pre-commit-hooks.yaml"), "utf8")) as HookDef[];
const validateHook = hooks.find((h) => h.id === "sip-dispatch-sync-validate");

/** What pre-commit does with the hook: filter the staged names with `files` (Python re.search; the pattern is JS-compatible), append them to `entry`. */
function preCommitArgv(hook: HookDef, staged: readonly string[]): string[] | undefined {
  const files = staged.filter((f) => new RegExp(hook.files).test(f));
  if (files.length === 0) return undefined;
  const [bin, ...args] = hook.entry.split(" ");
  // language: node installs this package; its bin is the built entry.
  expect(bin).toBe(PACKAGE.name);
  return [...args, ...files];
}

describe(".pre-commit-hooks.yaml", () => {
  it("defines sip-dispatch-sync-validate: language node, entry `sip-dispatch-sync validate`, files dispatch-rules*.ya?ml", () => {
    expect(Array.isArray(hooks)).toBe(true);
    expect(validateHook).toMatchObject({ id: "sip-dispatch-sync-validate", language: "node", entry: "sip-dispatch-sync validate" });
    expect(validateHook?.pass_filenames).not.toBe(false);
    // One run for all files: every error of every file at once.
    expect(validateHook?.require_serial).toBe(true);
    expect(PACKAGE.bin[PACKAGE.name]).toBe("dist/src/bin.cjs");
    expect(PACKAGE.files).toContain("dist/src");
  });

  it("matches exactly the dispatch-rules*.yaml / *.yml names, in any folder", () => {
    const re = new RegExp(validateHook?.files ?? "^$");
    const matching = ["dispatch-rules.yaml", "dispatch-rules.yml", "dispatch-rules-prod.yaml", "dispatch-rules.staging.yml", "regions/eu/dispatch-rules.yaml", "dispatch-rules eu.yaml"];
    const other = ["dispatch-rules.json", "my-dispatch-rules.yaml", "dispatch-rules.yaml.bak", "dispatch-rules/rules.yaml", "README.md", "rules.yaml", "dispatch-rules.yamlx"];
    expect(matching.filter((f) => !re.test(f))).toEqual([]);
    expect(other.filter((f) => re.test(f))).toEqual([]);
  });

  // pre-commit (language: node) runs `npm install` then `npm pack` in a clone of this repository
  // and installs the tarball: dist/ is not committed, so only a `prepare` script puts the bin in it.
  it("builds dist/ when installed from a git clone (a prepare script), so pre-commit's npm pack ships the bin", () => {
    expect(PACKAGE.scripts.prepare ?? "", "package.json scripts.prepare").toMatch(/\bbuild\b|tsc/);
  });

  it("its entry passes good files (exit 0) and fails a bad one with file:line:column (exit 1)", async () => {
    expect(validateHook).toBeDefined();
    const hook = validateHook as HookDef;
    const dir = await freshDir("pre-commit-entry");
    await writeIn(dir, "dispatch-rules.yaml", GOOD);
    await writeIn(dir, "regions/eu/dispatch-rules.yml", GOOD);
    await writeIn(dir, "dispatch-rules-broken.yaml", UNKNOWN_KEY);
    await writeIn(dir, "README.md", "not rules: [\n");

    const goodArgv = preCommitArgv(hook, ["dispatch-rules.yaml", "regions/eu/dispatch-rules.yml", "README.md"]);
    expect(goodArgv).toEqual(["validate", "dispatch-rules.yaml", "regions/eu/dispatch-rules.yml"]);
    const good = await runCli(goodArgv ?? [], { cwd: dir });
    expect(good.code, good.stdout + good.stderr).toBe(0);
    expect(good.stdout).toBe("dispatch-rules.yaml: 2 rules, valid\nregions/eu/dispatch-rules.yml: 2 rules, valid\n");

    const badArgv = preCommitArgv(hook, ["dispatch-rules.yaml", "dispatch-rules-broken.yaml", "README.md"]);
    const bad = await runCli(badArgv ?? [], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain("dispatch-rules-broken.yaml:5:7: error: unknown key `roomPrefx` (at rules[0].individual.roomPrefx)\n  hint: did you mean `roomPrefix`?");
    expect(bad.stdout).toContain("dispatch-rules.yaml: 2 rules, valid");
    expect(preCommitArgv(hook, ["README.md", "package.json"])).toBeUndefined();
  });

  it("its entry fails every bad input a hook may be handed with an error at the right line, never a crash", async () => {
    const hook = validateHook as HookDef;
    const dir = await freshDir("pre-commit-bad");
    for (const input of BAD_INPUTS) await writeIn(dir, input.name, input.content);
    for (const input of BAD_INPUTS) {
      const argv = preCommitArgv(hook, [input.name]);
      expect(argv, input.name).toBeDefined();
      const r = await runCli(argv ?? [], { cwd: dir });
      expect(r.code, `${input.name}: ${r.stdout}${r.stderr}`).toBe(1);
      expectNoCrash(r.stdout + r.stderr);
      errorAt(r.stdout, input.name, input.line);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// config/hooks/pre-commit, the plain Git hook

/** Environment for git and the hook: no GIT_* from a surrounding hook, a fixed identity. */
function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = cleanEnv(extra);
  for (const k of Object.keys(env)) if (k.startsWith("GIT_")) delete env[k];
  return { ...env, GIT_CONFIG_NOSYSTEM: "1", HOME: work, ...extra };
}

function git(dir: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd: dir, env: gitEnv(), encoding: "utf8" });
}

async function newRepo(name: string): Promise<string> {
  const dir = await freshDir(name);
  git(dir, "init", "--quiet", "--initial-branch=main");
  git(dir, "config", "user.email", "hook-test@example.com");
  git(dir, "config", "user.name", "Hook Test");
  git(dir, "config", "commit.gpgsign", "false");
  return dir;
}

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(cmd: string, args: readonly string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 20_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs config/hooks/pre-commit (through its #!/bin/sh) in `dir`, with the built CLI as the command. */
function runHook(dir: string, command: string = CLI_COMMAND): Promise<Run> {
  return run(HOOK, [], { cwd: dir, env: gitEnv({ SIP_DISPATCH_SYNC: command }) });
}

describe("config/hooks/pre-commit (plain Git hook)", () => {
  it("is an executable POSIX sh script that parses", () => {
    accessSync(HOOK, constants.X_OK);
    expect(readFileSync(HOOK, "utf8").split("\n")[0]).toBe("#!/bin/sh");
    execFileSync("sh", ["-n", HOOK]);
  });

  it("passes staged good files (exit 0) and validates nothing when no matching file is staged", async () => {
    const dir = await newRepo("hook-good");
    await writeIn(dir, "dispatch-rules.yaml", GOOD);
    await writeIn(dir, "regions/eu/dispatch-rules.yml", GOOD);
    await writeIn(dir, "README.md", "hello\n");
    git(dir, "add", "-A");
    const r = await runHook(dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("dispatch-rules.yaml: 2 rules, valid");
    expect(r.stderr).toContain("regions/eu/dispatch-rules.yml: 2 rules, valid");

    // Garbage under other names is not the hook's business: the command is never run (`false` would fail it).
    git(dir, "commit", "--quiet", "-m", "first");
    await writeIn(dir, "README.md", "rules: [\n");
    await writeIn(dir, "dispatch-rules.json", "{");
    await writeIn(dir, "other.yaml", "rules: [\n");
    git(dir, "add", "-A");
    const other = await runHook(dir, "false");
    expect([other.code, other.stderr]).toEqual([0, ""]);

    // A staged deletion is not checked either.
    git(dir, "commit", "--quiet", "-m", "second");
    git(dir, "rm", "--quiet", "dispatch-rules.yaml");
    expect((await runHook(dir, "false")).code).toBe(0);
  });

  it("fails a staged bad file (exit 1), naming it by its path in the repository at file:line:column", async () => {
    const dir = await newRepo("hook-bad");
    await writeIn(dir, "dispatch-rules.yaml", GOOD);
    await writeIn(dir, "regions/eu/dispatch-rules.yaml", UNKNOWN_KEY);
    git(dir, "add", "-A");
    const r = await runHook(dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("regions/eu/dispatch-rules.yaml:5:7: error: unknown key `roomPrefx` (at rules[0].individual.roomPrefx)\n  hint: did you mean `roomPrefix`?");
    expect(r.stderr).toContain("dispatch-rules.yaml: 2 rules, valid");
    expect(r.stderr).toContain("1 error in 1 file");
    expect(r.stderr).toMatch(/pre-commit: dispatch rules are not valid/);
    // The temp copy's location never shows.
    expect(r.stderr).not.toContain("sip-dispatch-sync-hook.");
    expect(r.stderr).not.toContain(tmpdir());
  });

  it("checks the staged content, not the working tree", async () => {
    const dir = await newRepo("hook-staged");
    await writeIn(dir, "dispatch-rules.yaml", UNKNOWN_KEY);
    git(dir, "add", "dispatch-rules.yaml");
    await writeIn(dir, "dispatch-rules.yaml", GOOD); // fixed, but not staged
    const stagedBad = await runHook(dir);
    expect(stagedBad.code).toBe(1);
    expect(stagedBad.stderr).toContain("dispatch-rules.yaml:5:7: error: unknown key `roomPrefx`");

    git(dir, "add", "dispatch-rules.yaml");
    await writeIn(dir, "dispatch-rules.yaml", UNKNOWN_KEY); // broken again, not staged
    const stagedGood = await runHook(dir);
    expect(stagedGood.code, stagedGood.stderr).toBe(0);
  });

  it("checks renamed and copied files and names with spaces; reports every file's errors in one run", async () => {
    const dir = await newRepo("hook-rename");
    await writeIn(dir, "dispatch-rules.yaml", GOOD);
    git(dir, "add", "-A");
    git(dir, "commit", "--quiet", "-m", "first");
    git(dir, "mv", "dispatch-rules.yaml", "dispatch-rules-prod.yaml");
    await writeIn(dir, "dispatch-rules eu.yaml", UNKNOWN_KEY);
    await writeIn(dir, "dispatch-rules-conflicts.yml", CONFLICTING_RULES);
    git(dir, "add", "-A");
    const r = await runHook(dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("dispatch-rules-prod.yaml: 2 rules, valid");
    errorAt(r.stderr, "dispatch-rules eu.yaml", 5);
    errorAt(r.stderr, "dispatch-rules-conflicts.yml", 7);
    expect(r.stderr).toContain("2 errors in 2 files");
  });

  it("checks the file a staged symlink points to, not the link's target name", async () => {
    const dir = await newRepo("hook-symlink");
    await writeIn(dir, "rules/main.yaml", UNKNOWN_KEY);
    execFileSync("ln", ["-s", "rules/main.yaml", join(dir, "dispatch-rules.yaml")]);
    git(dir, "add", "-A");
    const r = await runHook(dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("dispatch-rules.yaml:5:7: error: unknown key `roomPrefx`");
  });

  it("fails every bad input with an error at its line (exit 1), never a crash", async () => {
    for (const input of BAD_INPUTS) {
      const dir = await newRepo(`hook-input-${input.name}`);
      await writeIn(dir, input.name, input.content);
      git(dir, "add", "-A");
      const r = await runHook(dir);
      expect(r.code, `${input.name}: ${r.stderr}`).toBe(1);
      expectNoCrash(r.stderr);
      errorAt(r.stderr, input.name, input.line);
    }
  });

  it("says how to install the command when it cannot run, and exits 1", async () => {
    const dir = await newRepo("hook-missing");
    await writeIn(dir, "dispatch-rules.yaml", GOOD);
    git(dir, "add", "-A");
    const r = await runHook(dir, join(work, "no-such-sip-dispatch-sync"));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("pre-commit: cannot run");
    expect(r.stderr).toContain("SIP_DISPATCH_SYNC");
  });

  it("blocks a real `git commit` of a bad file and lets a good one through (core.hooksPath)", async () => {
    const dir = await newRepo("hook-commit");
    const hooksDir = join(dir, ".githooks");
    await mkdir(hooksDir);
    await copyFile(HOOK, join(hooksDir, "pre-commit"));
    await chmod(join(hooksDir, "pre-commit"), 0o755);
    git(dir, "config", "core.hooksPath", ".githooks");
    const env = gitEnv({ SIP_DISPATCH_SYNC: CLI_COMMAND });

    await writeIn(dir, "dispatch-rules.yaml", MERGE_CONFLICT);
    git(dir, "add", "dispatch-rules.yaml");
    const blocked = await run("git", ["commit", "-m", "bad rules"], { cwd: dir, env });
    expect(blocked.code).not.toBe(0);
    errorAt(blocked.stderr, "dispatch-rules.yaml", 3);
    expect(() => git(dir, "rev-parse", "--verify", "--quiet", "HEAD")).toThrow();

    await writeIn(dir, "dispatch-rules.yaml", GOOD);
    git(dir, "add", "dispatch-rules.yaml");
    const passed = await run("git", ["commit", "-m", "good rules"], { cwd: dir, env });
    expect(passed.code, passed.stderr).toBe(0);
    expect(git(dir, "log", "--format=%s").trim()).toBe("good rules");
  });
});


// End-to-end (I/O: temp git repositories, child processes, the CLI's emulator on 127.0.0.1:0):
// the config-repository integration as a user installs it. The pre-commit hook definition
// (.pre-commit-hooks.yaml) and its entry run the way pre-commit runs it; the plain Git hook
// (config/hooks/pre-commit) on staged content, also through a real `git commit`; and the example
// workflow (config/github-actions/dispatch-rules.yml), whose `run:` steps are executed as the
// runner would (bash -eo pipefail, $GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY, ${{ }} expressions) with
// the built CLI as `sip-dispatch-sync` and a recording stand-in for `gh`.
import { execFileSync, spawn } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { parse } from "yaml";
import { startCliEmulator, type RunningEmulator } from "../support/cli-emulator.js";
import { CLI_PATH, cleanEnv, runCli } from "../support/run-cli.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const HOOK = join(ROOT, "config/hooks/pre-commit");
const WORKFLOW = join(ROOT, "config/github-actions/dispatch-rules.yml");
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

// ---------------------------------------------------------------------------------------------
// config/github-actions/dispatch-rules.yml, run step by step

interface Step {
  readonly id?: string;
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly env?: Record<string, string>;
}
interface Job {
  readonly if?: string;
  readonly env?: Record<string, string>;
  readonly steps: readonly Step[];
  readonly concurrency?: { group: string; "cancel-in-progress": boolean };
  readonly permissions?: Record<string, string>;
}
interface Workflow {
  readonly on: Record<string, unknown>;
  readonly env: Record<string, string>;
  readonly defaults?: { run?: { shell?: string } };
  readonly jobs: Record<string, Job>;
}

const workflow = parse(readFileSync(WORKFLOW, "utf8")) as Workflow;

type Ctx = Record<string, unknown>;

function lookup(ctx: Ctx, path: string): unknown {
  let v: unknown = ctx;
  for (const key of path.split(".")) v = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined;
  return v;
}

/** The subset of the Actions expression language the workflow uses: paths, 'strings', ==, !=, &&. */
function evaluate(expr: string, ctx: Ctx): unknown {
  const e = expr.trim();
  if (e.includes("&&")) return e.split("&&").every((part) => truthy(evaluate(part, ctx)));
  const cmp = /^(.+?)\s*(==|!=)\s*(.+)$/.exec(e);
  if (cmp) {
    const [a, b] = [evaluate(cmp[1] as string, ctx), evaluate(cmp[3] as string, ctx)];
    // Actions compares strings case-insensitively; null equals ''.
    const norm = (x: unknown) => (x === undefined || x === null ? "" : String(x).toLowerCase());
    return cmp[2] === "==" ? norm(a) === norm(b) : norm(a) !== norm(b);
  }
  const str = /^'(.*)'$/.exec(e);
  if (str) return str[1];
  if (!/^[A-Za-z_][\w-]*(\.[\w-]+)*$/.test(e)) throw new Error(`expression not supported by this test: ${expr}`);
  return lookup(ctx, e);
}

function truthy(v: unknown): boolean {
  return v !== undefined && v !== null && v !== "" && v !== false && v !== 0;
}

function interpolate(text: string, ctx: Ctx): string {
  return text.replace(/\$\{\{(.*?)\}\}/g, (_m, expr: string) => {
    const v = evaluate(expr, ctx);
    return v === undefined || v === null ? "" : String(v);
  });
}

function evalEnv(env: Record<string, string> | undefined, ctx: Ctx): Record<string, string> {
  return Object.fromEntries(Object.entries(env ?? {}).map(([k, v]) => [k, interpolate(String(v), ctx)]));
}

function parseOutputs(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
}

interface StepResult {
  readonly key: string;
  readonly status: "skipped" | "success" | "failure";
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly outputs: Record<string, string>;
}

interface JobRun {
  readonly steps: readonly StepResult[];
  readonly summary: string;
  readonly temp: string;
  readonly ghCalls: readonly string[];
  step(key: string): StepResult;
  readonly failed: boolean;
}

interface PrEvent {
  readonly fork?: boolean;
}

/** PATH entries standing in for the installed CLI and for `gh` (records each call and the body it posts). */
async function makeShims(dir: string): Promise<string> {
  const bin = join(dir, "shim-bin");
  await mkdir(bin, { recursive: true });
  await writeFile(join(bin, "sip-dispatch-sync"), `#!/bin/sh\nexec "${process.execPath}" "${CLI_PATH}" "$@"\n`, { mode: 0o755 });
  // `--edit-last` fails while this PR has no comment of ours, as the real gh does.
  await writeFile(
    join(bin, "gh"),
    [
      "#!/bin/sh",
      'printf "%s\\n" "$*" >> "$GH_SHIM_LOG"',
      'edit=false; body=""',
      'while [ $# -gt 0 ]; do case "$1" in --edit-last) edit=true ;; --body-file) body=$2; shift ;; esac; shift; done',
      'if [ "$edit" = true ] && [ ! -f "$GH_SHIM_LOG.comment" ]; then echo "no comments found for current user" >&2; exit 1; fi',
      'cat "$body" > "$GH_SHIM_LOG.comment"',
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  return bin;
}

/** Runs one job of the workflow in `repo` as the runner would. Steps with `uses:` and the install step are the runner's setup here. */
async function runJob(
  jobName: string,
  opts: { repo: string; event: "pull_request" | "push"; secrets: Record<string, string>; vars: Record<string, string>; pr?: PrEvent; ghState?: string; pinSecrets?: readonly string[] },
): Promise<JobRun> {
  const defined = workflow.jobs[jobName];
  if (defined === undefined) throw new Error(`no job ${jobName}`);
  // What the workflow's comment asks of its user: one `NAME: \${{ secrets.NAME }}` line per \${VAR} of the rules file.
  const pinLines = Object.fromEntries((opts.pinSecrets ?? []).map((n) => [n, `\${{ secrets.${n} }}`]));
  const job: Job = { ...defined, env: { ...defined.env, ...pinLines } };
  const temp = await mkdtemp(join(work, `runner-${jobName}-`));
  const bin = await makeShims(temp);
  const summaryFile = join(temp, "step-summary.md");
  await writeFile(summaryFile, "");
  const ghLog = opts.ghState ?? join(temp, "gh.log");
  const steps: Record<string, { outputs: Record<string, string> }> = {};
  const ctx: Ctx = {
    github: {
      event_name: opts.event,
      repository: "acme/dispatch-config",
      token: "ghs_test_token",
      ref: opts.event === "push" ? "refs/heads/main" : "refs/pull/42/merge",
      event: opts.event === "pull_request" ? { pull_request: { number: 42, head: { repo: { full_name: opts.pr?.fork === true ? "someone/dispatch-config" : "acme/dispatch-config" } } } } : {},
    },
    secrets: opts.secrets,
    vars: opts.vars,
    steps,
  };
  expect(job.if === undefined || truthy(evaluate(job.if, ctx)), `job ${jobName} runs on ${opts.event}`).toBe(true);
  const results: StepResult[] = [];
  let failed = false;
  for (const [i, step] of job.steps.entries()) {
    const key = step.id ?? step.name ?? step.uses ?? `step-${i}`;
    // Default status check: a step without success()/always() runs only while nothing failed.
    if (failed || step.uses !== undefined || step.id === "install" || (step.if !== undefined && !truthy(evaluate(step.if, ctx)))) {
      results.push({ key, status: "skipped", code: null, stdout: "", stderr: "", outputs: {} });
      continue;
    }
    const outputFile = join(temp, `output-${i}`);
    await writeFile(outputFile, "");
    const script = join(temp, `step-${i}.sh`);
    await writeFile(script, interpolate(step.run ?? "", ctx));
    const env: NodeJS.ProcessEnv = {
      ...cleanEnv(),
      PATH: `${bin}:${process.env.PATH ?? ""}`,
      CI: "true",
      GITHUB_ACTIONS: "true",
      GITHUB_WORKSPACE: opts.repo,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      RUNNER_TEMP: temp,
      GH_SHIM_LOG: ghLog,
      ...evalEnv(workflow.env, ctx),
      ...evalEnv(job.env, ctx),
      ...evalEnv(step.env, ctx),
    };
    const r = await runStepScript(script, opts.repo, env);
    const outputs = parseOutputs(await readFile(outputFile, "utf8"));
    if (step.id !== undefined) steps[step.id] = { outputs };
    const status = r.code === 0 ? "success" : "failure";
    if (status === "failure") failed = true;
    results.push({ key, status, code: r.code, stdout: r.stdout, stderr: r.stderr, outputs });
  }
  let ghCalls: string[] = [];
  try {
    ghCalls = (await readFile(ghLog, "utf8")).split("\n").filter((l) => l !== "");
  } catch {
    // gh was never called
  }
  return {
    steps: results,
    summary: await readFile(summaryFile, "utf8"),
    temp,
    ghCalls,
    failed,
    step(k) {
      const s = results.find((x) => x.key === k);
      if (s === undefined) throw new Error(`no step ${k}; steps: ${results.map((x) => x.key).join(", ")}`);
      return s;
    },
  };
}

/** `shell: bash` on a GitHub runner: bash --noprofile --norc -eo pipefail {0}. Own process group, killed afterwards so no background process outlives the step. */
function runStepScript(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  expect(workflow.defaults?.run?.shell).toBe("bash");
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["--noprofile", "--norc", "-eo", "pipefail", script], { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    const pid = child.pid;
    const killGroup = (): void => {
      if (pid === undefined) return;
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // the group is gone
      }
    };
    onTestFinished(killGroup);
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(killGroup, 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      killGroup();
      resolve({ code, stdout, stderr });
    });
  });
}

/** The CLI's `emulator` as the "real server" of a test, persisted to `state`. */
function startServer(state: string, apiKey: string, apiSecret: string): Promise<RunningEmulator> {
  return startCliEmulator(["--listen", "127.0.0.1:0", "--state", state], { LIVEKIT_API_KEY: apiKey, LIVEKIT_API_SECRET: apiSecret });
}

function portRefuses(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

const SERVER_KEY = "wf-key-3Qz";
const SERVER_SECRET = "wf-Secr3t-P9xLm2Qa7";
const PIN = "60417283";

// The server today: support (will change), front-desk (kept), legacy (will be deleted), vault (a pin).
const SERVER_RULES = `version: 1
rules:
  - name: support
    individual:
      roomPrefix: help-
    trunkIds: [ST_support]
  - name: front-desk
    direct:
      roomName: front-desk
    trunkIds: [ST_main]
  - name: legacy
    individual:
      roomPrefix: legacy-
    trunkIds: [ST_legacy]
  - name: vault
    direct:
      roomName: vault
      pin: \${VAULT_PIN}
    trunkIds: [ST_vault]
`;
// The pull request: support updated, legacy removed, sales added; vault and front-desk unchanged.
const PR_RULES = `version: 1
limits:
  maxDeletes: 2
rules:
  - name: support
    individual:
      roomPrefix: support-
    trunkIds: [ST_support]
  - name: front-desk
    direct:
      roomName: front-desk
    trunkIds: [ST_main]
  - name: vault
    direct:
      roomName: vault
      pin: \${VAULT_PIN}
    trunkIds: [ST_vault]
  - name: sales
    callee:
      roomPrefix: sales-
    trunkIds: [ST_sales]
`;

/** A "production" server holding SERVER_RULES, and its `export --format json`. */
async function productionServer(name: string): Promise<{ url: string; state: string; exported: string; stop: () => Promise<number | null>; env: Record<string, string> }> {
  const dir = await freshDir(name);
  const state = join(dir, "server-state.json");
  await writeFile(state, JSON.stringify({ formatVersion: 1, items: [] }));
  const server = await startServer(state, SERVER_KEY, SERVER_SECRET);
  const env = { LIVEKIT_URL: server.url, LIVEKIT_API_KEY: SERVER_KEY, LIVEKIT_API_SECRET: SERVER_SECRET, VAULT_PIN: PIN };
  const rules = await writeIn(dir, "server-rules.yaml", SERVER_RULES);
  const applied = await runCli(["apply", "-c", rules, "--auto-approve"], { env });
  expect(applied.code, applied.stderr).toBe(0);
  const exported = await runCli(["export", "--format", "json", "--include-pins"], { env });
  expect(exported.code, exported.stderr).toBe(0);
  return { url: server.url, state, exported: exported.stdout, stop: server.stop, env };
}

async function configRepo(name: string, rules: string, snapshot?: string): Promise<string> {
  const repo = await freshDir(name);
  await writeIn(repo, "dispatch-rules.yaml", rules);
  if (snapshot !== undefined) await writeIn(repo, "dispatch-state.json", snapshot);
  return repo;
}

/** 1-based line of the first line of `text` starting with `prefix`. */
function lineOf(text: string, prefix: string): number {
  const i = text.split("\n").findIndex((l) => l.startsWith(prefix));
  if (i < 0) throw new Error(`no line starting with ${prefix}`);
  return i + 1;
}

function annotationLines(stdout: string): string[] {
  return stdout.split("\n").filter((l) => /^::(error|warning|notice)/.test(l));
}

describe("config/github-actions/dispatch-rules.yml", () => {
  it("validates and plans on pull requests, applies on push to main, one apply at a time, never forced", () => {
    expect(Object.keys(workflow.on).sort()).toEqual(["pull_request", "push"]);
    expect(workflow.on.push).toMatchObject({ branches: ["main"] });
    expect(workflow.env.SIP_DISPATCH_SYNC_VERSION, "the workflow installs this release").toBe(PACKAGE.version);
    expect(workflow.jobs.plan?.if).toBe("github.event_name == 'pull_request'");
    expect(workflow.jobs.apply?.if).toBe("github.event_name == 'push'");
    expect(workflow.jobs.apply?.concurrency).toEqual({ group: "dispatch-rules-apply", "cancel-in-progress": false });
    expect(workflow.jobs.plan?.permissions).toMatchObject({ "pull-requests": "write" });
    const runs = Object.values(workflow.jobs).flatMap((j) => j.steps.map((s) => s.run ?? ""));
    expect(runs.join("\n")).not.toMatch(/--force/);
    for (const job of Object.values(workflow.jobs)) {
      const install = job.steps.find((s) => s.id === "install");
      expect(install?.run).toBe('npm install --global --no-audit --no-fund "sip-dispatch-sync@${SIP_DISPATCH_SYNC_VERSION}"');
      // Secrets reach commands through env, never spliced into a script.
      for (const s of job.steps) expect(s.run ?? "").not.toMatch(/\$\{\{/);
    }
    expect(workflow.jobs.apply?.steps.map((s) => s.run).filter(Boolean)).toContain('sip-dispatch-sync apply --auto-approve --out "$RUNNER_TEMP/applied-plan.json"');
  });

  it("pull request without credentials: validates, plans against the emulator seeded from the export, rehearses, comments", async () => {
    const prod = await productionServer("wf-pr-emulator");
    await prod.stop();
    const repo = await configRepo("wf-pr-emulator-repo", PR_RULES, prod.exported);
    const job = await runJob("plan", { repo, event: "pull_request", secrets: { VAULT_PIN: PIN }, vars: {}, pinSecrets: ["VAULT_PIN"] });
    expect(job.steps.map((s) => [s.key, s.status])).toEqual([
      ["actions/checkout@v4", "skipped"],
      ["actions/setup-node@v4", "skipped"],
      ["install", "skipped"],
      ["Validate", "success"],
      ["plan", "success"],
      ["Comment the plan on the pull request", "success"],
      ["Fail when the plan is refused", "success"],
    ]);
    expect(job.step("Validate").stdout).toBe("dispatch-rules.yaml: 4 rules, valid\n");
    const plan = job.step("plan");
    expect(plan.outputs).toEqual({ exitcode: "2" });
    expect(plan.stdout).toContain("planning against the emulator seeded from dispatch-state.json");
    const notices = annotationLines(plan.stdout);
    expect(notices).toHaveLength(3);
    expect(notices).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^::warning file=dispatch-rules\.yaml,line=1,title=delete "legacy"::delete rule "legacy" \(SDR_\w+\): not in the file$/),
        expect.stringMatching(new RegExp(`^::notice file=dispatch-rules\\.yaml,line=${lineOf(PR_RULES, "  - name: sales")},col=5,title=create "sales"::`)),
        expect.stringMatching(new RegExp(`^::notice file=dispatch-rules\\.yaml,line=${lineOf(PR_RULES, "  - name: support")},col=5,title=update "support"::.*individual\\.roomPrefix: "help-" -> "support-"`)),
      ]),
    );
    expect(plan.stdout).toContain("Plan: 1 to create, 1 to update, 1 to delete, 2 unchanged, 0 unmanaged left alone.");
    // The rehearsal applied the plan on the emulator, and a second plan found nothing left to do.
    expect(plan.stdout).toContain("Rehearsing the apply on the emulator");
    expect(plan.stdout).toContain("Apply complete: 3 operation(s) succeeded.");
    expect(plan.stdout).toContain("No changes. The server matches the file.");
    // The step's emulator is gone, and the snapshot in the checkout is untouched.
    const url = /^emulator listening on (\S+)$/m.exec(await readFile(join(job.temp, "emulator.out"), "utf8"))?.[1];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await portRefuses(url as string)).toBe(true);
    expect(await readFile(join(repo, "dispatch-state.json"), "utf8")).toBe(prod.exported);

    // One Markdown plan: the job summary and the PR comment, pins masked.
    expect(job.summary.match(/### sip-dispatch-sync plan/g)).toHaveLength(1);
    expect(job.summary).toContain("| 1 | 1 | 1 | 2 | 0 |");
    expect(job.ghCalls).toEqual([expect.stringMatching(/^pr comment 42 --edit-last --body-file .*plan\.md$/), expect.stringMatching(/^pr comment 42 --body-file .*plan\.md$/)]);
    expect(await readFile(join(job.temp, "gh.log.comment"), "utf8")).toBe(job.summary);
    const everything = job.steps.map((s) => s.stdout + s.stderr).join("\n") + job.summary;
    expect(everything).not.toContain(PIN);
  });

  it("pull request with credentials: plans against the real server without writing to it; no comment on a fork", async () => {
    const prod = await productionServer("wf-pr-live");
    const before = await readFile(prod.state, "utf8");
    const repo = await configRepo("wf-pr-live-repo", PR_RULES);
    const secrets = { LIVEKIT_API_KEY: SERVER_KEY, LIVEKIT_API_SECRET: SERVER_SECRET, VAULT_PIN: PIN };
    const job = await runJob("plan", { repo, event: "pull_request", secrets, vars: { LIVEKIT_URL: prod.url }, pr: { fork: true }, pinSecrets: ["VAULT_PIN"] });
    expect(job.failed, job.steps.map((s) => s.stderr).join("\n")).toBe(false);
    const plan = job.step("plan");
    expect(plan.stdout).toContain(`Planning against the server at ${prod.url}`);
    expect(plan.stdout).not.toContain("Rehearsing");
    expect(plan.outputs).toEqual({ exitcode: "2" });
    expect(annotationLines(plan.stdout)).toHaveLength(3);
    expect(job.step("Comment the plan on the pull request").status).toBe("skipped");
    expect(job.ghCalls).toEqual([]);
    expect(job.summary).toContain(`against <code>${prod.url}</code>`);
    expect(await readFile(prod.state, "utf8"), "the real server is only read").toBe(before);
    expect(job.steps.map((s) => s.stdout + s.stderr).join("\n")).not.toContain(SERVER_SECRET);
    expect(await prod.stop()).toBe(0);
  });

  it("pull request whose plan is refused: comments the refusal, then fails the job with exit 3", async () => {
    const prod = await productionServer("wf-pr-refused");
    await prod.stop();
    const repo = await configRepo("wf-pr-refused-repo", "version: 1\nrules: []\n", prod.exported);
    const ghState = join(await freshDir("wf-pr-refused-gh"), "gh.log");
    await writeFile(`${ghState}.comment`, "an earlier plan\n"); // a comment of ours exists: it is edited
    const job = await runJob("plan", { repo, event: "pull_request", secrets: {}, vars: {}, ghState });
    expect(job.step("plan").outputs).toEqual({ exitcode: "3" });
    expect(annotationLines(job.step("plan").stdout)).toContainEqual(expect.stringMatching(/^::error file=dispatch-rules\.yaml,line=1,title=plan refused \(empty-rules\)::/));
    expect(job.step("plan").stdout).not.toContain("Rehearsing");
    expect(job.ghCalls).toEqual([expect.stringMatching(/^pr comment 42 --edit-last --body-file /)]);
    expect(await readFile(`${ghState}.comment`, "utf8")).toMatch(/Plan refused/);
    const last = job.step("Fail when the plan is refused");
    expect([last.status, last.code]).toEqual(["failure", 3]);
    expect(last.stdout).toContain("::error::the plan is refused by a safety limit");
  });

  it("pull request with an invalid file: validate fails with annotations at file:line and nothing else runs", async () => {
    const repo = await configRepo("wf-pr-invalid", UNKNOWN_KEY, JSON.stringify({ formatVersion: 1, items: [] }));
    const job = await runJob("plan", { repo, event: "pull_request", secrets: {}, vars: {} });
    const validate = job.step("Validate");
    expect([validate.status, validate.code]).toEqual(["failure", 1]);
    expect(annotationLines(validate.stdout)).toEqual(["::error file=dispatch-rules.yaml,line=5,col=7::unknown key `roomPrefx` (at rules[0].individual.roomPrefx)%0Ahint: did you mean `roomPrefix`?"]);
    expect(job.steps.filter((s) => s.status !== "skipped").map((s) => s.key)).toEqual(["Validate"]);
  });

  it("pull request with neither credentials nor a snapshot: warns and skips the plan", async () => {
    // A pin whose secret is absent (a fork) is an empty string, so the file still validates.
    const repo = await configRepo("wf-pr-nothing", SERVER_RULES);
    const job = await runJob("plan", { repo, event: "pull_request", secrets: {}, vars: {}, pinSecrets: ["VAULT_PIN"] });
    expect(job.failed, job.steps.map((s) => s.stdout + s.stderr).join("\n")).toBe(false);
    expect(job.step("Validate").stdout).toBe("dispatch-rules.yaml: 4 rules, valid\n");
    expect(job.step("plan").outputs).toEqual({ exitcode: "skipped" });
    expect(job.step("plan").stdout).toContain("::warning::no LIVEKIT_API_SECRET secret and no dispatch-state.json");
    expect(job.step("Comment the plan on the pull request").status).toBe("skipped");
    expect(job.ghCalls).toEqual([]);
  });

  it("push to main: applies to the server with the safety limits, after which a plan shows no changes", async () => {
    const prod = await productionServer("wf-push");
    const repo = await configRepo("wf-push-repo", PR_RULES);
    const secrets = { LIVEKIT_API_KEY: SERVER_KEY, LIVEKIT_API_SECRET: SERVER_SECRET, VAULT_PIN: PIN };
    const job = await runJob("apply", { repo, event: "push", secrets, vars: { LIVEKIT_URL: prod.url }, pinSecrets: ["VAULT_PIN"] });
    expect(job.steps.map((s) => [s.key, s.status])).toEqual([
      ["actions/checkout@v4", "skipped"],
      ["actions/setup-node@v4", "skipped"],
      ["install", "skipped"],
      ["Validate", "success"],
      ["Apply", "success"],
    ]);
    expect(job.step("Apply").stdout).toContain("Apply complete: 3 operation(s) succeeded.");
    expect(JSON.parse(await readFile(join(job.temp, "applied-plan.json"), "utf8"))).toMatchObject({ formatVersion: 1, safe: true, summary: { create: 1, update: 1, delete: 1 } });
    expect(job.summary).toContain("| 1 | 1 | 1 | 2 | 0 |");
    const after = await runCli(["plan", "-c", join(repo, "dispatch-rules.yaml"), "--detailed-exitcode"], { env: prod.env });
    expect(after.code, after.stdout + after.stderr).toBe(0);
    expect(job.steps.map((s) => s.stdout + s.stderr).join("\n") + job.summary).not.toContain(PIN);
    expect(await prod.stop()).toBe(0);
  });

  it("push to main with a plan over the delete limit: refused with exit 3, the server unchanged", async () => {
    const prod = await productionServer("wf-push-refused");
    const before = await readFile(prod.state, "utf8");
    // Three deletes against limits.maxDeletes 2.
    const repo = await configRepo("wf-push-refused-repo", "version: 1\nlimits:\n  maxDeletes: 2\nrules:\n  - name: front-desk\n    direct:\n      roomName: front-desk\n    trunkIds: [ST_main]\n");
    const secrets = { LIVEKIT_API_KEY: SERVER_KEY, LIVEKIT_API_SECRET: SERVER_SECRET };
    const job = await runJob("apply", { repo, event: "push", secrets, vars: { LIVEKIT_URL: prod.url } });
    const apply = job.step("Apply");
    expect([apply.status, apply.code]).toEqual(["failure", 3]);
    expect(apply.stderr).toMatch(/plan refused/);
    expect(await readFile(prod.state, "utf8")).toBe(before);
    expect(await prod.stop()).toBe(0);
  });
});

// End-to-end with the REAL pre-commit framework (I/O: temp git repositories, child processes,
// npm's cache; `pre-commit` must be installed: .ci/run installs Debian's package). Nothing is
// simulated: pre-commit clones this repository (a local clone holding the working tree under
// test, at a commit SHA) and installs the hook as it does for any user (language: node: npm
// install, npm pack, npm install -g of the tarball into its own environment), then runs it on
// the commits of a scratch config repository through the Git hook `pre-commit install` writes.
// The .pre-commit-config.yaml is the README's snippet with only `repo` and `rev` replaced.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { cloneWorkingTree, git, gitEnv, REPO_ROOT, type SourceClone } from "../support/source-clone.js";

const UNKNOWN_KEY = "version: 1\nrules:\n  - name: a\n    individual:\n      roomPrefx: call-\n";
const GOOD = "version: 1\nrules:\n  - name: a\n    individual:\n      roomPrefix: call-\n    trunkIds: [ST_a]\n";

/** pre-commit's version, or undefined when it is not installed. */
function preCommitVersion(): string | undefined {
  try {
    return execFileSync("pre-commit", ["--version"], { encoding: "utf8" }).trim();
  } catch {
    return undefined;
  }
}

/** The README's .pre-commit-config.yaml snippet (the ```yaml block that names the hook id). */
function readmePreCommitConfig(): { text: string; config: { repos: { repo: string; rev: string; hooks: { id: string }[] }[] } } {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? "");
  const text = blocks.find((b) => /^repos:/m.test(b) && b.includes("id: sip-dispatch-sync-validate"));
  if (text === undefined) throw new Error("README.md has no ```yaml block with the pre-commit config");
  return { text, config: parse(text) as { repos: { repo: string; rev: string; hooks: { id: string }[] }[] } };
}

interface Run {
  readonly code: number | null;
  readonly out: string;
}

/** Runs a command with stdout and stderr interleaved as a user sees them. */
function run(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

let work: string;
let hookRepo: SourceClone;
const version = preCommitVersion();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "sds-pre-commit-"));
  hookRepo = cloneWorkingTree(join(work, "sip-dispatch-sync"), work);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("the hook under the real pre-commit", () => {
  it("the README's rev is a commit of this repository with the hook and its install fix (.npmrc)", () => {
    const { config } = readmePreCommitConfig();
    const rev = config.repos[0]?.rev ?? "";
    expect(rev, "a full commit SHA until releases are tagged").toMatch(/^[0-9a-f]{40}$/);
    const show = (path: string) => execFileSync("git", ["show", `${rev}:${path}`], { cwd: REPO_ROOT, encoding: "utf8" });
    expect(show(".pre-commit-hooks.yaml")).toContain("id: sip-dispatch-sync-validate");
    expect(show(".npmrc")).toMatch(/^foreground-scripts=false$/m);
    expect(() => execFileSync("git", ["merge-base", "--is-ancestor", rev, "HEAD"], { cwd: REPO_ROOT })).not.toThrow();
  });

  it("pre-commit is installed (.ci/run installs Debian's package: apt-get install pre-commit)", () => {
    expect(version, "`pre-commit --version` failed: install pre-commit (apt-get install -y pre-commit)").toMatch(/^pre-commit \d+\.\d+\.\d+$/);
  });

  it("installs from a clone at a commit, fails a bad file with file:line:col, passes a good one, and reuses its environment", { timeout: 300_000 }, async () => {
    const preCommitHome = join(work, "pre-commit-home");
    const npmCache = process.env.npm_config_cache;
    // The user's npm cache (warm after `npm ci`) with --prefer-offline: the install needs no
    // network for packages the lockfile already brought. A private PRE_COMMIT_HOME, git identity.
    const env = gitEnv(work, {
      PRE_COMMIT_HOME: preCommitHome,
      PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`,
      npm_config_prefer_offline: "true",
      npm_config_audit: "false",
      npm_config_fund: "false",
      npm_config_update_notifier: "false",
      npm_config_cache: npmCache ?? join(process.env.HOME ?? work, ".npm"),
      NO_COLOR: "1",
    });
    // Nothing of the npm that may run this suite (npm test sets npm_config_*, npm_package_*).
    for (const k of Object.keys(env)) if (/^(LIVEKIT_|DISPATCH_|SIP_DISPATCH_SYNC|GITHUB_|npm_(?!config_(cache|prefer_offline|audit|fund|update_notifier)$))/.test(k)) delete env[k];

    // The README's snippet, pointed at the local clone and its commit.
    const { config } = readmePreCommitConfig();
    expect(config.repos).toHaveLength(1);
    expect(config.repos[0]?.hooks).toEqual([{ id: "sip-dispatch-sync-validate" }]);
    const configText = stringify({ repos: [{ ...config.repos[0], repo: hookRepo.dir, rev: hookRepo.sha }] });

    const repo = join(work, "config-repo");
    await mkdir(repo);
    git(repo, env, "init", "--quiet", "--initial-branch=main");
    git(repo, env, "config", "commit.gpgsign", "false");
    await writeFile(join(repo, ".pre-commit-config.yaml"), configText);
    const installed = await run("pre-commit", ["install"], repo, env, 60_000);
    expect(installed.code, installed.out).toBe(0);

    // 1. A bad file: the commit is refused, the error names file:line:col.
    await mkdir(join(repo, "regions/eu"), { recursive: true });
    await writeFile(join(repo, "regions/eu/dispatch-rules.yaml"), UNKNOWN_KEY);
    await writeFile(join(repo, "notes.yaml"), "not: [rules\n"); // not the hook's business
    git(repo, env, "add", "--all");
    const bad = await run("git", ["commit", "-m", "bad rules"], repo, env, 280_000);
    expect(bad.out).toContain("Installing environment for");
    expect(bad.out).not.toMatch(/An unexpected error has occurred|ENOENT/);
    expect(bad.code, bad.out).toBe(1);
    expect(bad.out).toMatch(/validate SIP dispatch rules\.+Failed/);
    expect(bad.out).toContain("regions/eu/dispatch-rules.yaml:5:7: error: unknown key `roomPrefx` (at rules[0].individual.roomPrefx)");
    expect(bad.out).toContain("hint: did you mean `roomPrefix`?");
    expect(bad.out).not.toContain("notes.yaml");
    expect(() => git(repo, env, "rev-parse", "--verify", "--quiet", "HEAD")).toThrow();

    // The environment pre-commit built: one clone of the hook repository, a node_env with our bin.
    const repos = readdirSync(preCommitHome).filter((d) => d.startsWith("repo"));
    expect(repos).toHaveLength(1);
    const envDir = join(preCommitHome, repos[0] as string, "node_env-system");
    const bin = join(envDir, "bin", "sip-dispatch-sync");
    expect(existsSync(bin), `${bin} installed`).toBe(true);
    const stateFile = join(envDir, ".install_state_v1");
    const stateBefore = statSync(stateFile);
    const sentinel = join(envDir, "sentinel-from-the-test");
    writeFileSync(sentinel, "a rebuilt environment would not have this file\n");

    // 2. The file fixed: the commit passes, and the environment is reused, not installed again.
    await writeFile(join(repo, "regions/eu/dispatch-rules.yaml"), GOOD);
    git(repo, env, "add", "--all");
    const good = await run("git", ["commit", "-m", "good rules"], repo, env, 120_000);
    expect(good.code, good.out).toBe(0);
    expect(good.out).toMatch(/validate SIP dispatch rules\.+Passed/);
    expect(good.out).not.toContain("Installing environment");
    expect(good.out).not.toContain("Initializing environment");
    expect(git(repo, env, "log", "--format=%s").trim()).toBe("good rules");
    expect(readdirSync(preCommitHome).filter((d) => d.startsWith("repo"))).toEqual(repos);
    const stateAfter = statSync(stateFile);
    expect([stateAfter.ino, stateAfter.mtimeMs]).toEqual([stateBefore.ino, stateBefore.mtimeMs]);
    expect(existsSync(sentinel), "the environment is the same folder, not a rebuilt one").toBe(true);

    // 3. A commit without a rules file skips the hook.
    await writeFile(join(repo, "notes.yaml"), "still: [not rules\n");
    git(repo, env, "add", "--all");
    const other = await run("git", ["commit", "-m", "notes"], repo, env, 120_000);
    expect(other.code, other.out).toBe(0);
    expect(other.out).toMatch(/validate SIP dispatch rules\.+\(no files to check\)Skipped/);
  });
});

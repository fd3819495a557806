// Test support (I/O: git, a temp folder). A git clone of this repository whose HEAD commit holds
// exactly the working tree under test: `git clone`, then the tracked and untracked (not ignored)
// files of the working tree copied over it and committed when they differ. On a clean checkout
// (CI) the commit is the checkout's HEAD itself. Install-path and pre-commit tests install from
// this clone as a user installs from the repository, so they test this tree, uncommitted edits
// included, never an older commit.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Environment for git: no GIT_* of a surrounding hook or worktree, no system config, a fixed identity. */
export function gitEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("GIT_")) env[k] = v;
  return {
    ...env,
    GIT_CONFIG_NOSYSTEM: "1",
    HOME: home,
    GIT_AUTHOR_NAME: "Install Test",
    GIT_AUTHOR_EMAIL: "install-test@example.com",
    GIT_COMMITTER_NAME: "Install Test",
    GIT_COMMITTER_EMAIL: "install-test@example.com",
    ...extra,
  };
}

export function git(cwd: string, env: NodeJS.ProcessEnv, ...args: string[]): string {
  return execFileSync("git", args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

export interface SourceClone {
  /** The clone's folder (a plain git repository with a work tree). */
  readonly dir: string;
  /** Full SHA of the commit that holds the working tree under test. */
  readonly sha: string;
}

/** Clones this repository into `dest` (which must not exist) and commits the working tree over it. */
export function cloneWorkingTree(dest: string, home: string): SourceClone {
  const env = gitEnv(home);
  mkdirSync(dirname(dest), { recursive: true });
  git(dirname(dest), env, "clone", "--quiet", "--no-hardlinks", REPO_ROOT, dest);
  const list = (...args: string[]): string[] =>
    git(REPO_ROOT, env, "ls-files", "-z", ...args)
      .split("\0")
      .filter((p) => p !== "");
  // Deleted in the working tree: gone from the clone too.
  for (const path of list("--deleted")) rmSync(join(dest, path), { force: true });
  for (const path of list("--cached", "--others", "--exclude-standard")) {
    const from = join(REPO_ROOT, path);
    if (!existsSync(from)) continue;
    mkdirSync(dirname(join(dest, path)), { recursive: true });
    cpSync(from, join(dest, path), { preserveTimestamps: true });
  }
  git(dest, env, "add", "--all");
  if (git(dest, env, "status", "--porcelain").trim() !== "") {
    git(dest, env, "-c", "commit.gpgsign=false", "commit", "--quiet", "--no-verify", "-m", "working tree under test");
  }
  return { dir: dest, sha: git(dest, env, "rev-parse", "HEAD").trim() };
}

// End-to-end (I/O: temp folders, git, npm with the user's cache and --prefer-offline, child
// processes, the CLI's emulator on 127.0.0.1:0): every way the README says to install
// sip-dispatch-sync, run as a user runs it, from a clone of this repository holding the working
// tree under test (test/support/source-clone.ts):
// 1. from a clone: npm ci (which builds through `prepare`), then the built bin;
// 2. from `npm pack`'s tarball into an empty global prefix: `sip-dispatch-sync` on PATH;
// 3. from a git URL into a project (npm clones, installs the devDependencies and runs `prepare`
//    in its copy): node_modules/.bin/sip-dispatch-sync;
// and the `$schema` link `export` writes resolves, in such a project, to the installed schema,
// whose `$id` carries the package's version.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { startCliEmulator } from "../support/cli-emulator.js";
import { cloneWorkingTree, REPO_ROOT, type SourceClone } from "../support/source-clone.js";

const PKG = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { name: string; version: string };
const GOOD = "version: 1\nrules:\n  - name: support\n    individual:\n      roomPrefix: support-\n    trunkIds: [ST_support]\n";
const UNKNOWN_KEY = "version: 1\nrules:\n  - name: a\n    individual:\n      roomPrefx: call-\n";

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let work: string;
let clone: SourceClone;
let env: NodeJS.ProcessEnv;

function run(cmd: string, args: readonly string[], cwd: string, timeoutMs = 240_000, extra: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...env, ...extra }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** A rules folder with a good and a bad file: the installed command must pass one and fail the other at file:line:col. */
async function checkValidate(bin: readonly string[], label: string): Promise<void> {
  const dir = await mkdtemp(join(work, "rules-"));
  await writeFile(join(dir, "dispatch-rules.yaml"), GOOD);
  await writeFile(join(dir, "dispatch-rules-bad.yaml"), UNKNOWN_KEY);
  const [cmd, ...pre] = bin as [string, ...string[]];
  const version = await run(cmd, [...pre, "--version"], dir);
  expect(version.stdout, `${label}: --version; ${version.stderr}`).toBe(`${PKG.version}\n`);
  const good = await run(cmd, [...pre, "validate", "dispatch-rules.yaml"], dir);
  expect([good.code, good.stdout], `${label}: ${good.stderr}`).toEqual([0, "dispatch-rules.yaml: 1 rule, valid\n"]);
  const bad = await run(cmd, [...pre, "validate", "dispatch-rules-bad.yaml"], dir);
  expect(bad.code, label).toBe(1);
  expect(bad.stdout).toContain("dispatch-rules-bad.yaml:5:7: error: unknown key `roomPrefx`");
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "sds-install-"));
  clone = cloneWorkingTree(join(work, "sip-dispatch-sync"), work);
  const clean: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(LIVEKIT_|DISPATCH_|GITHUB_|SIP_DISPATCH_SYNC|NO_COLOR|npm_)/.test(k)) clean[k] = v;
  // The user's npm cache, warm after `npm ci`, preferred over the network.
  env = {
    ...clean,
    PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`,
    npm_config_cache: process.env.npm_config_cache ?? join(process.env.HOME ?? work, ".npm"),
    npm_config_prefer_offline: "true",
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
  };
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("install paths the README names", () => {
  let tarball: string;

  it("from a clone: npm ci builds dist/ (prepare), and the bin runs", { timeout: 300_000 }, async () => {
    const ci = await run("npm", ["ci"], clone.dir);
    expect(ci.code, ci.stderr).toBe(0);
    // As the README says: npx inside the clone runs the package's own bin (--no-install: never the registry).
    await checkValidate(["npx", "--prefix", clone.dir, "--no-install", PKG.name], "clone");
  });

  it("from npm pack's tarball into an empty prefix: `sip-dispatch-sync` on PATH", { timeout: 300_000 }, async () => {
    const packs = await mkdtemp(join(work, "packs-"));
    const pack = await run("npm", ["pack", "--pack-destination", packs], clone.dir);
    expect(pack.code, pack.stderr).toBe(0);
    // Only the tarball's name on stdout (pre-commit reads it): .npmrc keeps prepare in the background.
    expect(pack.stdout).toBe(`${PKG.name}-${PKG.version}.tgz\n`);
    tarball = join(packs, (await readdir(packs))[0] as string);
    const prefix = join(work, "prefix");
    await mkdir(prefix);
    const install = await run("npm", ["install", "--global", "--prefix", prefix, tarball], work);
    expect(install.code, install.stderr).toBe(0);
    const bin = join(prefix, "bin", PKG.name);
    expect(existsSync(bin), "the bin is linked into PREFIX/bin").toBe(true);
    const onPath = await run(PKG.name, ["--version"], work, 30_000, { PATH: `${join(prefix, "bin")}${delimiter}${env.PATH ?? ""}` });
    expect(onPath.stdout).toBe(`${PKG.version}\n`);
    await checkValidate([bin], "tarball");
  });

  it("from a git URL into a project (npm runs prepare in its clone); `export`'s $schema resolves to the installed, versioned schema", { timeout: 300_000 }, async () => {
    const project = join(work, "config-repo");
    await mkdir(project);
    await writeFile(join(project, "package.json"), JSON.stringify({ name: "config-repo", private: true }));
    const spec = `git+file://${clone.dir}#${clone.sha}`;
    const install = await run("npm", ["install", "--save-dev", spec], project);
    expect(install.code, install.stderr).toBe(0);
    const saved = JSON.parse(readFileSync(join(project, "package.json"), "utf8")) as { devDependencies: Record<string, string> };
    expect(saved.devDependencies[PKG.name]).toBe(spec);
    const bin = join(project, "node_modules/.bin", PKG.name);
    await checkValidate([bin], "git");

    // export writes a $schema link; in this project it resolves to the installed package's schema.
    const key = "install-key";
    const secret = "install-secret-0123456789abcdef";
    const server = await startCliEmulator(["--listen", "127.0.0.1:0"], { LIVEKIT_API_KEY: key, LIVEKIT_API_SECRET: secret });
    const serverEnv = { LIVEKIT_URL: server.url, LIVEKIT_API_KEY: key, LIVEKIT_API_SECRET: secret };
    await writeFile(join(project, "dispatch-rules.yaml"), GOOD);
    const applied = await run(bin, ["apply", "--auto-approve"], project, 30_000, serverEnv);
    expect(applied.code, applied.stderr).toBe(0);
    const exported = await run(bin, ["export"], project, 30_000, serverEnv);
    expect(exported.code, exported.stderr).toBe(0);
    await server.stop();
    const link = /^# yaml-language-server: \$schema=(\S+)$/m.exec(exported.stdout)?.[1];
    expect(link).toBe("./node_modules/sip-dispatch-sync/schemas/dispatch-rules.schema.json");
    await writeFile(join(project, "dispatch-rules.yaml"), exported.stdout);
    const schemaFile = resolve(project, link as string);
    expect(existsSync(schemaFile), `${schemaFile} exists`).toBe(true);
    const schema = JSON.parse(readFileSync(schemaFile, "utf8")) as { $id: string };
    expect(schema.$id).toContain(`/v${PKG.version}/`);
    expect(schema).toEqual(JSON.parse(readFileSync(join(REPO_ROOT, "schemas/dispatch-rules.schema.json"), "utf8")));
    // The exported file is valid against the schema it links to.
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    expect(validate(parse(exported.stdout)), JSON.stringify(validate.errors)).toBe(true);
  });
});

describe("schemas", () => {
  it("carry the package version in their $id", () => {
    for (const name of ["dispatch-rules.schema.json", "plan.schema.json"]) {
      const schema = JSON.parse(readFileSync(join(REPO_ROOT, "schemas", name), "utf8")) as { $id: string };
      expect(schema.$id, name).toBe(`https://github.com/sip-dispatch-sync/sip-dispatch-sync/raw/v${PKG.version}/schemas/${name}`);
    }
  });

  it("are in the package (npm pack --dry-run lists them)", () => {
    const listed = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: REPO_ROOT, encoding: "utf8", env: { ...process.env, npm_config_loglevel: "silent" } })) as { files: { path: string }[] }[];
    const files = listed[0]?.files.map((f) => f.path) ?? [];
    expect(files).toEqual(expect.arrayContaining(["schemas/dispatch-rules.schema.json", "schemas/plan.schema.json", "dist/src/bin.cjs"]));
  });
});

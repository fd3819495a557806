// End-to-end (I/O: temp folders, child processes, the CLI's emulator and a fake GitHub API on
// 127.0.0.1:0): the reusable GitHub Action (action.yml + scripts/action/run.mjs) and the example
// workflow (config/github-actions/dispatch-rules.yml), which is a few `uses:` steps of it.
// - action.yml and the workflow validate against the published schemas (@action-validator/cli,
//   offline), and a broken copy of each does not.
// - The workflow's jobs run as the runner runs them (test/support/actions-runner.ts): the action
//   is a clone of this repository holding the working tree, built by the action's own first step
//   (npm ci, which runs the build), then its script runs the CLI with a fake GITHUB_*
//   environment. Pull request comments go to a fake comments API: one comment, created on the
//   first push, updated in place on the next ones, never a second one.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { commandArgs, commentBody, commentMarker, MAX_COMMENT, readInputs, upsertComment, type ActionInputs } from "../../scripts/action/run.mjs";
import { newRunnerJob, runAction, runWorkflowJob, type ActionDef, type JobRun, type Workflow } from "../support/actions-runner.js";
import { startCliEmulator } from "../support/cli-emulator.js";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github.js";
import { runCli } from "../support/run-cli.js";
import { cloneWorkingTree, REPO_ROOT, type SourceClone } from "../support/source-clone.js";

const ACTION_YML = join(REPO_ROOT, "action.yml");
const WORKFLOW_YML = join(REPO_ROOT, "config/github-actions/dispatch-rules.yml");
const VALIDATOR = join(REPO_ROOT, "node_modules/.bin/action-validator");
const action = parse(readFileSync(ACTION_YML, "utf8")) as ActionDef & { name: string; description: string };
const workflow = parse(readFileSync(WORKFLOW_YML, "utf8")) as Workflow;
const REPO = "acme/dispatch-config";
const PR = 42;
const TOKEN = "ghs_write_token_0123";
const READ_ONLY_TOKEN = "ghs_fork_read_only_4567";

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "sds-action-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// The files themselves

/** `unshare -n` (a network namespace with no interface but a down loopback) where this user may create one, as root in CI. */
const OFFLINE = spawnSync("unshare", ["-n", "true"]).status === 0 ? ["unshare", "-n"] : [];

function validateWithSchema(file: string): { code: number | null; out: string } {
  // The validator bundles the published schemas (WASM): with OFFLINE it runs with no network at all.
  const argv = [...OFFLINE, VALIDATOR, file];
  const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: "utf8" });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("action.yml and the example workflow", () => {
  it("validate against the published schemas (action-validator), and a broken copy of each does not", async () => {
    for (const file of [ACTION_YML, WORKFLOW_YML]) {
      const r = validateWithSchema(file);
      expect(r.code, `${file}: ${r.out}`).toBe(0);
    }
    const dir = await mkdtemp(join(work, "broken-"));
    // The validator tells an action from a workflow by the file name.
    const brokenAction = join(dir, "action.yml");
    await writeFile(brokenAction, stringify({ ...action, runs: { ...action.runs, using: "docker-compose" } }));
    expect(validateWithSchema(brokenAction).code).toBe(1);
    const brokenWorkflow = join(dir, "dispatch-rules.yml");
    const plan = workflow.jobs.plan as Workflow["jobs"][string];
    await writeFile(brokenWorkflow, stringify({ ...workflow, jobs: { ...workflow.jobs, plan: { ...plan, "runs-on": undefined, steps: [{ uses: "actions/checkout@v4", bogus: 1 }] } } }));
    expect(validateWithSchema(brokenWorkflow).code).toBe(1);
  });

  it("is a composite action (no Docker) with the inputs command, file, environment, format, comment", () => {
    expect(action.runs.using).toBe("composite");
    expect(JSON.stringify(action)).not.toMatch(/docker/i);
    expect(Object.keys(action.inputs)).toEqual(expect.arrayContaining(["command", "file", "environment", "format", "comment", "state", "github-token"]));
    expect(action.inputs.command?.default).toBe("plan");
    expect(action.inputs.environment?.default).toBe("");
    // Builds from its own checkout: no registry install of sip-dispatch-sync.
    const script = action.runs.steps.map((s) => s.run ?? "").join("\n");
    expect(script).toContain('cd "$GITHUB_ACTION_PATH"');
    expect(script).toContain("npm ci");
    expect(script).not.toMatch(/npm (install|i) .*sip-dispatch-sync|npx sip-dispatch-sync/);
    // Inputs reach the script through env, never spliced into it.
    for (const s of action.runs.steps) expect(s.run ?? "").not.toMatch(/\$\{\{/);
  });

  it("the workflow is `uses:` steps: plan on pull requests, apply on push to main, one apply at a time, never forced", () => {
    expect(Object.keys(workflow.on).sort()).toEqual(["pull_request", "push"]);
    expect(workflow.on.push).toMatchObject({ branches: ["main"] });
    expect(workflow.jobs.plan?.if).toBe("github.event_name == 'pull_request'");
    expect(workflow.jobs.apply?.if).toBe("github.event_name == 'push'");
    expect(workflow.jobs.apply?.concurrency).toEqual({ group: "dispatch-rules-apply", "cancel-in-progress": false });
    expect(workflow.jobs.plan?.permissions).toMatchObject({ "pull-requests": "write" });
    for (const job of Object.values(workflow.jobs)) {
      expect(job.steps.every((s) => s.uses !== undefined && s.run === undefined)).toBe(true);
      expect(job.steps.length).toBeLessThanOrEqual(3);
    }
    expect(JSON.stringify(workflow)).not.toMatch(/--force|npm install|npx /);
    // The same ref in both jobs, a full commit SHA (or a vX.Y.Z tag once releases exist).
    const refs = Object.values(workflow.jobs).flatMap((j) => j.steps.map((s) => s.uses ?? "").filter((u) => u.includes("/sip-dispatch-sync@")));
    expect(refs).toHaveLength(2);
    expect(new Set(refs).size).toBe(1);
    expect(refs[0]).toMatch(/@([0-9a-f]{40}|v\d+\.\d+\.\d+)$/);
  });

  it("pins a commit of this repository that has the action (the docs' ref works)", () => {
    const ref = /@([0-9a-f]{40})$/.exec(workflow.jobs.plan?.steps.find((s) => s.uses?.includes("/sip-dispatch-sync@"))?.uses ?? "")?.[1];
    expect(ref, "a full commit SHA until releases are tagged").toBeDefined();
    const show = (path: string) => spawnSync("git", ["show", `${ref}:${path}`], { cwd: REPO_ROOT, encoding: "utf8" });
    const pinned = show("action.yml");
    expect(pinned.status, `git show ${ref}:action.yml: ${pinned.stderr}`).toBe(0);
    expect((parse(pinned.stdout) as ActionDef).runs.using).toBe("composite");
    expect(show("scripts/action/run.mjs").status).toBe(0);
    // In HEAD's history: the ref is on the line of commits that reaches this checkout.
    expect(spawnSync("git", ["merge-base", "--is-ancestor", ref as string, "HEAD"], { cwd: REPO_ROOT }).status).toBe(0);
  });

  it("the README shows the plan job's steps exactly as the workflow (run below) has them", () => {
    const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
    const blocks = [...readme.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? "");
    const shown = blocks.filter((b) => b.includes("/sip-dispatch-sync@") && b.startsWith("steps:"));
    expect(shown).toHaveLength(1);
    expect(parse(shown[0] as string)).toEqual({ steps: workflow.jobs.plan?.steps });
  });
});

// ---------------------------------------------------------------------------------------------
// scripts/action/run.mjs, its parts

const INPUTS: ActionInputs = { command: "plan", file: "dispatch-rules.yaml", environment: "", format: "github", comment: true, state: "", rehearse: true, token: "t" };

describe("scripts/action/run.mjs", () => {
  it("passes the environment input as --env when it is not empty, and never --force", () => {
    expect(commandArgs({ ...INPUTS, environment: "staging" }, { out: "/t/plan.json" })).toEqual(["plan", "--config", "dispatch-rules.yaml", "--format", "github", "--detailed-exitcode", "--out", "/t/plan.json", "--env", "staging"]);
    expect(commandArgs(INPUTS)).not.toContain("--env");
    expect(commandArgs({ ...INPUTS, command: "validate", environment: "prod" })).toEqual(["validate", "--format", "github", "--env", "prod", "dispatch-rules.yaml"]);
    expect(commandArgs({ ...INPUTS, command: "apply", environment: "prod" }, { out: "/t/a.json" })).toEqual(["apply", "--config", "dispatch-rules.yaml", "--auto-approve", "--out", "/t/a.json", "--env", "prod"]);
    expect(commandArgs({ ...INPUTS, command: "plan" }, { against: "dispatch-state.json" })).toContain("--against");
  });

  it("checks its inputs", () => {
    expect(readInputs({})).toMatchObject({ command: "plan", file: "dispatch-rules.yaml", format: "github", comment: true, environment: "" });
    expect(() => readInputs({ INPUT_COMMAND: "destroy" })).toThrow(/input command: "destroy" is not one of validate, plan, apply/);
    expect(() => readInputs({ INPUT_FORMAT: "json" })).toThrow(/input format/);
    expect(() => readInputs({ INPUT_COMMENT: "yes" })).toThrow(/input comment: "yes" is not true or false/);
    expect(readInputs({ INPUT_COMMENT: "False" }).comment).toBe(false);
  });

  it("marks one comment per file and environment", () => {
    const a = commentMarker({ file: "dispatch-rules.yaml", environment: "" });
    expect(a).toMatch(/^<!-- sip-dispatch-sync plan: .* -->$/);
    expect(new Set([a, commentMarker({ file: "dispatch-rules.yaml", environment: "prod" }), commentMarker({ file: "eu/dispatch-rules.yaml", environment: "" })]).size).toBe(3);
    // A crafted name cannot close the HTML comment early.
    expect(commentMarker({ file: "x-->y.yaml", environment: "" })).not.toContain("x-->");
  });

  it("cuts a plan longer than a comment can hold, pointing at the job summary", () => {
    const long = "x".repeat(MAX_COMMENT + 5000);
    const body = commentBody(long, "https://github.com/acme/r/actions/runs/1");
    expect(body.length).toBeLessThanOrEqual(MAX_COMMENT);
    expect(body).toContain("job summary](https://github.com/acme/r/actions/runs/1)");
    expect(commentBody("short", "u")).toBe("short");
  });

  it("finds its comment past the first page, updates it in place, and creates one only when there is none", async () => {
    const api = await startFakeGitHub();
    try {
      api.tokens.write.add(TOKEN);
      for (let i = 0; i < 100; i++) api.addComment(REPO, PR, `review comment ${i}`, "alice");
      api.addComment(REPO, PR, "what does sip-dispatch-sync plan say?", "bob"); // no marker: not ours
      const marker = commentMarker({ file: "dispatch-rules.yaml", environment: "" });
      const base = { apiUrl: api.url, repository: REPO, issue: PR, token: TOKEN, marker };
      const first = await upsertComment({ ...base, body: "plan 1" });
      expect(first.action).toBe("created");
      const second = await upsertComment({ ...base, body: "plan 2" });
      expect(second).toMatchObject({ action: "updated", id: first.id });
      const third = await upsertComment({ ...base, body: "plan 2" });
      expect(third).toMatchObject({ action: "unchanged", id: first.id });
      const ours = api.comments(REPO, PR).filter((c) => c.body.includes(marker));
      expect(ours.map((c) => c.body)).toEqual([`${marker}\nplan 2`]);
      expect(api.comments(REPO, PR)).toHaveLength(102);
      // Page 2 was read to find it; one POST in all.
      expect(api.requests.filter((r) => r.method === "GET").map((r) => r.path)).toContain(`/repos/${REPO}/issues/${PR}/comments?per_page=100&page=2`);
      expect(api.requests.filter((r) => r.method === "POST")).toHaveLength(1);
      expect(api.requests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
      // A read-only token (a fork's pull request): the API's 403 is an error the step turns into a warning.
      api.tokens.read.add(READ_ONLY_TOKEN);
      await expect(upsertComment({ ...base, token: READ_ONLY_TOKEN, body: "plan 3" })).rejects.toMatchObject({ status: 403 });
    } finally {
      await api.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The example workflow's jobs, run with the action

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
const UNKNOWN_KEY = "version: 1\nrules:\n  - name: a\n    individual:\n      roomPrefx: call-\n";

/** A "production" server (the CLI's emulator) holding SERVER_RULES, and its `export --format json`. */
async function productionServer(name: string) {
  const dir = await mkdtemp(join(work, `${name}-`));
  const state = join(dir, "server-state.json");
  await writeFile(state, JSON.stringify({ formatVersion: 1, items: [] }));
  const server = await startCliEmulator(["--listen", "127.0.0.1:0", "--state", state], { LIVEKIT_API_KEY: SERVER_KEY, LIVEKIT_API_SECRET: SERVER_SECRET });
  const env = { LIVEKIT_URL: server.url, LIVEKIT_API_KEY: SERVER_KEY, LIVEKIT_API_SECRET: SERVER_SECRET, VAULT_PIN: PIN };
  const rules = join(dir, "server-rules.yaml");
  await writeFile(rules, SERVER_RULES);
  const applied = await runCli(["apply", "-c", rules, "--auto-approve"], { env });
  expect(applied.code, applied.stderr).toBe(0);
  const exported = await runCli(["export", "--format", "json", "--include-pins"], { env });
  expect(exported.code, exported.stderr).toBe(0);
  return { url: server.url, state, exported: exported.stdout, stop: server.stop, env };
}

async function configRepo(name: string, files: Record<string, string>): Promise<string> {
  const repo = await mkdtemp(join(work, `${name}-`));
  for (const [path, content] of Object.entries(files)) await writeFile(join(repo, path), content);
  return repo;
}

function annotations(log: string): string[] {
  return log.split("\n").filter((l) => /^::(error|warning|notice)/.test(l));
}

/** What the workflow's comment asks of its user: one `NAME: ${{ secrets.NAME }}` line per ${VAR}. */
function withPinSecret(w: Workflow, job: string): Workflow {
  const j = w.jobs[job] as Workflow["jobs"][string];
  return { ...w, jobs: { ...w.jobs, [job]: { ...j, env: { ...j.env, VAULT_PIN: "${{ secrets.VAULT_PIN }}" } } } };
}

describe("the example workflow, run with the action", () => {
  let actionClone: SourceClone;
  let api: FakeGitHub;
  beforeAll(async () => {
    actionClone = cloneWorkingTree(join(work, "action"), work);
    api = await startFakeGitHub();
    api.tokens.write.add(TOKEN);
    api.tokens.read.add(READ_ONLY_TOKEN);
  });
  afterAll(async () => {
    await api?.close();
  });

  const job = (workspace: string, eventName: "pull_request" | "push", token = TOKEN) =>
    newRunnerJob({
      workspace,
      eventName,
      prNumber: PR,
      apiUrl: api.url,
      token,
      repository: REPO,
      // The user's npm cache, warm after `npm ci`: the action's own `npm ci` needs no network.
      env: { npm_config_prefer_offline: "true", npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" },
    });
  const ours = () => api.comments(REPO, PR).filter((c) => c.body.includes(commentMarker({ file: "dispatch-rules.yaml", environment: "" })));

  it(
    "pull request without credentials: builds the action, plans against the snapshot, rehearses, comments once; later pushes update that comment",
    { timeout: 300_000 },
    async () => {
      const prod = await productionServer("wf-pr");
      await prod.stop();
      api.addComment(REPO, PR, "LGTM once the plan is green", "alice");
      const repo = await configRepo("wf-pr-repo", { "dispatch-rules.yaml": PR_RULES, "dispatch-state.json": prod.exported });
      const w = withPinSecret(workflow, "plan");

      // Push 1: the action is built from its checkout (npm ci runs the build), then plans.
      const first: JobRun = await runWorkflowJob(w, "plan", await job(repo, "pull_request"), actionClone.dir, { secrets: { VAULT_PIN: PIN }, vars: {} });
      expect(first.steps.map((s) => [s.key, s.status])).toEqual([
        ["actions/checkout@v4", "setup"],
        ["actions/setup-node@v4", "setup"],
        [expect.stringMatching(/\/sip-dispatch-sync@/), "success"],
      ]);
      const run = first.actionRuns[0];
      expect(run?.steps.map((s) => [s.key, s.status])).toEqual([
        ["Build sip-dispatch-sync from the action's checkout", "success"],
        ["run", "success"],
      ]);
      const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
      expect(run?.steps[0]?.stdout.trim().split("\n").at(-1)).toBe(pkg.version);
      expect(run?.outputs).toMatchObject({ exitcode: "2", changes: "true", "comment-url": expect.stringContaining("#issuecomment-") });
      const log = run?.log ?? "";
      expect(log).toContain("planning against the snapshot dispatch-state.json");
      expect(annotations(log)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^::warning file=dispatch-rules\.yaml,line=1,title=delete "legacy"::delete rule "legacy" \(SDR_\w+\): not in the file$/),
          expect.stringMatching(/^::notice file=dispatch-rules\.yaml,line=\d+,col=5,title=create "sales"::/),
          expect.stringMatching(/^::notice file=dispatch-rules\.yaml,line=\d+,col=5,title=update "support"::.*individual\.roomPrefix: "help-" -> "support-"/),
        ]),
      );
      expect(log).toContain("Rehearsing the apply on an emulator seeded from dispatch-state.json");
      // The Markdown plan names the snapshot it planned against, never the rehearsal's port.
      expect(first.summary).toContain("against <code>file:dispatch-state.json</code>");
      expect(first.summary).toContain("| 1 | 1 | 1 | 2 | 0 |");
      expect(first.summary).toContain("Rehearsed on an emulator seeded from <code>dispatch-state.json</code>: the plan applied cleanly and a second plan found no changes.");
      expect(first.summary).not.toMatch(/127\.0\.0\.1|localhost|http:\/\//);
      expect(await readFile(join(repo, "dispatch-state.json"), "utf8"), "the snapshot in the checkout is untouched").toBe(prod.exported);
      // One comment: the marker, then the same Markdown as the summary; pins masked everywhere.
      expect(ours()).toHaveLength(1);
      expect(ours()[0]?.body).toBe(`${commentMarker({ file: "dispatch-rules.yaml", environment: "" })}\n${first.summary.trimEnd()}\n`);
      expect(`${log}${first.summary}${JSON.stringify(api.comments(REPO, PR))}`).not.toContain(PIN);
      const id = ours()[0]?.id;

      // Push 2: another change; the same comment is edited, no new one.
      await writeFile(join(repo, "dispatch-rules.yaml"), PR_RULES.replace("roomPrefix: sales-", "roomPrefix: sales-eu-"));
      const second = await runWorkflowJob(w, "plan", await job(repo, "pull_request"), actionClone.dir, { secrets: { VAULT_PIN: PIN }, vars: {} });
      expect(second.failed).toBe(false);
      // Built once per job: a later step of the same action reuses the build (the first push built it).
      expect(run?.steps[0]?.stdout).not.toContain("already built");
      expect(second.actionRuns[0]?.steps[0]?.stdout).toContain("sip-dispatch-sync: already built");
      expect(ours().map((c) => c.id)).toEqual([id]);
      expect(ours()[0]?.body).toContain("sales-eu-");

      // Push 3: an invalid file; annotations at file:line:col, the job fails, the comment says so.
      await writeFile(join(repo, "dispatch-rules.yaml"), UNKNOWN_KEY);
      const third = await runWorkflowJob(w, "plan", await job(repo, "pull_request"), actionClone.dir, { secrets: { VAULT_PIN: PIN }, vars: {} });
      expect(third.failed).toBe(true);
      expect(third.actionRuns[0]?.outputs.exitcode).toBe("1");
      expect(annotations(third.actionRuns[0]?.log ?? "")).toContain("::error file=dispatch-rules.yaml,line=5,col=7::unknown key `roomPrefx` (at rules[0].individual.roomPrefx)%0Ahint: did you mean `roomPrefix`?");
      expect(ours().map((c) => c.id)).toEqual([id]);
      expect(ours()[0]?.body).toContain("No plan for <code>dispatch-rules.yaml</code>: the file is not valid");

      // Push 4: a plan refused by a safety limit (every rule deleted): exit 3, the comment shows the refusal.
      await writeFile(join(repo, "dispatch-rules.yaml"), "version: 1\nrules: []\n");
      const fourth = await runWorkflowJob(w, "plan", await job(repo, "pull_request"), actionClone.dir, { secrets: { VAULT_PIN: PIN }, vars: {} });
      expect(fourth.failed).toBe(true);
      expect(fourth.actionRuns[0]?.outputs.exitcode).toBe("3");
      expect(fourth.actionRuns[0]?.log).toContain("::error title=sip-dispatch-sync plan::the plan is refused by a safety limit");
      expect(fourth.actionRuns[0]?.log).not.toContain("Rehearsing");
      expect(ours().map((c) => c.id)).toEqual([id]);
      expect(ours()[0]?.body).toMatch(/Plan refused/);

      // Comments of others are untouched; ours was created once, then only edited.
      expect(api.comments(REPO, PR).filter((c) => c.user.login === "alice").map((c) => c.body)).toEqual(["LGTM once the plan is green"]);
      expect(api.requests.filter((r) => r.method === "POST")).toHaveLength(1);
      expect(api.requests.filter((r) => r.method === "PATCH").length).toBe(3);
    },
  );

  it("pull request with credentials: plans against the real server without writing to it; a fork's read-only token only warns", { timeout: 120_000 }, async () => {
    const prod = await productionServer("wf-live");
    const before = await readFile(prod.state, "utf8");
    const repo = await configRepo("wf-live-repo", { "dispatch-rules.yaml": PR_RULES });
    const w = withPinSecret(workflow, "plan");
    const posts = api.requests.filter((r) => r.method !== "GET").length;
    const r = await runWorkflowJob(w, "plan", await job(repo, "pull_request", READ_ONLY_TOKEN), actionClone.dir, {
      secrets: { LIVEKIT_API_KEY: SERVER_KEY, LIVEKIT_API_SECRET: SERVER_SECRET, VAULT_PIN: PIN },
      vars: { LIVEKIT_URL: prod.url },
    });
    expect(r.failed, r.steps.map((s) => s.stdout + s.stderr).join("\n")).toBe(false);
    const log = r.actionRuns[0]?.log ?? "";
    expect(log).not.toContain("snapshot");
    expect(log).not.toContain("Rehearsing");
    expect(r.actionRuns[0]?.outputs).toMatchObject({ exitcode: "2", changes: "true" });
    expect(annotations(log).filter((l) => l.startsWith("::notice") || l.startsWith("::warning file="))).toHaveLength(3);
    expect(log).toMatch(/^::warning title=sip-dispatch-sync plan::could not comment on the pull request: .*HTTP 403.*read-only token/m);
    expect(r.summary).toContain(`against <code>${prod.url}</code>`);
    expect(api.requests.filter((x) => x.method !== "GET").length - posts, "nothing written with the read-only token").toBe(1); // the refused POST
    expect(await readFile(prod.state, "utf8"), "the real server is only read").toBe(before);
    expect(`${log}${r.summary}`).not.toContain(SERVER_SECRET);
    expect(await prod.stop()).toBe(0);
  });

  it("push to main: applies with the safety limits, after which a plan shows no changes; over the limit it is refused (exit 3)", { timeout: 120_000 }, async () => {
    const prod = await productionServer("wf-push");
    const repo = await configRepo("wf-push-repo", { "dispatch-rules.yaml": PR_RULES });
    const w = withPinSecret(workflow, "apply");
    const contexts = { secrets: { LIVEKIT_API_KEY: SERVER_KEY, LIVEKIT_API_SECRET: SERVER_SECRET, VAULT_PIN: PIN }, vars: { LIVEKIT_URL: prod.url } };
    const requests = api.requests.length;
    const r = await runWorkflowJob(w, "apply", await job(repo, "push"), actionClone.dir, contexts);
    expect(r.failed, r.steps.map((s) => s.stdout + s.stderr).join("\n")).toBe(false);
    expect(r.actionRuns[0]?.log).toContain("Apply complete: 3 operation(s) succeeded.");
    expect(r.actionRuns[0]?.outputs.exitcode).toBe("0");
    expect(JSON.parse(await readFile(r.actionRuns[0]?.outputs["plan-json"] ?? "", "utf8"))).toMatchObject({ formatVersion: 1, safe: true, summary: { create: 1, update: 1, delete: 1 } });
    expect(r.summary).toContain("| 1 | 1 | 1 | 2 | 0 |");
    expect(api.requests.length, "no comment outside a pull request").toBe(requests);
    const after = await runCli(["plan", "-c", join(repo, "dispatch-rules.yaml"), "--detailed-exitcode"], { env: prod.env });
    expect(after.code, after.stdout + after.stderr).toBe(0);
    expect(`${r.actionRuns[0]?.log}${r.summary}`).not.toContain(PIN);

    // Three deletes against limits.maxDeletes 2: refused, the server unchanged.
    const before = await readFile(prod.state, "utf8");
    await writeFile(join(repo, "dispatch-rules.yaml"), "version: 1\nlimits:\n  maxDeletes: 2\nrules:\n  - name: front-desk\n    direct:\n      roomName: front-desk\n    trunkIds: [ST_main]\n");
    const refused = await runWorkflowJob(w, "apply", await job(repo, "push"), actionClone.dir, contexts);
    expect(refused.failed).toBe(true);
    expect(refused.actionRuns[0]?.outputs.exitcode).toBe("3");
    expect(refused.actionRuns[0]?.log).toContain("::error title=sip-dispatch-sync apply::the plan is refused by a safety limit");
    expect(await readFile(prod.state, "utf8")).toBe(before);
    expect(await prod.stop()).toBe(0);
  });

  it("validate: annotations at file:line:col and a one-line summary; an unknown input value is an error, not a guess", { timeout: 60_000 }, async () => {
    const repo = await configRepo("wf-validate", { "dispatch-rules.yaml": UNKNOWN_KEY });
    const bad = await runAction(actionClone.dir, await job(repo, "push"), { command: "validate" });
    expect(bad.failed).toBe(true);
    expect(annotations(bad.log)).toEqual(["::error file=dispatch-rules.yaml,line=5,col=7::unknown key `roomPrefx` (at rules[0].individual.roomPrefx)%0Ahint: did you mean `roomPrefix`?"]);
    await copyFile(join(REPO_ROOT, "config/dispatch-rules.yaml"), join(repo, "dispatch-rules.yaml"));
    const goodJob = await job(repo, "push");
    const good = await runAction(actionClone.dir, goodJob, { command: "validate", format: "text" });
    expect(good.failed, good.log).toBe(false);
    expect(good.log).toMatch(/dispatch-rules\.yaml: \d+ rules, valid/);
    expect(await readFile(goodJob.summaryFile, "utf8")).toBe("### sip-dispatch-sync validate\n\n<code>dispatch-rules.yaml</code>: valid\n");
    const wrong = await runAction(actionClone.dir, await job(repo, "push"), { command: "destroy" });
    expect(wrong.failed).toBe(true);
    expect(wrong.log).toContain('::error title=sip-dispatch-sync action::input command: "destroy" is not one of validate, plan, apply');
    const missing = await runAction(actionClone.dir, await job(repo, "push"), { command: "plan", file: "nope.yaml" });
    expect(missing.failed).toBe(true);
    expect(missing.log).toContain("the rules file nope.yaml does not exist");
  });
});

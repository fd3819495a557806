// Test support (I/O: child processes, temp files). Runs a composite action (action.yml) and the
// jobs of a workflow that use it the way the GitHub Actions runner does, on this machine: inputs
// with their defaults, `${{ }}` expressions (the subset these files use), each `run:` step as
// `bash --noprofile --norc -eo pipefail FILE` with the runner's variables (GITHUB_ACTION_PATH,
// GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_EVENT_PATH, RUNNER_TEMP, ...), step outputs, the
// action's outputs. In a workflow, actions/checkout and actions/setup-node are the runner's setup
// here (the workspace is already the checkout; node is on PATH) and are reported as such; the
// sip-dispatch-sync action is run from `actionDir`; any other `uses:` is an error.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { delimiter, dirname, join } from "node:path";
import { parse } from "yaml";

export type Ctx = Record<string, unknown>;

function lookup(ctx: Ctx, path: string): unknown {
  let v: unknown = ctx;
  for (const key of path.split(".")) v = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined;
  return v;
}

export function truthy(v: unknown): boolean {
  return v !== undefined && v !== null && v !== "" && v !== false && v !== 0;
}

/** Paths, 'strings', ==, != and && of the Actions expression language; anything else throws. */
export function evaluate(expr: string, ctx: Ctx): unknown {
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
  if (!/^[A-Za-z_][\w-]*(\.[\w-]+)*$/.test(e)) throw new Error(`expression not supported by this test runner: ${expr}`);
  return lookup(ctx, e);
}

export function interpolate(text: string, ctx: Ctx): string {
  return text.replace(/\$\{\{(.*?)\}\}/g, (_m, expr: string) => {
    const v = evaluate(expr, ctx);
    return v === undefined || v === null ? "" : String(v);
  });
}

function evalEnv(env: Record<string, unknown> | undefined, ctx: Ctx): Record<string, string> {
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

interface Proc {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function bash(script: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Proc> {
  return new Promise((resolve, reject) => {
    // Its own process group, killed afterwards: no background process outlives the step.
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
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(killGroup, timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      killGroup();
      resolve({ code, stdout, stderr });
    });
  });
}

export interface StepResult {
  readonly key: string;
  readonly status: "skipped" | "setup" | "success" | "failure";
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly outputs: Record<string, string>;
}

export interface ActionDef {
  readonly inputs: Record<string, { default?: string; required?: boolean }>;
  readonly outputs: Record<string, { value: string }>;
  readonly runs: { using: string; steps: { id?: string; name?: string; shell?: string; run?: string; uses?: string; env?: Record<string, string> }[] };
}

/** Everything one runner job shares: its temp folder, summary, output files, event. */
export interface RunnerJob {
  readonly workspace: string;
  readonly temp: string;
  readonly summaryFile: string;
  readonly baseEnv: NodeJS.ProcessEnv;
  readonly github: Record<string, unknown>;
}

export interface RunnerOptions {
  /** The checked-out config repository. */
  readonly workspace: string;
  readonly eventName: "pull_request" | "push";
  readonly prNumber?: number;
  readonly apiUrl: string;
  readonly token: string;
  readonly repository?: string;
  /** Variables of the process environment for every step (e.g. PATH additions); LIVEKIT_* etc. are removed first. */
  readonly env?: Record<string, string>;
}

export async function newRunnerJob(opts: RunnerOptions): Promise<RunnerJob> {
  const temp = await mkdtemp(join(dirname(opts.workspace), "runner-temp-"));
  const summaryFile = join(temp, "step-summary.md");
  await writeFile(summaryFile, "");
  const repository = opts.repository ?? "acme/dispatch-config";
  const event = opts.eventName === "pull_request" ? { number: opts.prNumber, pull_request: { number: opts.prNumber } } : { ref: "refs/heads/main" };
  const eventPath = join(temp, "event.json");
  await writeFile(eventPath, JSON.stringify(event));
  const clean: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(LIVEKIT_|DISPATCH_RULES_FILE|DISPATCH_ENV|GITHUB_|RUNNER_|INPUT_|NO_COLOR|SIP_DISPATCH_SYNC|npm_)/.test(k)) clean[k] = v;
  const baseEnv: NodeJS.ProcessEnv = {
    ...clean,
    PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`,
    CI: "true",
    GITHUB_ACTIONS: "true",
    GITHUB_WORKSPACE: opts.workspace,
    GITHUB_EVENT_NAME: opts.eventName,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REPOSITORY: repository,
    GITHUB_API_URL: opts.apiUrl,
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_RUN_ID: "4242",
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: temp,
    ...opts.env,
  };
  const github = { event_name: opts.eventName, repository, token: opts.token, event, workspace: opts.workspace };
  return { workspace: opts.workspace, temp, summaryFile, baseEnv, github };
}

export interface ActionRun {
  readonly steps: readonly StepResult[];
  readonly outputs: Record<string, string>;
  readonly failed: boolean;
  /** Every step's stdout, as the log shows it. */
  readonly log: string;
}

/** Runs the composite action in `actionDir` with `with` inputs in `job`; `env` is the calling step's environment (job env included). */
export async function runAction(actionDir: string, job: RunnerJob, withInputs: Record<string, string>, env: Record<string, string> = {}, timeoutMs = 240_000): Promise<ActionRun> {
  const action = parse(await readFile(join(actionDir, "action.yml"), "utf8")) as ActionDef;
  if (action.runs.using !== "composite") throw new Error(`runs.using is ${action.runs.using}, not composite`);
  for (const name of Object.keys(withInputs)) if (!(name in action.inputs)) throw new Error(`the action has no input ${name}`);
  const baseCtx: Ctx = { github: { ...job.github, action_path: actionDir }, runner: { temp: job.temp } };
  const inputs: Record<string, string> = {};
  for (const [name, def] of Object.entries(action.inputs)) inputs[name] = withInputs[name] ?? interpolate(def.default ?? "", baseCtx);
  const steps: Record<string, { outputs: Record<string, string> }> = {};
  const ctx: Ctx = { ...baseCtx, inputs, steps };
  const results: StepResult[] = [];
  let failed = false;
  for (const [i, step] of action.runs.steps.entries()) {
    const key = step.id ?? (step.name !== undefined ? interpolate(step.name, ctx) : `step-${i}`);
    if (failed) {
      results.push({ key, status: "skipped", code: null, stdout: "", stderr: "", outputs: {} });
      continue;
    }
    if (step.run === undefined || step.shell !== "bash") throw new Error(`step ${key}: only run: steps with shell: bash are supported`);
    const outputFile = join(job.temp, `output-${Date.now()}-${i}`);
    await writeFile(outputFile, "");
    const script = join(job.temp, `step-${Date.now()}-${i}.sh`);
    await writeFile(script, interpolate(step.run, ctx));
    const stepEnv: NodeJS.ProcessEnv = { ...job.baseEnv, ...env, GITHUB_ACTION_PATH: actionDir, GITHUB_OUTPUT: outputFile, ...evalEnv(step.env, ctx) };
    const r = await bash(script, job.workspace, stepEnv, timeoutMs);
    const outputs = parseOutputs(await readFile(outputFile, "utf8"));
    if (step.id !== undefined) steps[step.id] = { outputs };
    const status = r.code === 0 ? "success" : "failure";
    if (status === "failure") failed = true;
    results.push({ key, status, code: r.code, stdout: r.stdout, stderr: r.stderr, outputs });
  }
  const outputs = Object.fromEntries(Object.entries(action.outputs).map(([k, v]) => [k, interpolate(v.value, ctx)]));
  return { steps: results, outputs, failed, log: results.map((s) => s.stdout).join("") };
}

interface WorkflowStep {
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
  readonly if?: string;
  readonly name?: string;
}
export interface Workflow {
  readonly on: Record<string, unknown>;
  readonly permissions?: Record<string, string>;
  readonly jobs: Record<string, { if?: string; env?: Record<string, string>; steps: WorkflowStep[]; concurrency?: unknown; permissions?: Record<string, string>; environment?: string }>;
}

export interface JobRun {
  readonly steps: readonly (StepResult & { action?: ActionRun })[];
  readonly failed: boolean;
  readonly summary: string;
  readonly temp: string;
  /** The run of the sip-dispatch-sync step(s). */
  readonly actionRuns: readonly ActionRun[];
}

/** Runs job `jobName` of `workflow` in `job` with `secrets` and `vars`; `uses: OWNER/sip-dispatch-sync@REF` runs `actionDir`. */
export async function runWorkflowJob(workflow: Workflow, jobName: string, job: RunnerJob, actionDir: string, contexts: { secrets: Record<string, string>; vars: Record<string, string> }): Promise<JobRun> {
  const def = workflow.jobs[jobName];
  if (def === undefined) throw new Error(`no job ${jobName}`);
  const ctx: Ctx = { github: job.github, secrets: contexts.secrets, vars: contexts.vars, runner: { temp: job.temp } };
  if (def.if !== undefined && !truthy(evaluate(def.if, ctx))) throw new Error(`job ${jobName} does not run on ${String(job.github.event_name)}`);
  const jobEnv = evalEnv(def.env, ctx);
  const results: (StepResult & { action?: ActionRun })[] = [];
  const actionRuns: ActionRun[] = [];
  let failed = false;
  for (const [i, step] of def.steps.entries()) {
    const key = step.uses ?? step.name ?? `step-${i}`;
    if (failed || (step.if !== undefined && !truthy(evaluate(step.if, ctx)))) {
      results.push({ key, status: "skipped", code: null, stdout: "", stderr: "", outputs: {} });
      continue;
    }
    if (step.uses !== undefined && /^actions\/(checkout|setup-node)@v\d+$/.test(step.uses)) {
      results.push({ key, status: "setup", code: null, stdout: "", stderr: "", outputs: {} });
      continue;
    }
    if (step.uses !== undefined && /^[^/]+\/sip-dispatch-sync@[\w.-]+$/.test(step.uses)) {
      const withInputs = Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, interpolate(String(v), ctx)]));
      const run = await runAction(actionDir, job, withInputs, jobEnv);
      actionRuns.push(run);
      if (run.failed) failed = true;
      const last = run.steps.filter((s) => s.status !== "skipped").at(-1);
      results.push({ key, status: run.failed ? "failure" : "success", code: last?.code ?? null, stdout: run.log, stderr: run.steps.map((s) => s.stderr).join(""), outputs: run.outputs, action: run });
      continue;
    }
    throw new Error(`step ${key}: not supported by this test runner`);
  }
  return { steps: results, failed, summary: await readFile(job.summaryFile, "utf8"), temp: job.temp, actionRuns };
}

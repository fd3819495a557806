#!/usr/bin/env node
// The step of the reusable GitHub Action (action.yml; I/O: child processes, files under
// $RUNNER_TEMP, $GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY, the GitHub REST API at $GITHUB_API_URL).
// Plain Node (>= 20, global fetch), no dependencies: it runs the CLI built in the action's own
// checkout ($GITHUB_ACTION_PATH, the bin of its package.json) and
//   - prints the command's output, which with format github is workflow commands: annotations
//     on the rules file's lines;
//   - appends the Markdown plan (or a short result) to the job summary;
//   - on a pull request, keeps ONE comment with the plan: found by a hidden marker naming the
//     file and environment, updated in place on every push, created only when there is none;
//   - sets the outputs exitcode, changes, plan-json, comment-url.
// Inputs come as INPUT_* variables (action.yml maps them; composite actions get none by default).
// The exit code is the CLI's: 0, 1 error, 3 refused by a safety limit; plan's 2 (changes pending)
// is a success with changes=true.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const COMMANDS = ["validate", "plan", "apply"];
export const FORMATS = ["github", "text"];
/** GitHub refuses comment bodies over 65,536 characters. */
export const MAX_COMMENT = 65_000;

/** Thrown for a bad input or a missing file: printed as one ::error:: line, exit 1. */
export class ActionInputError extends Error {}

/** The inputs, checked. `env` is process.env or a test's stand-in. */
export function readInputs(env) {
  const get = (name, fallback = "") => (env[`INPUT_${name}`] ?? fallback).trim();
  const command = get("COMMAND", "plan");
  if (!COMMANDS.includes(command)) throw new ActionInputError(`input command: "${command}" is not one of ${COMMANDS.join(", ")}`);
  const format = get("FORMAT", "github");
  if (!FORMATS.includes(format)) throw new ActionInputError(`input format: "${format}" is not one of ${FORMATS.join(", ")}`);
  const bool = (name, fallback) => {
    const v = get(name, fallback).toLowerCase();
    if (v === "true") return true;
    if (v === "false") return false;
    throw new ActionInputError(`input ${name.toLowerCase().replace(/_/g, "-")}: "${v}" is not true or false`);
  };
  const file = get("FILE", "dispatch-rules.yaml");
  if (file === "") throw new ActionInputError("input file: empty; name the rules file, e.g. dispatch-rules.yaml");
  return {
    command,
    file,
    environment: get("ENVIRONMENT"),
    format,
    comment: bool("COMMENT", "true"),
    state: get("STATE"),
    rehearse: bool("REHEARSE", "true"),
    token: get("GITHUB_TOKEN"),
  };
}

/** The hidden first line of our comment: one comment per rules file and environment on a pull request. */
export function commentMarker(inputs) {
  const env = inputs.environment === "" ? "" : ` env=${encodeURIComponent(inputs.environment)}`;
  return `<!-- sip-dispatch-sync plan: file=${encodeURIComponent(inputs.file)}${env} -->`;
}

/** argv (after the executable) of the main command. `extra` holds per-run paths. */
export function commandArgs(inputs, extra = {}) {
  const env = inputs.environment === "" ? [] : ["--env", inputs.environment];
  switch (inputs.command) {
    case "validate":
      return ["validate", "--format", inputs.format, ...env, inputs.file];
    case "plan":
      return [
        "plan",
        "--config",
        inputs.file,
        "--format",
        inputs.format,
        "--detailed-exitcode",
        ...(extra.out ? ["--out", extra.out] : []),
        ...(extra.against ? ["--against", extra.against] : []),
        ...env,
      ];
    case "apply":
      // Never --force: the file's safety limits hold (a refused plan exits 3, changes nothing).
      return ["apply", "--config", inputs.file, "--auto-approve", ...(extra.out ? ["--out", extra.out] : []), ...env];
    default:
      throw new ActionInputError(`unknown command ${inputs.command}`);
  }
}

/** The pull request's number from the event payload, or undefined outside a pull request. */
export function pullRequestNumber(env) {
  const name = env.GITHUB_EVENT_NAME ?? "";
  if (name !== "pull_request" && name !== "pull_request_target") return undefined;
  const path = env.GITHUB_EVENT_PATH;
  if (!path || !existsSync(path)) return undefined;
  const event = JSON.parse(readFileSync(path, "utf8"));
  const n = event?.pull_request?.number ?? event?.number;
  return Number.isInteger(n) ? n : undefined;
}

export class GitHubApiError extends Error {
  constructor(method, url, status, text) {
    super(`${method} ${url}: HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ""}`);
    this.status = status;
  }
}

/**
 * Creates our comment on the pull request or updates it in place: the first comment whose body
 * holds `marker` (every page is read), edited only when its text differs. Returns what it did.
 */
export async function upsertComment({ apiUrl, repository, issue, token, marker, body, fetchImpl = globalThis.fetch }) {
  const base = apiUrl.replace(/\/+$/, "");
  const headers = {
    accept: "application/vnd.github+json",
    authorization: `Bearer ${token}`,
    "x-github-api-version": "2022-11-28",
    "user-agent": "sip-dispatch-sync-action",
  };
  const call = async (method, url, payload) => {
    const res = await fetchImpl(url, {
      method,
      headers: payload === undefined ? headers : { ...headers, "content-type": "application/json" },
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
    const text = await res.text();
    if (!res.ok) {
      let message = text;
      try {
        message = JSON.parse(text).message ?? text;
      } catch {
        // not JSON: keep the text
      }
      throw new GitHubApiError(method, url, res.status, message);
    }
    return text === "" ? undefined : JSON.parse(text);
  };
  const full = `${marker}\n${body}`;
  let existing;
  for (let page = 1; page <= 100 && existing === undefined; page++) {
    const list = await call("GET", `${base}/repos/${repository}/issues/${issue}/comments?per_page=100&page=${page}`);
    if (!Array.isArray(list)) throw new GitHubApiError("GET", `${base}/repos/${repository}/issues/${issue}/comments`, 200, "not a list");
    existing = list.find((c) => typeof c?.body === "string" && c.body.includes(marker));
    if (list.length < 100) break;
  }
  if (existing !== undefined) {
    if (existing.body === full) return { action: "unchanged", id: existing.id, url: existing.html_url };
    const updated = await call("PATCH", `${base}/repos/${repository}/issues/comments/${existing.id}`, { body: full });
    return { action: "updated", id: updated?.id ?? existing.id, url: updated?.html_url ?? existing.html_url };
  }
  const created = await call("POST", `${base}/repos/${repository}/issues/${issue}/comments`, { body: full });
  return { action: "created", id: created?.id, url: created?.html_url };
}

/** The comment's text: the Markdown plan, cut (with a note) to fit GitHub's limit. */
export function commentBody(markdown, runUrl) {
  if (markdown.length <= MAX_COMMENT) return markdown;
  const note = `\n\n… the plan is longer than a comment can hold: the whole plan is in the [job summary](${runUrl}).\n`;
  return markdown.slice(0, MAX_COMMENT - note.length) + note;
}

/** A workflow command's data, escaped as the runner expects. */
function escapeData(s) {
  return s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function runCli(cli, args, { env, capture = false, cwd }) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cli[0], [...cli.slice(1), ...args], { cwd, env, stdio: ["ignore", capture ? "pipe" : "inherit", "inherit"] });
    let out = "";
    if (capture) child.stdout.setEncoding("utf8").on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code, signal) => resolvePromise({ code: code ?? (signal ? 1 : 0), out }));
  });
}

/** Starts the CLI's emulator on 127.0.0.1:0 with `state` as its state file; resolves to its URL and a stop(). */
function startEmulator(cli, state, env, cwd) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cli[0], [...cli.slice(1), "emulator", "--listen", "127.0.0.1:0", "--state", state, "--log-level", "warn"], { cwd, env, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error("the emulator did not start within 30 s"));
    }, 30_000);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the emulator exited (${code}) before it listened`));
    });
    child.stdout.setEncoding("utf8").on("data", (d) => {
      out += d;
      const url = /^emulator listening on (\S+)$/m.exec(out)?.[1];
      if (url === undefined) return;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      const stop = () =>
        new Promise((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done();
          child.once("exit", () => done());
          child.kill("SIGTERM");
        });
      resolvePromise({ url, stop });
    });
  });
}

function setOutput(env, name, value) {
  if (env.GITHUB_OUTPUT) appendFileSync(env.GITHUB_OUTPUT, `${name}=${value}\n`);
}

function appendSummary(env, text) {
  if (env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, text.endsWith("\n") ? text : `${text}\n`);
}

function codeSpan(s) {
  return `<code>${s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")}</code>`;
}

/** The whole step. Returns the exit code. */
export async function main(env = process.env, log = (s) => process.stdout.write(`${s}\n`)) {
  let inputs;
  try {
    inputs = readInputs(env);
  } catch (err) {
    if (!(err instanceof ActionInputError)) throw err;
    log(`::error title=sip-dispatch-sync action::${escapeData(err.message)}`);
    return 1;
  }
  const actionPath = env.GITHUB_ACTION_PATH ?? fileURLToPath(new URL("../../", import.meta.url));
  // The package's own bin (as npm would link it), built by the action's first step.
  const bin = JSON.parse(readFileSync(join(actionPath, "package.json"), "utf8")).bin["sip-dispatch-sync"];
  const cli = [process.execPath, join(actionPath, bin)];
  const cwd = env.GITHUB_WORKSPACE || process.cwd();
  const temp = join(env.RUNNER_TEMP || cwd, `sip-dispatch-sync-${randomBytes(4).toString("hex")}`);
  mkdirSync(temp, { recursive: true });
  // The token is for the API only: the CLI never sees it.
  const cliEnv = { ...env };
  for (const k of Object.keys(cliEnv)) if (k.startsWith("INPUT_")) delete cliEnv[k];

  if (!existsSync(resolve(cwd, inputs.file))) {
    log(`::error title=sip-dispatch-sync ${inputs.command}::${escapeData(`the rules file ${inputs.file} does not exist (input file, relative to the workspace)`)}`);
    setOutput(env, "exitcode", "1");
    return 1;
  }

  if (inputs.command === "validate") {
    const r = await runCli(cli, commandArgs(inputs), { env: cliEnv, cwd });
    appendSummary(env, `### sip-dispatch-sync validate\n\n${codeSpan(inputs.file)}${inputs.environment ? ` (environment ${codeSpan(inputs.environment)})` : ""}: ${r.code === 0 ? "valid" : "**not valid**: see the annotations"}\n`);
    setOutput(env, "exitcode", String(r.code));
    return r.code;
  }

  if (inputs.command === "apply") {
    // validate first: with format github its errors are annotations on the file's lines.
    const checked = await runCli(cli, ["validate", "--format", inputs.format, ...(inputs.environment ? ["--env", inputs.environment] : []), inputs.file], { env: cliEnv, cwd });
    if (checked.code !== 0) {
      setOutput(env, "exitcode", String(checked.code));
      return checked.code;
    }
    const out = join(temp, "applied-plan.json");
    const r = await runCli(cli, commandArgs(inputs, { out }), { env: cliEnv, cwd });
    if (r.code === 3) log("::error title=sip-dispatch-sync apply::the plan is refused by a safety limit (see the plan above): nothing was changed");
    setOutput(env, "exitcode", String(r.code));
    if (existsSync(out)) setOutput(env, "plan-json", out);
    return r.code;
  }

  // plan: against the server when credentials are set, else against the `state` snapshot.
  const live = Boolean(env.LIVEKIT_API_SECRET || env.LIVEKIT_API_SECRET_FILE);
  let against;
  if (!live) {
    if (inputs.state === "") {
      log("::warning title=sip-dispatch-sync plan::no LIVEKIT_API_SECRET and no input state (a snapshot from export --format json): nothing to plan against");
      setOutput(env, "exitcode", "skipped");
      return 0;
    }
    if (!existsSync(resolve(cwd, inputs.state))) {
      log(`::error title=sip-dispatch-sync plan::${escapeData(`the state snapshot ${inputs.state} does not exist (input state, relative to the workspace)`)}`);
      setOutput(env, "exitcode", "1");
      return 1;
    }
    against = inputs.state;
    log(`No LIVEKIT_API_SECRET: planning against the snapshot ${inputs.state}`);
  }
  const markdownFile = join(temp, "plan.md");
  writeFileSync(markdownFile, "");
  const out = join(temp, "plan.json");
  const r = await runCli(cli, commandArgs(inputs, { out, against }), { env: { ...cliEnv, GITHUB_STEP_SUMMARY: markdownFile }, cwd });
  let markdown = readFileSync(markdownFile, "utf8");
  let code = r.code;

  if (against !== undefined && code === 2 && inputs.rehearse && inputs.environment !== "") {
    // An environment names its server's URL in the file, and the CLI refuses any other
    // LIVEKIT_URL (SPEC §8): the emulator cannot stand in for it.
    log(`No rehearsal: environment ${inputs.environment} names its own server`);
  } else if (against !== undefined && code === 2 && inputs.rehearse) {
    // The plan applies cleanly and converges: applied to an emulator seeded from a copy of the
    // snapshot (the checkout's file is never written), then planned again.
    log(`Rehearsing the apply on an emulator seeded from ${inputs.state}`);
    const state = join(temp, "emulator-state.json");
    copyFileSync(resolve(cwd, inputs.state), state);
    const secret = randomBytes(24).toString("hex");
    const emuEnv = { ...cliEnv, GITHUB_STEP_SUMMARY: "", LIVEKIT_API_KEY: "action-rehearsal", LIVEKIT_API_SECRET: secret };
    delete emuEnv.LIVEKIT_API_SECRET_FILE;
    const emulator = await startEmulator(cli, state, emuEnv, cwd);
    let converged;
    try {
      const rehearseEnv = { ...emuEnv, LIVEKIT_URL: emulator.url };
      const env2 = inputs.environment ? ["--env", inputs.environment] : [];
      const applied = await runCli(cli, ["apply", "--config", inputs.file, "--auto-approve", "--log-level", "warn", ...env2], { env: rehearseEnv, cwd });
      const again = applied.code === 0 ? await runCli(cli, ["plan", "--config", inputs.file, "--detailed-exitcode", ...env2], { env: rehearseEnv, cwd }) : { code: applied.code };
      converged = again.code === 0;
    } finally {
      await emulator.stop();
    }
    if (converged) {
      markdown += `\nRehearsed on an emulator seeded from ${codeSpan(inputs.state)}: the plan applied cleanly and a second plan found no changes.\n`;
    } else {
      log("::error title=sip-dispatch-sync plan::the rehearsal on the emulator failed: the plan did not apply cleanly or a second plan still had changes");
      markdown += `\n**The rehearsal on an emulator seeded from ${codeSpan(inputs.state)} failed**: the plan did not apply cleanly or did not converge (see the job log).\n`;
      code = 1;
    }
  }

  const runUrl = `${env.GITHUB_SERVER_URL ?? "https://github.com"}/${env.GITHUB_REPOSITORY ?? ""}/actions/runs/${env.GITHUB_RUN_ID ?? ""}`;
  if (markdown === "") {
    // No plan (an invalid file, an unreachable server): say so, so no stale plan stays on the PR.
    markdown = `### sip-dispatch-sync plan\n\nNo plan for ${codeSpan(inputs.file)}: ${code === 1 ? "the file is not valid or the server could not be read" : `exit ${code}`}. See the annotations and the [job log](${runUrl}).\n`;
  }
  appendSummary(env, markdown);
  setOutput(env, "exitcode", String(code));
  setOutput(env, "changes", String(code === 2));
  if (existsSync(out)) setOutput(env, "plan-json", out);

  const issue = pullRequestNumber(env);
  if (inputs.comment && issue !== undefined) {
    if (inputs.token === "") {
      log("::warning title=sip-dispatch-sync plan::no github-token: the plan is not commented on the pull request");
    } else {
      try {
        const result = await upsertComment({
          apiUrl: env.GITHUB_API_URL ?? "https://api.github.com",
          repository: env.GITHUB_REPOSITORY ?? "",
          issue,
          token: inputs.token,
          marker: commentMarker(inputs),
          body: commentBody(markdown, runUrl),
        });
        log(`Pull request comment ${result.action}: ${result.url ?? result.id}`);
        if (result.url) setOutput(env, "comment-url", result.url);
      } catch (err) {
        // A pull request from a fork gets a read-only token (403): the plan is still in the summary.
        const status = err instanceof GitHubApiError ? err.status : undefined;
        const why = status === 403 || status === 404 ? " (a pull request from a fork has a read-only token; the plan is in the job summary)" : "";
        log(`::warning title=sip-dispatch-sync plan::${escapeData(`could not comment on the pull request: ${err instanceof Error ? err.message : String(err)}${why}`)}`);
      }
    }
  }

  if (code === 3) log("::error title=sip-dispatch-sync plan::the plan is refused by a safety limit (see the plan): merging would not apply it");
  return code === 2 ? 0 : code;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stdout.write(`::error title=sip-dispatch-sync action::${escapeData(err instanceof Error ? err.message : String(err))}\n`);
      process.exit(1);
    },
  );
}

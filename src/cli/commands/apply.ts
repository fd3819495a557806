// Process wiring for `apply [PLAN.json]`: read, plan, print, check safety and approval, then
// act. With a saved plan, applies it only if a fresh plan is identical to it (SPEC §3).
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { applyPlan } from "../../apply/index.js";
import { orderChanges, pinRemovalRefusal } from "../../core/index.js";
import { DEFAULT_RETRY } from "../../livekit/index.js";
import { AppError, EXIT, StalePlanError, UsageError, type ExitCode, type Plan } from "../../model/index.js";
import { parsePlanJson, planChangesDigest, approvalQuestion, renderPlan, savedPlanChangesDigest, type PlanContext, type SavedPlan } from "../../render/index.js";
import { flagsFor, concurrencyFlag, configPath, parseFlags, stringFlag } from "../flags.js";
import { FILE_LIMIT_HELP } from "../file-limit.js";
import { useColor, type CliIo } from "../io.js";
import { ALL_ENVIRONMENTS } from "../../rules-file/index.js";
import { selectedEnvironment } from "../environment-options.js";
import { readAndPlan } from "../read-and-plan.js";
import { displayFile } from "../rules-input.js";
import { createApplyReporter } from "../apply-reporter.js";
import { lintNotes, namesScope, savePlanOutputs } from "./plan.js";

export const help = `Usage: sip-dispatch-sync apply [PLAN.json] [flags]

Plan, print the plan, then create, update and delete rules so the server equals the file.
With PLAN.json (written by "plan --out"), apply exactly that plan: if the server or the file
changed since, nothing is applied ("stale plan", exit 1).

Flags:
  -c, --config FILE        rules file; - reads standard input (default $DISPATCH_RULES_FILE,
                           else ./dispatch-rules.yaml, else ./dispatch-rules.yml)
      --no-color           no colours (also NO_COLOR; FORCE_COLOR forces them)
      --auto-approve       apply without asking (required when stdin is not a terminal)
      --force              override the safety limits (maxDeletes, maxDeletePercent, allowEmpty,
                           allowPinRemoval) once
      --concurrency N      operations in flight at once (default 4); operations whose conflict
                           keys meet never run together
      --out PLAN.json      also save the plan that is applied, as JSON
      --env NAME           the environment to apply (default $DISPATCH_ENV), when the file
                           defines \`environments:\`; exactly one (a saved plan must be its own)
      --strict             the file's warnings (lints) are errors: nothing is applied
      --names GLOB         apply only to rules whose name matches (repeatable), as plan --names
      --log-format FORMAT  text (default): each operation's outcome as it finishes, and on a
                           terminal a progress line; json: JSON lines on stderr instead
      --url, --api-key, --api-secret, --timeout, --log-level   as for plan
      --max-answer-bytes SIZE, --max-list-pages N              as for plan (list bounds)
${FILE_LIMIT_HELP}

Retries and waits for the server's Retry-After are reported on stderr as they happen.

Exit codes: 0 applied or nothing to do, 1 error or partial failure, 3 refused by a safety limit.
`;


export async function run(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const { values, positionals } = parseFlags("apply", args, flagsFor("apply"), { max: 1, usage: "[PLAN.json]" });
  const concurrency = concurrencyFlag(values);
  const config = configPath(values, io);
  const savedPath = positionals[0];
  const saved = savedPath === undefined ? undefined : await readSavedPlan(savedPath);
  // Text (default) or JSON lines, never both; pino is loaded only for JSON.
  const json = stringFlag(values, "log-format") === "json";
  const log = json ? (await import("../logger.js")).oneShotLogger(values, io, false) : undefined;
  const reporter = createApplyReporter(io, {
    ...(log === undefined ? {} : { log }),
    tty: io.stdoutIsTTY,
    maxAttempts: DEFAULT_RETRY.maxAttempts,
    now: () => performance.now(),
  });

  const asked = selectedEnvironment(values, io);
  if (asked === ALL_ENVIRONMENTS) throw new UsageError("apply takes exactly one environment, not all", "run apply --env NAME once per environment (plan --env all shows them together)");
  // Before any request: a plan made for one environment is never applied to another.
  if (saved) checkSavedEnvironment(saved, asked);
  const { desired, client, plan, environment, trunks } = await readAndPlan(config, values, io, undefined, {
    hooks: { onRetryWait: (e) => reporter.retry(e) },
    strict: values.strict === true,
    ...namesScope(values),
    notes: lintNotes,
  });
  const ctx = { config: displayFile(config), server: client.server, ...(environment === undefined ? {} : { environment }), ...(trunks.length === 0 ? {} : { trunks }) };

  if (saved) checkSavedPlan(saved, plan);
  io.stdout.write(renderPlan(plan, "text", { ...ctx, color: useColor(io, values) }));
  await savePlanOutputs(plan, ctx, stringFlag(values, "out"), io);

  if (plan.refusal) {
    if (!plan.refusal.forceable || values.force !== true) {
      io.stderr.write(`error: plan refused: ${plan.refusal.message}\n  hint: ${plan.refusal.hint}\n`);
      return EXIT.refused;
    }
    io.stderr.write(`warning: --force overrides the safety limit: ${plan.refusal.message}\n`);
  }
  // Removing a pin opens a room to every caller: without a person at the prompt, refused (SPEC §5).
  const pinRefusal = values["auto-approve"] === true ? pinRemovalRefusal(plan.changes, desired.limits) : null;
  if (pinRefusal !== null) {
    if (values.force !== true) {
      io.stderr.write(`error: plan refused: ${pinRefusal.message}\n  hint: ${pinRefusal.hint}\n`);
      return EXIT.refused;
    }
    io.stderr.write(`warning: --force overrides the safety limit: ${pinRefusal.message}\n`);
  }
  const total = plan.summary.create + plan.summary.update + plan.summary.delete;
  if (total === 0) {
    io.stdout.write("Nothing to apply.\n");
    return EXIT.ok;
  }
  if (values["auto-approve"] !== true && !(await confirm(io, total, ctx))) {
    io.stdout.write("Apply cancelled; nothing was changed.\n");
    return EXIT.error;
  }

  log?.info({ event: "plan", summary: plan.summary, changes: plan.changes.map((c) => ({ action: c.action, rule: c.name })) }, "plan");
  const schedule = orderChanges(plan.changes);
  reporter.start(schedule.operations.length);
  const report = await applyPlan(schedule, {
    client,
    concurrency,
    now: () => performance.now(),
    ...(log === undefined ? {} : { log }),
    onOutcome: (o, progress) => reporter.outcome(o, progress),
  });
  reporter.finish(report);
  return report.ok ? EXIT.ok : EXIT.error;
}

async function readSavedPlan(path: string): Promise<SavedPlan> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? "unreadable";
    throw new AppError("bad-plan-file", `${path}: cannot read the saved plan (${why})`, { hint: 'write one with "sip-dispatch-sync plan --out PLAN.json"' });
  }
  return parsePlanJson(text);
}

/** A saved plan is applied only when a fresh plan is the same plan against the same server state. */
/** SPEC §8: a saved plan records its environment and is refused for another. */
function checkSavedEnvironment(saved: SavedPlan, environment: string | undefined): void {
  if (saved.environment !== environment) {
    const made = saved.environment === undefined ? "no environment" : `environment ${saved.environment}`;
    const now = environment === undefined ? "no environment" : `environment ${environment}`;
    throw new UsageError(`the saved plan was made for ${made}, not ${now}; nothing was applied`, saved.environment === undefined ? "run plan --env NAME --out PLAN.json for this environment" : `pass --env ${saved.environment}, or make a plan for ${now}`);
  }
}

function checkSavedPlan(saved: SavedPlan, fresh: Plan): void {
  if (saved.fingerprint !== fresh.fingerprint) {
    throw new StalePlanError(
      "stale plan: the server's dispatch rules, or a secret of the file (a pin or an egress credential), changed since the plan was saved; nothing was applied",
      "run plan --out again and review it (a plan made with --against, or against another server, is never applied)",
    );
  }
  if (savedPlanChangesDigest(saved) !== planChangesDigest(fresh)) {
    throw new StalePlanError(
      "stale plan: the rules file no longer produces the saved plan; nothing was applied",
      "run plan --out again on the current file and review it",
    );
  }
}

async function confirm(io: CliIo, total: number, ctx: PlanContext): Promise<boolean> {
  if (!io.stdinIsTTY) {
    throw new UsageError("stdin is not a terminal, so apply cannot ask for approval; nothing was changed", "review the plan, then pass --auto-approve");
  }
  const rl = createInterface({ input: io.stdin, output: io.stdout });
  try {
    const answer = await new Promise<string>((resolve) => rl.question(`\n${approvalQuestion(total, ctx)} Only "yes" is accepted: `, resolve));
    return answer.trim() === "yes";
  } finally {
    rl.close();
  }
}

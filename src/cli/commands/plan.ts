// Process wiring for `plan`: read the file and the server (or a saved state), decide, render.
// Writes nothing to the server. Exit 0 ok (2 with --detailed-exitcode when changes are pending),
// 1 error, 3 refused by a safety limit (SPEC §3).
import { appendFile, chmod, writeFile } from "node:fs/promises";
import { planListed } from "../../apply/index.js";
import { resolveTrunkNames, type ResolvedTrunk } from "../../core/index.js";
import { DEFAULT_RETRY, type RetryWaitEvent } from "../../livekit/index.js";
import { ConfigError, EXIT, withMoreWarnings, type Diagnostic, type ExitCode, type Plan } from "../../model/index.js";
import { renderDiagnostics } from "../../render/diagnostics.js";
import { renderPlan, renderPlanJson, renderPlanMarkdown, type PlanContext, type PlanFormat } from "../../render/index.js";
import { ALL_ENVIRONMENTS } from "../../rules-file/index.js";
import { retryLine } from "../apply-reporter.js";
import { selectedEnvironment } from "../environment-options.js";
import { flagsFor, choiceFlag, configPath, listFlag, parseFlags, stringFlag, type ParsedFlags } from "../flags.js";
import { FILE_LIMIT_HELP } from "../file-limit.js";
import { useColor, type CliIo } from "../io.js";
import { loadDesiredChecked, readServerState, readStateTrunks } from "../load.js";
import { planAllEnvironments } from "../plan-all.js";
import { readAndPlan } from "../read-and-plan.js";
import { displayFile } from "../rules-input.js";
import { optionalApiSecret } from "../server-options.js";

export const help = `Usage: sip-dispatch-sync plan [flags]

List the server's dispatch rules and print what apply would create, update and delete.
Changes nothing on the server.

Flags:
  -c, --config FILE         rules file; - reads standard input (default $DISPATCH_RULES_FILE,
                            else ./dispatch-rules.yaml, else ./dispatch-rules.yml)
      --no-color            no colours (also NO_COLOR; FORCE_COLOR forces them)
      --format FORMAT       text | json | markdown | github (default text)
      --out PLAN.json       also save the plan as JSON (for "apply PLAN.json"), even when refused
      --detailed-exitcode   exit 2 when changes are pending
      --strict              the file's warnings (lints: a catch-all rule, a number that is not
                            E.164, ...) are errors: nothing is planned
      --names GLOB          plan only rules whose name matches (* and ?; repeatable): an
                            emergency change to a few rules; nothing outside is ever deleted
      --against STATE.json  plan against a saved server state (export --format json, or the
                            emulator's --state file) instead of a live server; needs no credentials
      --url URL             LiveKit URL (default $LIVEKIT_URL; ws:// and wss:// become http(s)://)
      --api-key KEY         (default $LIVEKIT_API_KEY)
      --api-secret SECRET   (default $LIVEKIT_API_SECRET, or the file named by $LIVEKIT_API_SECRET_FILE)
      --timeout DURATION    per request (default 10s)
      --env NAME            the environment to plan, when the file defines \`environments:\`
                            (default $DISPATCH_ENV); "all" plans every environment in one run,
                            one section each, exit code the highest of them
      --max-answer-bytes SIZE  the most one server answer may hold, decompressed (default
                            128MiB, $DISPATCH_MAX_ANSWER_BYTES); e.g. 64MiB, 500MB, 1000000
      --max-list-pages N    the most List pages one listing may take (default 2000,
                            $DISPATCH_MAX_LIST_PAGES). Past a bound the list is refused:
                            nothing is planned or applied from it
      --log-level LEVEL     (default $LOG_LEVEL, else info; warn on a terminal)
${FILE_LIMIT_HELP}

When $GITHUB_STEP_SUMMARY is set, the Markdown plan is also appended to that file.

Exit codes: 0 ok, 2 changes pending (with --detailed-exitcode), 1 error, 3 refused by a safety limit.
`;


export const PLAN_FORMATS: readonly PlanFormat[] = ["text", "json", "markdown", "github"];

export async function run(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const { values } = parseFlags("plan", args, flagsFor("plan"));
  const format = choiceFlag(values, "format", PLAN_FORMATS, "text");
  const config = configPath(values, io);
  const against = stringFlag(values, "against");
  const scope = namesScope(values);
  const strict = values.strict === true;

  const asked = selectedEnvironment(values, io);
  if (asked === ALL_ENVIRONMENTS) return planAllEnvironments(config, values, io, format);

  let plan: Plan;
  let server: string;
  let environment: string | undefined;
  let trunks: readonly ResolvedTrunk[];
  try {
    if (against !== undefined) {
      const { state: loaded, warnings } = await loadDesiredChecked(config, io, strict, values, asked);
      const remote = await readServerState(against);
      const listing = await readStateTrunks(against, loaded);
      const resolution = listing === undefined ? undefined : resolveTrunkNames(loaded, listing);
      if (resolution !== undefined && resolution.diagnostics.length > 0) throw new ConfigError(resolution.diagnostics);
      const desired = resolution?.state ?? loaded;
      trunks = resolution?.resolved ?? [];
      // Keyed with the API secret when one is set, so that it equals the live plan's; without
      // one the fingerprint holds no secret at all (and binds none: such a plan is never applied).
      const apiSecret = optionalApiSecret(values, io);
      const planned = await planListed(desired, remote, async () => true, { ...scope, notes: lintNotes(warnings), ...(apiSecret === undefined ? {} : { fingerprintKey: { apiSecret } }) });
      plan = withMoreWarnings(planned, resolution?.warnings ?? []);
      server = `file:${against}`;
      environment = desired.environment?.name;
    } else {
      const hooks = { onRetryWait: (e: RetryWaitEvent) => io.stderr.write(`${retryLine(e, DEFAULT_RETRY.maxAttempts)}\n`) };
      const planned = await readAndPlan(config, values, io, undefined, { hooks, strict, ...scope, notes: lintNotes });
      plan = planned.plan;
      server = planned.client.server;
      environment = planned.environment;
      trunks = planned.trunks;
    }
  } catch (err) {
    // In a workflow the problems belong on the file's lines, like `validate --format github`.
    if (!(format === "github" && err instanceof ConfigError)) throw err;
    io.stdout.write(renderDiagnostics([{ file: displayFile(config), rules: undefined, diagnostics: err.diagnostics }], "github"));
    return EXIT.error;
  }

  const ctx = { config: displayFile(config), server, ...(environment === undefined ? {} : { environment }), ...(trunks.length === 0 ? {} : { trunks }) };
  io.stdout.write(renderPlan(plan, format, { ...ctx, color: useColor(io, values) }));
  await savePlanOutputs(plan, ctx, stringFlag(values, "out"), io);
  return planExitCode(plan, values["detailed-exitcode"] === true);
}

/** --out and $GITHUB_STEP_SUMMARY: written even for a refused plan (SPEC §5). */
export async function savePlanOutputs(plan: Plan, ctx: PlanContext, out: string | undefined, io: CliIo): Promise<void> {
  if (out !== undefined) await writePrivate(out, renderPlanJson(plan, ctx));
  const summary = io.env.GITHUB_STEP_SUMMARY;
  if (summary) await appendFile(summary, `${renderPlanMarkdown(plan, ctx)}\n`, "utf8");
}

/**
 * The file's lint warnings as plan warnings, `file:line:column: message [code]`. A name outside
 * manage is left out: the planner says it itself.
 */
export function lintNotes(warnings: readonly Diagnostic[]): string[] {
  return warnings.filter((d) => d.code !== "name-outside-manage").map((d) => `${d.line > 0 ? `${d.file}:${d.line}:${d.column}: ` : ""}${d.message} [${d.code}]`);
}

/** `--names GLOB` (repeatable): the plan covers only rules with a matching name. */
export function namesScope(values: ParsedFlags["values"]): { names?: readonly string[] } {
  const names = listFlag(values, "names");
  return names.length === 0 ? {} : { names };
}

export function planExitCode(plan: Plan, detailed: boolean): ExitCode {
  if (plan.refusal) return EXIT.refused;
  const pending = plan.summary.create + plan.summary.update + plan.summary.delete > 0;
  return detailed && pending ? EXIT.changes : EXIT.ok;
}

/**
 * Writes a saved plan readable by its owner only (0600): it names the server, the rules and their
 * IDs. An existing file gets the mode too (writeFile keeps an existing file's mode).
 */
async function writePrivate(path: string, text: string): Promise<void> {
  await writeFile(path, text, { encoding: "utf8", mode: 0o600 });
  await chmod(path, 0o600);
}

// Process wiring for `plan --env all` (SPEC §8): every environment of the file planned in one
// run, their reads concurrent; one section per environment in every format; the exit code is the
// highest of the environments'. An environment that cannot be planned is a section with its error.
import { appendFile } from "node:fs/promises";
import { AppError, ConfigError, EXIT, UsageError, type ExitCode } from "../model/index.js";
import { renderEnvironmentPlans, type EnvironmentSection } from "../render/environments.js";
import type { PlanFormat } from "../render/index.js";
import { maxFileBytes } from "./file-limit.js";
import { readEnvironmentNames } from "./rules-input.js";
import { stringFlag, type ParsedFlags } from "./flags.js";
import { useColor, type CliIo } from "./io.js";
import { loadDesired } from "./load.js";
import { readAndPlan } from "./read-and-plan.js";
import { planExitCode } from "./commands/plan.js";

async function environmentNames(config: string, values: ParsedFlags["values"], io: CliIo): Promise<string[]> {
  const names = await readEnvironmentNames(config, io, maxFileBytes(values, io.env));
  if (names !== undefined) return names;
  // Unreadable, invalid or without environments: the load says which, positioned.
  await loadDesired(config, io, values);
  throw new UsageError("--env all: the file defines no `environments:`", "drop --env (and unset DISPATCH_ENV) to plan the one server of LIVEKIT_URL");
}

function sectionError(environment: string, err: unknown): EnvironmentSection {
  if (err instanceof ConfigError) {
    const n = err.diagnostics.filter((d) => d.severity === "error").length;
    return { environment, error: { message: `the file has ${n} problem(s) in this environment; nothing was planned` }, diagnostics: err.diagnostics };
  }
  if (err instanceof AppError) return { environment, error: { message: err.message, ...(err.hint ? { hint: err.hint } : {}) } };
  // Never a stack trace; the message of an unexpected error is still shown.
  return { environment, error: { message: `internal error: ${err instanceof Error ? err.message : String(err)}`, hint: "this is a bug in sip-dispatch-sync; please report it" } };
}

export async function planAllEnvironments(config: string, values: ParsedFlags["values"], io: CliIo, format: PlanFormat): Promise<ExitCode> {
  if (stringFlag(values, "out") !== undefined) {
    throw new UsageError("--out cannot save a plan of every environment", "save one environment's plan with plan --env NAME --out PLAN.json (apply takes exactly one environment)");
  }
  if (stringFlag(values, "against") !== undefined) throw new UsageError("--against plans one saved state: it cannot stand for every environment", "pass --env NAME with --against");
  if (stringFlag(values, "url") !== undefined) throw new UsageError("--url names one server: it cannot stand for every environment", "each environment's `url` in the file is used; drop --url");
  const names = await environmentNames(config, values, io);
  const detailed = values["detailed-exitcode"] === true;
  // Concurrent: N environments cost about one round trip, not N.
  const results = await Promise.all(
    names.map(async (environment): Promise<{ section: EnvironmentSection; code: ExitCode }> => {
      try {
        const planned = await readAndPlan(config, values, io, environment);
        return { section: { environment, server: planned.client.server, plan: planned.plan, trunks: planned.trunks }, code: planExitCode(planned.plan, detailed) };
      } catch (err) {
        return { section: sectionError(environment, err), code: EXIT.error };
      }
    }),
  );
  const sections = results.map((r) => r.section);
  io.stdout.write(renderEnvironmentPlans(sections, format, { config, color: useColor(io) }));
  const summary = io.env.GITHUB_STEP_SUMMARY;
  if (summary) await appendFile(summary, `${renderEnvironmentPlans(sections, "markdown", { config })}\n`, "utf8");
  return Math.max(...results.map((r) => r.code)) as ExitCode;
}

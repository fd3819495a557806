// Process wiring for `validate`: read each rules file, check it offline, render every problem,
// exit 0 (all valid) or 1. Loads neither the server client nor the logger (start-up speed).
import { readFileSync, statSync } from "node:fs";
import { EXIT, type ExitCode } from "../../model/index.js";
import { DIAGNOSTICS_FORMATS, renderDiagnostics, type FileReport } from "../../render/diagnostics.js";
import { ALL_ENVIRONMENTS, MAX_FILE_BYTES, environmentNamesOfText, mergeEnvironmentDiagnostics, readRulesFile } from "../../rules-file/index.js";
import { COMMON_FLAGS, choiceFlag, configPath, parseFlags, stringFlag } from "../flags.js";
import type { CliIo } from "../io.js";

export const help = `Usage: sip-dispatch-sync validate [FILE...] [flags]

Check rules files offline: YAML syntax, the schema (schemas/dispatch-rules.schema.json),
\${VAR} interpolation from the environment, duplicate names, and rules the server would reject
as conflicting (same pin, trunk, inbound number and number). Contacts no server.
Every problem of every file is reported at once, with file:line:column, path and a hint.

Arguments:
  FILE...                 files to check (default: -c/--config, else $DISPATCH_RULES_FILE,
                          else ./dispatch-rules.yaml)

Flags:
  -c, --config FILE       rules file when no FILE is given
      --format FORMAT     text | json | github (default text); github prints
                          ::error file=F,line=L,col=C::message lines for GitHub Actions
      --env NAME          with \`environments:\` in the file: check only this environment
                          (default: every environment, whatever $DISPATCH_ENV says).
                          A problem found in only some environments starts with
                          "environment NAME:"

Exit codes: 0 every file valid, 1 a problem in any file (or bad flags).
`;

const FLAGS = { ...COMMON_FLAGS, format: { type: "string" }, env: { type: "string" } } as const;

/** The names under `environments:`, or undefined (none, or a file the load will report on). */
function readEnvironmentNames(file: string): string[] | undefined {
  try {
    // Only a regular file under the cap is read here (a FIFO would block); the load reports the rest.
    const info = statSync(file);
    if (!info.isFile() || info.size > MAX_FILE_BYTES) return undefined;
    return environmentNamesOfText(readFileSync(file, "utf8"), file);
  } catch {
    return undefined;
  }
}

export async function run(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const { values, positionals } = parseFlags("validate", args, FLAGS);
  const format = choiceFlag(values, "format", DIAGNOSTICS_FORMATS, "text");
  const files = positionals.length > 0 ? positionals : [configPath(values, io)];
  const reports: FileReport[] = [];
  // Every environment unless --env narrows it: $DISPATCH_ENV (set for a deploy job) does not.
  const asked = stringFlag(values, "env");
  for (const file of files) {
    const names = readEnvironmentNames(file);
    // SPEC §8: every environment of the file (or the one asked for), each with its own variables and rules.
    const targets = names === undefined ? [asked === ALL_ENVIRONMENTS ? undefined : asked] : asked === undefined || asked === ALL_ENVIRONMENTS ? names : [asked];
    const results = await Promise.all(targets.map(async (environment) => ({ environment, result: await readRulesFile(file, { env: io.env, environment }) })));
    const failed = results.some((r) => !r.result.ok);
    const diagnostics = mergeEnvironmentDiagnostics(
      results.map(({ environment, result }) => ({ name: environment ?? "", diagnostics: result.ok ? result.warnings : result.diagnostics })),
    );
    const rules = failed ? undefined : Math.max(...results.map((r) => (r.result.ok ? r.result.state.rules.length : 0)));
    reports.push({ file, rules, diagnostics });
  }
  io.stdout.write(renderDiagnostics(reports, format));
  const valid = reports.every((r) => r.diagnostics.every((d) => d.severity !== "error"));
  return valid ? EXIT.ok : EXIT.error;
}

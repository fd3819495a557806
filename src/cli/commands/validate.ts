// Process wiring for `validate`: read each rules file, check it offline, render every problem,
// exit 0 (all valid) or 1. Loads neither the server client nor the logger (start-up speed).
import { EXIT, type ExitCode } from "../../model/index.js";
import { DIAGNOSTICS_FORMATS, renderDiagnostics, type FileReport } from "../../render/diagnostics.js";
import { ALL_ENVIRONMENTS, mergeEnvironmentDiagnostics } from "../../rules-file/index.js";
import { choiceFlag, configPath, flagsFor, parseFlags, stringFlag, type ParsedFlags } from "../flags.js";
import { noteYamlFallback } from "../debug-note.js";
import { FILE_LIMIT_HELP, maxFileBytes } from "../file-limit.js";
import type { CliIo } from "../io.js";
import { totalSize, withoutOptimizingCompiler } from "../optimizing-compiler.js";
import { applyStrict, readRules } from "../rules-input.js";

export const help = `Usage: sip-dispatch-sync validate [FILE...] [flags]

Check rules files offline: YAML syntax, the schema (schemas/dispatch-rules.schema.json),
\${VAR} interpolation from the environment, duplicate names, and rules the server would reject
as conflicting (same pin, trunk, inbound number and number). Contacts no server.
Every problem of every file is reported at once, with file:line:column, path and a hint.

Arguments:
  FILE...                 files to check; - reads standard input. With -c as well, both are
                          checked. With neither: $DISPATCH_RULES_FILE, else
                          ./dispatch-rules.yaml, else ./dispatch-rules.yml

Flags:
  -c, --config FILE       a rules file to check (as well as every FILE)
      --format FORMAT     text | json | github (default text); github prints
                          ::error file=F,line=L,col=C::message lines for GitHub Actions
      --env NAME          with \`environments:\` in the file: check only this environment
                          (default: every environment, whatever $DISPATCH_ENV says).
                          A problem found in only some environments starts with
                          "environment NAME:"
      --strict            warnings are errors: a catch-all rule, a number that is not E.164,
                          a number in both numbers and inboundNumbers, a name outside manage.
                          "# sip-dispatch-sync: ignore[CODE]" on a rule's line silences one
${FILE_LIMIT_HELP}

Exit codes: 0 every file valid, 1 a problem in any file (or bad flags).
`;

export async function run(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const { values, positionals } = parseFlags("validate", args, flagsFor("validate"), { max: Infinity, usage: "FILE..." });
  const format = choiceFlag(values, "format", DIAGNOSTICS_FORMATS, "text");
  // `validate -c A B` checks A and B: neither is dropped.
  const config = stringFlag(values, "config");
  const files = config !== undefined && config !== "" ? [config, ...positionals] : positionals.length > 0 ? positionals : [configPath(values, io)];
  const limit = maxFileBytes(values, io.env);
  // Small files are checked before an optimising compile would pay back (optimizing-compiler.ts).
  const reports = await withoutOptimizingCompiler(totalSize(files), () => check(files, values, io, limit));
  io.stdout.write(renderDiagnostics(reports, format));
  const valid = reports.every((r) => r.diagnostics.every((d) => d.severity !== "error"));
  return valid ? EXIT.ok : EXIT.error;
}

/** Each file's report. */
async function check(files: readonly string[], values: ParsedFlags["values"], io: CliIo, limit: number): Promise<FileReport[]> {
  const reports: FileReport[] = [];
  // Every environment unless --env narrows it: $DISPATCH_ENV (set for a deploy job) does not.
  const asked = stringFlag(values, "env");
  for (const path of files) {
    const file = path === "-" ? "<stdin>" : path;
    // SPEC §8: every environment of the file (or the one asked for), each with its own variables
    // and rules. The file is loaded once as it is; only a file that defines environments (its load
    // stops at "name one", with their names) is loaded again per environment: a file without them
    // is parsed once.
    const one = asked === ALL_ENVIRONMENTS ? undefined : asked;
    const first = await readRules(path, io, limit, one);
    const names = one === undefined && !first.ok ? first.environments : undefined;
    const loads =
      names === undefined
        ? [{ environment: one, result: first }]
        : await Promise.all(names.map(async (environment) => ({ environment, result: await readRules(path, io, limit, environment) })));
    const results = loads.map(({ environment, result }) => ({ environment, result: applyStrict(result, values.strict === true) }));
    const failed = results.some((r) => !r.result.ok);
    const shown = results[0]?.result;
    if (shown?.ok) noteYamlFallback(values, io, file, shown.yamlFallback);
    const diagnostics = mergeEnvironmentDiagnostics(
      results.map(({ environment, result }) => ({ name: environment ?? "", diagnostics: result.ok ? result.warnings : result.diagnostics })),
    );
    const rules = failed ? undefined : Math.max(...results.map((r) => (r.result.ok ? r.result.state.rules.length : 0)));
    reports.push({ file, rules, diagnostics });
  }
  return reports;
}

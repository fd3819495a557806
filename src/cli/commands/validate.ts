// Process wiring for `validate`: read each rules file, check it offline, render every problem,
// exit 0 (all valid) or 1. Loads neither the server client nor the logger (start-up speed).
import { EXIT, type ExitCode } from "../../model/index.js";
import { DIAGNOSTICS_FORMATS, renderDiagnostics, type FileReport } from "../../render/diagnostics.js";
import { choiceFlag, configPath, flagsFor, parseFlags, stringFlag } from "../flags.js";
import { noteYamlFallback } from "../debug-note.js";
import { FILE_LIMIT_HELP, maxFileBytes } from "../file-limit.js";
import type { CliIo } from "../io.js";
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
  const reports: FileReport[] = [];
  for (const path of files) {
    const result = applyStrict(await readRules(path, io, limit), values.strict === true);
    const file = path === "-" ? "<stdin>" : path;
    if (result.ok) noteYamlFallback(values, io, file, result.yamlFallback);
    reports.push(result.ok ? { file, rules: result.state.rules.length, diagnostics: result.warnings } : { file, rules: undefined, diagnostics: result.diagnostics });
  }
  io.stdout.write(renderDiagnostics(reports, format));
  const valid = reports.every((r) => r.diagnostics.every((d) => d.severity !== "error"));
  return valid ? EXIT.ok : EXIT.error;
}

// Process wiring for `validate`: read each rules file, check it offline, render every problem,
// exit 0 (all valid) or 1. Loads neither the server client nor the logger (start-up speed).
import { EXIT, type ExitCode } from "../../model/index.js";
import { DIAGNOSTICS_FORMATS, renderDiagnostics, type FileReport } from "../../render/diagnostics.js";
import { readRulesFile } from "../../rules-file/index.js";
import { COMMON_FLAGS, choiceFlag, configPath, parseFlags } from "../flags.js";
import { noteYamlFallback } from "../debug-note.js";
import { FILE_LIMIT_FLAGS, FILE_LIMIT_HELP, maxFileBytes } from "../file-limit.js";
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
${FILE_LIMIT_HELP}

Exit codes: 0 every file valid, 1 a problem in any file (or bad flags).
`;

const FLAGS = { ...COMMON_FLAGS, ...FILE_LIMIT_FLAGS, format: { type: "string" } } as const;

export async function run(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const { values, positionals } = parseFlags("validate", args, FLAGS);
  const format = choiceFlag(values, "format", DIAGNOSTICS_FORMATS, "text");
  const files = positionals.length > 0 ? positionals : [configPath(values, io)];
  const limit = maxFileBytes(values, io.env);
  const reports: FileReport[] = [];
  for (const file of files) {
    const result = await readRulesFile(file, { env: io.env, maxFileBytes: limit });
    if (result.ok) noteYamlFallback(values, io, file, result.yamlFallback);
    reports.push(result.ok ? { file, rules: result.state.rules.length, diagnostics: result.warnings } : { file, rules: undefined, diagnostics: result.diagnostics });
  }
  io.stdout.write(renderDiagnostics(reports, format));
  const valid = reports.every((r) => r.diagnostics.every((d) => d.severity !== "error"));
  return valid ? EXIT.ok : EXIT.error;
}

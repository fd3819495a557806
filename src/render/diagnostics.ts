// Pure. Validation results (Diagnostic[] per file) as text, JSON (formatVersion 1) or GitHub
// workflow commands. No I/O; the caller writes the string.
import { assertNever, type Diagnostic } from "../model/index.js";

// Same escaping as github.ts (actions/toolkit escapeData/escapeProperty), repeated here so that
// `validate` does not load the plan renderers and core at start-up.
function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}
function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

export const DIAGNOSTICS_FORMATS = ["text", "json", "github"] as const;
export type DiagnosticsFormat = (typeof DIAGNOSTICS_FORMATS)[number];

/** The outcome of checking one file. `rules` is the number of rules when the file loaded. */
export interface FileReport {
  readonly file: string;
  readonly rules: number | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

function errorsOf(r: FileReport): number {
  return r.diagnostics.filter((d) => d.severity === "error").length;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function position(d: Diagnostic): string {
  return d.line > 0 ? `${d.file}:${d.line}:${d.column}` : d.file;
}

/** `FILE:LINE:COL: error: message (at path)` and `  hint: ...`. */
export function formatDiagnostic(d: Diagnostic): string {
  const lines = [`${position(d)}: ${d.severity}: ${d.message}${d.path ? ` (at ${d.path})` : ""}`];
  if (d.hint) lines.push(`  hint: ${d.hint}`);
  return lines.join("\n");
}

/** The closing line: every file valid, or how many errors in how many files. */
export function diagnosticsSummary(reports: readonly FileReport[]): string {
  const errors = reports.reduce((n, r) => n + errorsOf(r), 0);
  const failed = reports.filter((r) => errorsOf(r) > 0).length;
  if (errors === 0) return reports.length === 1 ? "valid" : `${plural(reports.length, "file")} valid`;
  return `${plural(errors, "error")} in ${plural(failed, "file")}`;
}

export function renderDiagnosticsText(reports: readonly FileReport[]): string {
  const lines: string[] = [];
  for (const r of reports) {
    for (const d of r.diagnostics) lines.push(formatDiagnostic(d));
    if (errorsOf(r) === 0) {
      const warnings = r.diagnostics.length;
      lines.push(`${r.file}: ${plural(r.rules ?? 0, "rule")}, valid${warnings > 0 ? ` (${plural(warnings, "warning")})` : ""}`);
    }
  }
  if (reports.some((r) => errorsOf(r) > 0)) lines.push(diagnosticsSummary(reports));
  return `${lines.join("\n")}\n`;
}

/** Stable keys, every key always present: `hint` null when there is none, `related` [] when none. */
export function diagnosticsJsonValue(reports: readonly FileReport[]) {
  return {
    formatVersion: 1,
    valid: reports.every((r) => errorsOf(r) === 0),
    files: reports.map((r) => ({
      file: r.file,
      valid: errorsOf(r) === 0,
      rules: r.rules ?? null,
      diagnostics: r.diagnostics.map((d) => ({
        code: d.code,
        severity: d.severity,
        message: d.message,
        hint: d.hint ?? null,
        file: d.file,
        line: d.line,
        column: d.column,
        path: d.path,
        related: (d.related ?? []).map((x) => ({ file: x.file, line: x.line, column: x.column, path: x.path })),
      })),
    })),
  };
}

export function renderDiagnosticsJson(reports: readonly FileReport[]): string {
  return `${JSON.stringify(diagnosticsJsonValue(reports), null, 2)}\n`;
}

/** `::error file=F,line=L,col=C::message` (line/col left out when unknown), then the summary. */
export function renderDiagnosticsGithub(reports: readonly FileReport[]): string {
  const lines: string[] = [];
  for (const r of reports) {
    for (const d of r.diagnostics) {
      // GitHub matches annotation paths against repository-relative paths: `./x.yaml` would not attach.
      const props = [`file=${escapeProperty(d.file.replace(/^(?:\.\/)+/, ""))}`];
      if (d.line > 0) props.push(`line=${d.line}`, `col=${d.column}`);
      const text = `${d.message}${d.path ? ` (at ${d.path})` : ""}${d.hint ? `\nhint: ${d.hint}` : ""}`;
      lines.push(`::${d.severity === "error" ? "error" : "warning"} ${props.join(",")}::${escapeData(text)}`);
    }
    if (errorsOf(r) === 0) lines.push(`${r.file}: ${plural(r.rules ?? 0, "rule")}, valid`);
  }
  if (reports.some((r) => errorsOf(r) > 0)) lines.push(diagnosticsSummary(reports));
  return `${lines.join("\n")}\n`;
}

export function renderDiagnostics(reports: readonly FileReport[], format: DiagnosticsFormat): string {
  switch (format) {
    case "text":
      return renderDiagnosticsText(reports);
    case "json":
      return renderDiagnosticsJson(reports);
    case "github":
      return renderDiagnosticsGithub(reports);
    default:
      return assertNever(format, "diagnostics format");
  }
}

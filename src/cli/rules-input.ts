// Process wiring. The rules file of a command: a path, or `-` for standard input (SPEC §3). A
// module of its own, small, so that `validate` loads no more than it needs at start-up.
import { loadRulesText, MAX_FILE_BYTES, readRulesFile, type LoadResult } from "../rules-file/index.js";
import type { Diagnostic } from "../model/index.js";
import type { CliIo } from "./io.js";

/** How standard input is named in diagnostics and plans. */
export const STDIN_NAME = "<stdin>";

/** The name a rules file is shown by: the path as given, or <stdin> for `-`. */
export function displayFile(path: string): string {
  return path === "-" ? STDIN_NAME : path;
}

/** Reads and checks the rules file at `path` (`-`: standard input, read once to its end) under the size cap (--max-file-size). */
export async function readRules(path: string, io: CliIo, maxFileBytes: number = MAX_FILE_BYTES): Promise<LoadResult> {
  const options = { env: io.env, maxFileBytes };
  if (path !== "-") return readRulesFile(path, options);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of io.stdin) {
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    // Past the cap the text is refused by loadRulesText; no need to hold more of it.
    if (size > maxFileBytes + 1) break;
    chunks.push(buf);
  }
  return loadRulesText(Buffer.concat(chunks), STDIN_NAME, options);
}

/** `--strict` (SPEC §2): the lints' warnings become errors. */
export function strictDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.map((d) => (d.severity === "warning" ? { ...d, severity: "error", hint: `${d.hint ?? ""}${d.hint ? " " : ""}(an error with --strict)` } : d));
}

/** A file's result under `--strict`: a valid file with warnings is invalid. */
export function applyStrict(result: LoadResult, strict: boolean): LoadResult {
  if (!strict || !result.ok || result.warnings.length === 0) return result;
  return { ok: false, diagnostics: strictDiagnostics(result.warnings) };
}

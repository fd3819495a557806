// Process wiring. The rules file of a command: a path, or `-` for standard input (SPEC §3). A
// module of its own, small, so that `validate` loads no more than it needs at start-up.
import { readFileSync, statSync } from "node:fs";
import { environmentNamesOfText, loadRulesText, MAX_FILE_BYTES, readRulesFile, type LoadResult } from "../rules-file/index.js";
import type { Diagnostic } from "../model/index.js";
import type { CliIo } from "./io.js";

/** How standard input is named in diagnostics and plans. */
export const STDIN_NAME = "<stdin>";

/** The name a rules file is shown by: the path as given, or <stdin> for `-`. */
export function displayFile(path: string): string {
  return path === "-" ? STDIN_NAME : path;
}

/** Standard input, read once to its end (or just past the cap) and kept: several environments load it again. */
let stdinBytes: Promise<Buffer> | undefined;
function readStdin(io: CliIo, maxFileBytes: number): Promise<Buffer> {
  stdinBytes ??= (async () => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of io.stdin) {
      const buf = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
      size += buf.length;
      // Past the cap the text is refused by loadRulesText; no need to hold more of it.
      if (size > maxFileBytes + 1) break;
      chunks.push(buf);
    }
    return Buffer.concat(chunks);
  })();
  return stdinBytes;
}

/**
 * Reads and checks the rules file at `path` (`-`: standard input, read once to its end) under the
 * size cap (--max-file-size), for `environment` (SPEC §8). `keep`: the state is used after the
 * load (LoadOptions.ownStrings).
 */
export async function readRules(path: string, io: CliIo, maxFileBytes: number = MAX_FILE_BYTES, environment?: string, keep = false): Promise<LoadResult> {
  const options = { env: io.env, maxFileBytes, environment, ownStrings: keep };
  if (path !== "-") return readRulesFile(path, options);
  return loadRulesText(await readStdin(io, maxFileBytes), STDIN_NAME, options);
}

/**
 * The names under the file's `environments:` (SPEC §8), or undefined when it defines none or
 * cannot be read or parsed (its load then says why). Only a regular file under the cap is read
 * (a FIFO would block).
 */
export async function readEnvironmentNames(path: string, io: CliIo, maxFileBytes: number = MAX_FILE_BYTES): Promise<string[] | undefined> {
  try {
    if (path === "-") return environmentNamesOfText((await readStdin(io, maxFileBytes)).toString("utf8"), STDIN_NAME);
    const info = statSync(path);
    if (!info.isFile() || info.size > maxFileBytes) return undefined;
    return environmentNamesOfText(readFileSync(path, "utf8"), path);
  } catch {
    return undefined;
  }
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

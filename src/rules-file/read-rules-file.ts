// I/O: the only file read of the rules file. Missing, directory, unreadable, too large or empty
// files become diagnostics at line 0; never throws for those. One-shot commands read one small
// file and then wait for it: synchronous calls spare the round trips through the thread pool
// that fs/promises' stat + open + fstat + read + close take (start-up time of every command).
import { readFileSync, statSync } from "node:fs";
import type { Diagnostic } from "../model/index.js";
import { fileTooLarge } from "./file-limit.js";
import { loadRulesText, MAX_FILE_BYTES, strictUtf8, type LoadOptions, type LoadResult } from "./load-rules-text.js";

function problem(file: string, code: string, message: string, hint: string): LoadResult {
  const d: Diagnostic = { code, severity: "error", message, hint, file, line: 0, column: 0, path: "" };
  return { ok: false, diagnostics: [d] };
}

const CONFIG_HINT = "pass the rules file with -c FILE (or set DISPATCH_RULES_FILE)";


export async function readRulesFile(path: string, options: LoadOptions): Promise<LoadResult> {
  const content = readContent(path, options);
  return "problem" in content ? content.problem : loadRulesText(content.text, path, options);
}

/**
 * The file's text, decoded here so that its bytes (as large as the text) are not held while the
 * text is parsed; a file that is not UTF-8 stays bytes, for the loader to locate the bad byte.
 */
function readContent(path: string, options: LoadOptions): { readonly text: string | Uint8Array } | { readonly problem: LoadResult } {
  let bytes: Uint8Array;
  try {
    const info = statSync(path);
    if (info.isDirectory()) return { problem: problem(path, "not-a-file", "is a directory, not a rules file", CONFIG_HINT) };
    if (!info.isFile()) return { problem: problem(path, "not-a-file", "is not a regular file", CONFIG_HINT) };
    const limit = options.maxFileBytes ?? MAX_FILE_BYTES;
    if (info.size > limit) return { problem: { ok: false, diagnostics: [fileTooLarge(path, info.size, limit)] } };
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { problem: problem(path, "file-not-found", "file not found", `create it, or ${CONFIG_HINT}`) };
    if (code === "EACCES" || code === "EPERM") return { problem: problem(path, "unreadable-file", "cannot read the file (permission denied)", "make the file readable by this user") };
    if (code === "ENOTDIR") return { problem: problem(path, "file-not-found", "file not found (a parent is not a directory)", CONFIG_HINT) };
    if (code === "EISDIR") return { problem: problem(path, "not-a-file", "is a directory, not a rules file", CONFIG_HINT) };
    return { problem: problem(path, "unreadable-file", `cannot read the file (${code ?? "unknown error"})`, "check the path and its permissions") };
  }
  return { text: strictUtf8(bytes) ?? bytes };
}

// I/O (node:fs). The --state file shared with `export --format json` and `plan --against`:
// {"formatVersion": 1, "items": [SIPDispatchRuleInfo as List emits it], "trunks": [SIPInboundTrunkInfo]}
// ("trunks" only when there are inbound trunks). Written atomically
// (temp file + rename) so a crash never leaves half a file.
import { readFileSync, renameSync, writeFileSync, existsSync, unlinkSync } from "node:fs";
import { dirname, basename, join } from "node:path";
import { AppError } from "../model/index.js";

export const STATE_FORMAT_VERSION = 1;
const HINT = "fix or delete the file, or pass another --state path";

/** `trunks` (the inbound trunks, SPEC §8) only when there are any: older readers see the same file. */
export function renderStateFile(items: readonly unknown[], trunks: readonly unknown[] = []): string {
  return `${JSON.stringify({ formatVersion: STATE_FORMAT_VERSION, items, ...(trunks.length > 0 ? { trunks } : {}) }, null, 2)}\n`;
}

/** The items of a state file, or undefined when the file does not exist. Throws AppError when unusable. */
export function readStateFile(path: string): unknown[] | undefined {
  if (!existsSync(path)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new AppError("bad-state-file", `state file ${path}: ${err instanceof Error ? err.message : String(err)}`, { hint: HINT });
  }
  const obj = typeof json === "object" && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
  if (obj === undefined || !Array.isArray(obj.items)) {
    throw new AppError("bad-state-file", `state file ${path}: expected {"formatVersion": 1, "items": [...]}`, { hint: HINT });
  }
  if (obj.formatVersion !== undefined && obj.formatVersion !== STATE_FORMAT_VERSION) {
    throw new AppError("bad-state-file", `state file ${path}: formatVersion ${JSON.stringify(obj.formatVersion)} is not supported`, { hint: HINT });
  }
  return obj.items as unknown[];
}

/** The inbound trunks of a state file ([] when it has none or does not exist). Throws AppError when unusable. */
export function readStateFileTrunks(path: string): unknown[] {
  if (!existsSync(path)) return [];
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new AppError("bad-state-file", `state file ${path}: ${err instanceof Error ? err.message : String(err)}`, { hint: HINT });
  }
  const trunks = (json as Record<string, unknown> | null)?.trunks;
  if (trunks === undefined) return [];
  if (!Array.isArray(trunks)) throw new AppError("bad-state-file", `state file ${path}: "trunks" is not a list`, { hint: HINT });
  return trunks as unknown[];
}

export function writeStateFileAtomic(path: string, items: readonly unknown[], trunks: readonly unknown[] = []): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, renderStateFile(items, trunks), { mode: 0o600 });
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // the temp file may not exist
    }
    throw err;
  }
}

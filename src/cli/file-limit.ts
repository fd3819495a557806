// Process wiring. --max-file-size SIZE, else $DISPATCH_MAX_FILE_SIZE, else the default cap
// (rules-file/file-limit.ts): the one place the commands that read or write a rules file get it.
import { UsageError } from "../model/index.js";
import { DEFAULT_MAX_FILE_BYTES, MAX_FILE_SIZE_ENV, MAX_FILE_SIZE_FLAG, parseByteSize } from "../rules-file/file-limit.js";
import type { ParsedFlags } from "./flags.js";

/** The help line of the flag, the same in every command that takes it. */
export const FILE_LIMIT_HELP = `      --max-file-size SIZE  rules-file size cap, e.g. 128MiB (default $${MAX_FILE_SIZE_ENV}, else 64MiB)`;

export function maxFileBytes(values: ParsedFlags["values"], env: NodeJS.ProcessEnv): number {
  const flag = values["max-file-size"];
  if (typeof flag === "string") return parse(flag, MAX_FILE_SIZE_FLAG);
  const fromEnv = env[MAX_FILE_SIZE_ENV];
  if (fromEnv !== undefined && fromEnv !== "") return parse(fromEnv, MAX_FILE_SIZE_ENV);
  return DEFAULT_MAX_FILE_BYTES;
}

function parse(text: string, source: string): number {
  const bytes = parseByteSize(text);
  if (bytes === undefined) throw new UsageError(`${source}: "${text}" is not a size`, "write bytes or a number with a unit, e.g. 128MiB, 100MB or 134217728");
  return bytes;
}

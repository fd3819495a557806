// Pure. The rules-file size cap: its default, the SIZE syntax of --max-file-size and
// $DISPATCH_MAX_FILE_SIZE, and the one "file-too-large" diagnostic every reader reports.
import type { Diagnostic } from "../model/index.js";

/**
 * 64 MiB. A realistic rule (roomConfig agent, attributes, metadata, numbers) is 300-400 bytes of
 * YAML: 100,000 of them are about 35 MB, so the default holds them with room to spare. The cap
 * guards memory and time against the wrong file (a log, a dump), not against a large project.
 */
export const DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024;

/** The flag and the environment variable that raise the cap (named in the too-large error). */
export const MAX_FILE_SIZE_FLAG = "--max-file-size";
export const MAX_FILE_SIZE_ENV = "DISPATCH_MAX_FILE_SIZE";

const UNITS: Readonly<Record<string, number>> = {
  "": 1,
  b: 1,
  k: 1000,
  kb: 1000,
  kib: 1024,
  m: 1000 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1000 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

/** `67108864`, `64MiB`, `100MB`, `1.5GiB` (case-insensitive) -> bytes; undefined when not a size. */
export function parseByteSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (m === null) return undefined;
  const unit = UNITS[(m[2] ?? "").toLowerCase()];
  if (unit === undefined) return undefined;
  const bytes = Math.floor(Number(m[1]) * unit);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}

/** `64 MiB`, `35.2 MB`-style text for messages: MiB with one decimal from 1 MiB up. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, "")} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1).replace(/\.0$/, "")} KiB`;
  return `${bytes} bytes`;
}

/** The error for a rules file over the cap, at line 0: it names how to raise the cap. */
export function fileTooLarge(file: string, size: number, limit: number): Diagnostic {
  return {
    code: "file-too-large",
    severity: "error",
    message: `the file is ${size} bytes (${formatBytes(size)}), over the limit of ${limit} bytes (${formatBytes(limit)})`,
    hint: `if this is the right file, raise the limit with ${MAX_FILE_SIZE_FLAG} SIZE or ${MAX_FILE_SIZE_ENV}=SIZE (e.g. ${suggestedLimit(size)})`,
    file,
    line: 0,
    column: 0,
    path: "",
  };
}

/** A round limit above `size`: the next power of two (KiB, or MiB from 1 MiB) with at least a quarter to spare. */
export function suggestedLimit(size: number): string {
  let kib = 1;
  while (kib * 1024 < size * 1.25) kib *= 2;
  return kib >= 1024 ? `${kib / 1024}MiB` : `${kib}KiB`;
}

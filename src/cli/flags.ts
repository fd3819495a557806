// Process wiring. Flag parsing shared by every command, on node:util parseArgs (strict).
import { parseArgs } from "node:util";
import { UsageError } from "../model/index.js";
import type { CliIo } from "./io.js";

export type FlagSpec = Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }>;

export const COMMON_FLAGS = {
  config: { type: "string", short: "c" },
  "log-level": { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const satisfies FlagSpec;

export const SERVER_FLAGS = {
  url: { type: "string" },
  "api-key": { type: "string" },
  "api-secret": { type: "string" },
  timeout: { type: "string" },
  "max-answer-bytes": { type: "string" },
  "max-list-pages": { type: "string" },
} as const satisfies FlagSpec;

export interface ParsedFlags {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
}

export function parseFlags(command: string, args: readonly string[], spec: FlagSpec): ParsedFlags {
  try {
    const { values, positionals } = parseArgs({ args: [...args], options: spec, allowPositionals: true, strict: true });
    return { values: values as ParsedFlags["values"], positionals };
  } catch (err) {
    const message = err instanceof Error ? err.message.replace(/\. To specify a positional argument.*$/s, "") : String(err);
    throw new UsageError(message, `run "sip-dispatch-sync ${command} --help" for the flags it takes`);
  }
}

/** `-c/--config`, else $DISPATCH_RULES_FILE, else ./dispatch-rules.yaml (SPEC §3). */
export function configPath(values: ParsedFlags["values"], io: CliIo): string {
  const v = values.config;
  if (typeof v === "string" && v !== "") return v;
  return io.env.DISPATCH_RULES_FILE || "./dispatch-rules.yaml";
}

export function stringFlag(values: ParsedFlags["values"], name: string): string | undefined {
  const v = values[name];
  return typeof v === "string" ? v : undefined;
}

export function choiceFlag<T extends string>(values: ParsedFlags["values"], name: string, choices: readonly T[], fallback: T): T {
  const v = stringFlag(values, name);
  if (v === undefined) return fallback;
  if ((choices as readonly string[]).includes(v)) return v as T;
  throw new UsageError(`--${name}: "${v}" is not one of ${choices.join(", ")}`, `use --${name} ${choices.join("|")}`);
}

/** `--concurrency N`: whole number 1..64, default 4 (SPEC §3). */
export function concurrencyFlag(values: ParsedFlags["values"]): number {
  const text = stringFlag(values, "concurrency");
  if (text === undefined) return 4;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`--concurrency: "${text}" is not a whole number from 1 to 64`, "for example --concurrency 4");
  return n;
}

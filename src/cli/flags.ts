// Process wiring. Flag parsing shared by every command: one table of every flag (FLAG_TABLE, the
// place to add one), a strict parser that names the closest known flag for an unknown one
// (`-auto-approve` -> `--auto-approve`), checks enum values, and rejects stray arguments.
import { existsSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { UsageError } from "../model/index.js";
import { closest } from "../rules-file/suggest.js";
import type { CliIo } from "./io.js";

export interface FlagDef {
  readonly type: "string" | "boolean";
  readonly short?: string;
  /** Repeatable: the value is a list of every occurrence. */
  readonly multiple?: boolean;
  /** The accepted values (checked while parsing), for every command or per command. */
  readonly choices?: readonly string[] | Readonly<Record<string, readonly string[]>>;
}

export type FlagSpec = Readonly<Record<string, FlagDef>>;

/** Commands that talk to a LiveKit server. */
const SERVER_COMMANDS = ["plan", "apply", "export", "watch", "doctor"] as const;
const ALL_COMMANDS = ["validate", ...SERVER_COMMANDS, "emulator"] as const;

/**
 * Every flag of every command, one row each: its type, short form, accepted values, and the
 * commands that take it. `flagsFor(command)` builds a command's spec from it.
 */
export const FLAG_TABLE: Readonly<Record<string, FlagDef & { readonly commands: readonly string[] }>> = {
  config: { type: "string", short: "c", commands: ALL_COMMANDS.filter((c) => c !== "emulator") },
  "log-level": { type: "string", choices: ["trace", "debug", "info", "warn", "error", "fatal", "silent"], commands: ALL_COMMANDS },
  "log-format": { type: "string", choices: ["text", "json"], commands: ["apply"] },
  help: { type: "boolean", short: "h", commands: ALL_COMMANDS },
  version: { type: "boolean", commands: ALL_COMMANDS },
  "no-color": { type: "boolean", commands: ["plan", "apply", "doctor"] },
  // SPEC §8: the file's environment (default $DISPATCH_ENV); validate narrows to one with it.
  env: { type: "string", commands: [...SERVER_COMMANDS, "validate"] },
  url: { type: "string", commands: SERVER_COMMANDS },
  "api-key": { type: "string", commands: [...SERVER_COMMANDS, "emulator"] },
  "api-secret": { type: "string", commands: [...SERVER_COMMANDS, "emulator"] },
  timeout: { type: "string", commands: SERVER_COMMANDS },
  // SPEC §5 bounds of a List answer (issue #12).
  "max-answer-bytes": { type: "string", commands: SERVER_COMMANDS },
  "max-list-pages": { type: "string", commands: SERVER_COMMANDS },
  format: {
    type: "string",
    choices: { validate: ["text", "json", "github"], plan: ["text", "json", "markdown", "github"], export: ["yaml", "json"], doctor: ["text", "json"] },
    commands: ["validate", "plan", "export", "doctor"],
  },
  strict: { type: "boolean", commands: ["validate", "plan", "apply"] },
  out: { type: "string", commands: ["plan", "apply"] },
  "detailed-exitcode": { type: "boolean", commands: ["plan"] },
  against: { type: "string", commands: ["plan"] },
  names: { type: "string", multiple: true, commands: ["plan", "apply", "export"] },
  "auto-approve": { type: "boolean", commands: ["apply"] },
  force: { type: "boolean", commands: ["apply"] },
  concurrency: { type: "string", commands: ["apply", "watch"] },
  "include-pins": { type: "boolean", commands: ["export"] },
  from: { type: "string", commands: ["export"] },
  "trunk-names": { type: "boolean", commands: ["export"] },
  interval: { type: "string", commands: ["watch"] },
  debounce: { type: "string", commands: ["watch"] },
  listen: { type: "string", commands: ["watch", "emulator"] },
  "dry-run": { type: "boolean", commands: ["watch"] },
  state: { type: "string", commands: ["emulator"] },
  trunk: { type: "string", multiple: true, commands: ["emulator"] },
  "newer-server": { type: "boolean", commands: ["emulator"] },
  "max-file-size": { type: "string", commands: ["validate", "plan", "apply", "watch", "export"] },
};

/** The spec of one command's flags, from FLAG_TABLE. */
export function flagsFor(command: string): FlagSpec {
  const spec: Record<string, FlagDef> = {};
  for (const [name, def] of Object.entries(FLAG_TABLE)) {
    if (!def.commands.includes(command)) continue;
    const { commands: _commands, ...flag } = def;
    spec[name] = flag;
  }
  return spec;
}

function pick(names: readonly string[]): FlagSpec {
  return Object.fromEntries(names.map((n) => [n, FLAG_TABLE[n] as FlagDef]));
}

export const COMMON_FLAGS = pick(["config", "log-level", "help", "version"]);
export const SERVER_FLAGS = pick(["env", "url", "api-key", "api-secret", "timeout", "max-answer-bytes", "max-list-pages"]);

export interface ParsedFlags {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
}

export interface ArgsSpec {
  /** How many positional arguments the command takes (default 0). */
  readonly max?: number;
  /** How they are shown in messages, e.g. "FILE..." or "[PLAN.json]". */
  readonly usage?: string;
}

function helpHint(command: string): string {
  return `run "sip-dispatch-sync ${command} --help" for the flags it takes`;
}

function unknownFlag(command: string, arg: string, spec: FlagSpec): UsageError {
  const bare = arg.replace(/^-+/, "").replace(/=.*$/s, "");
  const names = Object.keys(spec);
  // `-auto-approve` (one dash, as terraform spells it) or `--Config`: the same name.
  const exact = names.find((n) => n === bare) ?? names.find((n) => n.toLowerCase() === bare.toLowerCase());
  const near = exact ?? closest(bare, names);
  const hint = near === undefined ? helpHint(command) : `did you mean --${near}? (${helpHint(command)})`;
  return new UsageError(`${command}: unknown flag "${arg}"`, hint);
}

function checkChoice(command: string, name: string, def: FlagDef, value: string): void {
  const choices = Array.isArray(def.choices) ? (def.choices as readonly string[]) : (def.choices as Record<string, readonly string[]> | undefined)?.[command];
  if (choices === undefined || choices.includes(value)) return;
  const near = closest(value, choices);
  throw new UsageError(
    `--${name}: "${value}" is not one of ${choices.join(", ")}`,
    near === undefined ? `use --${name} ${choices.join("|")}` : `did you mean --${name} ${near}?`,
  );
}

/**
 * Parses `args` against `spec`: `--name value`, `--name=value`, `-c value`, `-cvalue`, `--` ends
 * the flags, `-` alone is a positional (standard input). Unknown flags, missing values, values of
 * an enum flag outside its choices and more positionals than `args.max` are UsageErrors.
 */
export function parseFlags(command: string, args: readonly string[], spec: FlagSpec, positionalSpec: ArgsSpec = {}): ParsedFlags {
  const values: ParsedFlags["values"] = {};
  const positionals: string[] = [];
  const byShort = new Map<string, string>();
  for (const [name, def] of Object.entries(spec)) if (def.short !== undefined) byShort.set(def.short, name);

  const set = (name: string, def: FlagDef, value: string | boolean) => {
    if (typeof value === "string") checkChoice(command, name, def, value);
    if (def.multiple === true && typeof value === "string") {
      const list = values[name];
      values[name] = Array.isArray(list) ? [...list, value] : [value];
    } else values[name] = value;
  };

  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg === "-" || !arg.startsWith("-")) {
      positionals.push(arg);
      continue;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      if (eq >= 0) inline = arg.slice(eq + 1);
      if (!Object.hasOwn(spec, name)) throw unknownFlag(command, arg, spec);
    } else {
      const short = byShort.get(arg[1] as string);
      const shortDef = short === undefined ? undefined : spec[short];
      // `-cFILE` for a short string flag; anything else longer than `-x` is a misspelt long flag.
      if (short === undefined || shortDef === undefined || (arg.length > 2 && shortDef.type !== "string") || Object.hasOwn(spec, arg.slice(1))) {
        throw unknownFlag(command, arg, spec);
      }
      name = short;
      if (arg.length > 2) inline = arg.slice(2);
    }
    const def = spec[name] as FlagDef;
    if (def.type === "boolean") {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value, got "${arg}"`, `write --${name} alone`);
      set(name, def, true);
      continue;
    }
    if (inline === undefined) {
      const next = args[i + 1];
      if (next === undefined || (next.startsWith("-") && next !== "-" && isKnownFlag(next, spec, byShort))) {
        throw new UsageError(`--${name} needs a value`, helpHint(command));
      }
      inline = next;
      i += 1;
    }
    set(name, def, inline);
  }

  const max = positionalSpec.max ?? 0;
  if (positionals.length > max) {
    const stray = positionals.slice(max);
    const list = stray.map((p) => JSON.stringify(p)).join(", ");
    const looksLikeFile = stray.some((p) => /\.ya?ml$/i.test(p) || p === "-");
    if (max === 0) {
      const hint = looksLikeFile && Object.hasOwn(spec, "config") ? `to use another rules file: sip-dispatch-sync ${command} -c ${stray[0]}` : helpHint(command);
      throw new UsageError(`${command} takes no arguments, got ${list}`, hint);
    }
    throw new UsageError(`${command} takes at most ${max} argument${max === 1 ? "" : "s"} (${positionalSpec.usage ?? ""}), got also ${list}`, helpHint(command));
  }
  return { values, positionals };
}

function isKnownFlag(arg: string, spec: FlagSpec, byShort: ReadonlyMap<string, string>): boolean {
  if (arg.startsWith("--")) return Object.hasOwn(spec, arg.slice(2).replace(/=.*$/s, ""));
  return arg.length === 2 && byShort.has(arg[1] as string);
}

/**
 * `-c/--config`, else $DISPATCH_RULES_FILE, else ./dispatch-rules.yaml, else ./dispatch-rules.yml
 * when only that exists (SPEC §3). `-` is standard input.
 */
export function configPath(values: ParsedFlags["values"], io: CliIo): string {
  const v = values.config;
  if (typeof v === "string" && v !== "") return v;
  if (io.env.DISPATCH_RULES_FILE) return io.env.DISPATCH_RULES_FILE;
  return defaultConfigPath(io);
}

/** ./dispatch-rules.yaml, or ./dispatch-rules.yml when only that exists. */
export function defaultConfigPath(io: CliIo): string {
  const at = (p: string) => (isAbsolute(io.cwd) ? join(io.cwd, p) : p);
  if (!existsSync(at("dispatch-rules.yaml")) && existsSync(at("dispatch-rules.yml"))) return "./dispatch-rules.yml";
  return "./dispatch-rules.yaml";
}

export function stringFlag(values: ParsedFlags["values"], name: string): string | undefined {
  const v = values[name];
  return typeof v === "string" ? v : Array.isArray(v) ? v[v.length - 1] : undefined;
}

/** Every value of a repeatable flag (`--names a --names b`), [] when absent. */
export function listFlag(values: ParsedFlags["values"], name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? v : typeof v === "string" ? [v] : [];
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

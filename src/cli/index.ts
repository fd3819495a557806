// Process wiring. Picks the command, lazy-loads only its module (start-up speed), and formats
// fatal errors for the terminal. Commands read, decide, render, then act (STYLE §8.2).
import { readFileSync } from "node:fs";
import { AppError, ConfigError, EXIT, type ExitCode } from "../model/index.js";
import { closest } from "../rules-file/suggest.js";
import type { CommandModule } from "./command.js";
import type { CliIo } from "./io.js";

export { processIo } from "./io.js";
export type { CliIo } from "./io.js";

const COMMANDS: Readonly<Record<string, { summary: string; load: () => Promise<CommandModule> }>> = {
  validate: { summary: "check rules files offline (schema, interpolation, names, conflicts)", load: () => import("./commands/validate.js") },
  plan: { summary: "list the server and print what apply would change", load: () => import("./commands/plan.js") },
  apply: { summary: "plan, then create, update and delete rules", load: () => import("./commands/apply.js") },
  watch: { summary: "run as a daemon: reconcile on file change and on an interval", load: () => import("./commands/watch.js") },
  export: { summary: "write the server's rules as a dispatch-rules.yaml", load: () => import("./commands/export.js") },
  emulator: { summary: "run a local in-memory LiveKit SIP API for tests and demos", load: () => import("./commands/emulator.js") },
  doctor: { summary: "check the file, the credentials and the server, all at once (read-only)", load: () => import("./commands/doctor.js") },
};

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    "Usage: sip-dispatch-sync <command> [flags]",
    "",
    "Keeps the SIP dispatch rules of a LiveKit project equal to dispatch-rules.yaml.",
    "",
    "Commands:",
    ...lines,
    "",
    "Flags for every command:",
    "  -c, --config FILE    rules file (default $DISPATCH_RULES_FILE, else ./dispatch-rules.yaml,",
    "                       else ./dispatch-rules.yml); - reads standard input",
    "      --log-level L    trace|debug|info|warn|error|silent (default $LOG_LEVEL, else info)",
    "  -h, --help           show help",
    "      --version        print the version",
    "",
    'Run "sip-dispatch-sync help <command>" (or "<command> --help") for the flags of a command.',
    "",
  ].join("\n");
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const [first, ...rest] = argv;
  // `help COMMAND` is `COMMAND --help`.
  if (first === "help" && rest.length > 0) return runCli([...rest.slice(0, 1), "--help"], io);
  if (first === undefined || first === "--help" || first === "-h" || first === "help") {
    io.stdout.write(usage());
    return first === undefined ? EXIT.error : EXIT.ok;
  }
  if (first === "--version" || first === "-v") {
    io.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  const entry = COMMANDS[first];
  if (!entry) {
    const near = first.startsWith("-") ? undefined : closestCommand(first);
    const hint = near === undefined ? `one of ${Object.keys(COMMANDS).join(", ")}; see sip-dispatch-sync --help` : `did you mean "${near}"? (commands: ${Object.keys(COMMANDS).join(", ")})`;
    io.stderr.write(`error: unknown ${first.startsWith("-") ? "flag" : "command"} "${first}"\n  hint: ${hint}\n`);
    return EXIT.error;
  }
  const mod = await entry.load();
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout.write(mod.help.endsWith("\n") ? mod.help : `${mod.help}\n`);
    return EXIT.ok;
  }
  if (rest.includes("--version")) {
    io.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  try {
    return await mod.run(rest, io);
  } catch (err) {
    const { text, exitCode } = formatFatal(err, io.env);
    io.stderr.write(text);
    return exitCode;
  }
}

function closestCommand(word: string): string | undefined {
  return closest(word, Object.keys(COMMANDS));
}

/** One readable error, never a stack trace (set SIP_DISPATCH_SYNC_DEBUG=1 to see it). */
export function formatFatal(err: unknown, env: NodeJS.ProcessEnv): { text: string; exitCode: ExitCode } {
  const debug = env.SIP_DISPATCH_SYNC_DEBUG === "1";
  if (err instanceof ConfigError) {
    const lines = err.diagnostics.map((d) => {
      const at = d.line > 0 ? `${d.file}:${d.line}:${d.column}` : d.file;
      return `${at}: error: ${d.message}${d.path ? ` (at ${d.path})` : ""}${d.hint ? `\n  hint: ${d.hint}` : ""}`;
    });
    return { text: `${lines.join("\n")}\n`, exitCode: err.exitCode };
  }
  if (err instanceof AppError) {
    const hint = err.hint ? `\n  hint: ${err.hint}` : "";
    return { text: `error: ${err.message}${hint}\n${debug && err.stack ? `${err.stack}\n` : ""}`, exitCode: err.exitCode };
  }
  const message = err instanceof Error ? err.message : String(err);
  return {
    text: `error: internal error: ${message}\n  hint: this is a bug in sip-dispatch-sync; please report it with the command line you ran\n${debug && err instanceof Error && err.stack ? `${err.stack}\n` : ""}`,
    exitCode: EXIT.error,
  };
}

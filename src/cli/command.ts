// Process wiring. The shape every command module has.
import type { ExitCode } from "../model/index.js";
import type { CliIo } from "./io.js";

export interface CommandModule {
  /** Full --help text of the command. */
  readonly help: string;
  run(args: readonly string[], io: CliIo): Promise<ExitCode>;
}

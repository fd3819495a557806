// Process wiring shared by `plan` and `apply`: read the file (for one environment, SPEC §8) and
// the server, resolve trunk names, and plan. `plan --env all` runs it once per environment,
// concurrently.
import { planListed } from "../apply/index.js";
import { resolveTrunkNames, type ResolvedTrunk } from "../core/index.js";
import type { HttpSipClient } from "../livekit/index.js";
import { ConfigError, withMoreWarnings, type DesiredState, type Diagnostic, type Plan, type RemoteRule } from "../model/index.js";
import type { ParsedFlags } from "./flags.js";
import type { CliIo } from "./io.js";
import { noteServerVersion } from "./debug-note.js";
import { loadDesiredAndList, type ClientHooks } from "./load.js";

export interface ServerPlan {
  readonly desired: DesiredState;
  /** The file's lint warnings (valid file). */
  readonly warnings: readonly Diagnostic[];
  readonly client: HttpSipClient;
  readonly remote: readonly RemoteRule[];
  readonly plan: Plan;
  /** The environment planned, when the file defines environments. */
  readonly environment: string | undefined;
  /** The `trunks:` names of the file with the IDs they resolved to (SPEC §8). */
  readonly trunks: readonly ResolvedTrunk[];
}

export interface ReadAndPlanOptions {
  readonly hooks?: ClientHooks;
  /** --strict: the file's warnings are errors. */
  readonly strict?: boolean;
  /** `--names` globs: the plan is limited to them. */
  readonly names?: readonly string[];
  /** The plan's notes from the file's warnings (plan.ts lintNotes). */
  readonly notes?: (warnings: readonly Diagnostic[]) => readonly string[];
}

export async function readAndPlan(config: string, values: ParsedFlags["values"], io: CliIo, environment?: string, options: ReadAndPlanOptions = {}): Promise<ServerPlan> {
  const loaded = await loadDesiredAndList(config, values, io, options.hooks, options.strict === true, environment);
  const { client, remote, fingerprintKey } = loaded;
  noteServerVersion(values, io, client.server, client.versionFloor?.());
  // SPEC §8: names become IDs before the plan, so the diff and the conflict check work on IDs;
  // an unresolved name stops here (ConfigError at the rule's line: nothing is applied).
  let desired = loaded.desired;
  let trunkWarnings: readonly string[] = [];
  let trunks: readonly ResolvedTrunk[] = [];
  if (loaded.trunks !== undefined) {
    const resolution = resolveTrunkNames(desired, loaded.trunks);
    if (resolution.diagnostics.length > 0) throw new ConfigError(resolution.diagnostics);
    ({ state: desired, warnings: trunkWarnings, resolved: trunks } = resolution);
  }
  const planned = await planListed(desired, remote, () => client.supportsUpdate(), {
    ...(options.names === undefined ? {} : { names: options.names }),
    ...(options.notes === undefined ? {} : { notes: options.notes(loaded.warnings) }),
    fingerprintKey,
  });
  const plan = withMoreWarnings(planned, trunkWarnings);
  return { desired, warnings: loaded.warnings, client, remote, plan, environment: desired.environment?.name, trunks };
}

// Process wiring shared by `plan` and `apply`: read the file (for one environment, SPEC §8) and
// the server, and plan. `plan --env all` runs it once per environment, concurrently.
import { planWithProbe } from "../apply/index.js";
import { resolveTrunkNames, type ResolvedTrunk } from "../core/index.js";
import type { HttpSipClient } from "../livekit/index.js";
import { ConfigError, type DesiredState, type Plan, type RemoteRule } from "../model/index.js";
import type { ParsedFlags } from "./flags.js";
import type { CliIo } from "./io.js";
import { loadDesiredAndList } from "./load.js";

export interface ServerPlan {
  readonly desired: DesiredState;
  readonly client: HttpSipClient;
  readonly remote: readonly RemoteRule[];
  readonly plan: Plan;
  /** The environment planned, when the file defines environments. */
  readonly environment: string | undefined;
  /** The `trunks:` names of the file with the IDs they resolved to (SPEC §8). */
  readonly trunks: readonly ResolvedTrunk[];
}

export async function readAndPlan(config: string, values: ParsedFlags["values"], io: CliIo, environment?: string): Promise<ServerPlan> {
  const loaded = await loadDesiredAndList(config, values, io, undefined, environment);
  const { client, remote } = loaded;
  // SPEC §8: names become IDs before the plan, so the diff and the conflict check work on IDs;
  // an unresolved name stops here (ConfigError at the rule's line: nothing is applied).
  let desired = loaded.desired;
  let warnings: readonly string[] = [];
  let trunks: readonly ResolvedTrunk[] = [];
  if (loaded.trunks !== undefined) {
    const resolution = resolveTrunkNames(desired, loaded.trunks);
    if (resolution.diagnostics.length > 0) throw new ConfigError(resolution.diagnostics);
    ({ state: desired, warnings, resolved: trunks } = resolution);
  }
  const planned = await planWithProbe(desired, remote, () => client.supportsUpdate(), loaded.fingerprintKey);
  const plan = warnings.length === 0 ? planned : { ...planned, warnings: [...planned.warnings, ...warnings] };
  return { desired, client, remote, plan, environment: desired.environment?.name, trunks };
}

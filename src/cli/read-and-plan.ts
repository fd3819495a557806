// Process wiring shared by `plan` and `apply`: read the file (for one environment, SPEC §8) and
// the server, and plan. `plan --env all` runs it once per environment, concurrently.
import { planWithProbe } from "../apply/index.js";
import type { DesiredState, Plan, RemoteRule, SipClient } from "../model/index.js";
import type { ParsedFlags } from "./flags.js";
import type { CliIo } from "./io.js";
import { loadDesiredAndList } from "./load.js";

export interface ServerPlan {
  readonly desired: DesiredState;
  readonly client: SipClient;
  readonly remote: readonly RemoteRule[];
  readonly plan: Plan;
  /** The environment planned, when the file defines environments. */
  readonly environment: string | undefined;
}

export async function readAndPlan(config: string, values: ParsedFlags["values"], io: CliIo, environment?: string): Promise<ServerPlan> {
  const { desired, client, remote } = await loadDesiredAndList(config, values, io, undefined, environment);
  const plan = await planWithProbe(desired, remote, () => client.supportsUpdate());
  return { desired, client, remote, plan, environment: desired.environment?.name };
}

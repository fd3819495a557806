// Orchestration through the SipClient interface (no I/O of its own): list the server and plan.
// Whether updates go through UpdateSIPDispatchRule comes from the client without a request (SPEC
// §4: read-only commands send List only): it is assumed until an Update of this client answered
// the server's Twirp bad_route (a daemon then plans "delete + create" from the next run on).
import { planChanges, type FingerprintKey } from "../core/index.js";
import type { DesiredState, Plan, RemoteRule, SipClient } from "../model/index.js";

export interface ServerPlan {
  readonly plan: Plan;
  readonly remote: readonly RemoteRule[];
}

export async function planAgainstServer(desired: DesiredState, client: SipClient): Promise<ServerPlan> {
  const remote = await client.listRules();
  return { plan: await planListed(desired, remote, () => client.supportsUpdate()), remote };
}

/**
 * The plan of `desired` against rules already listed. No request is sent (read-only means
 * read-only, SPEC §4): `supportsUpdate` is what the client knows without one (assumed true until
 * an Update of this client met a Twirp bad_route), asked only when the plan holds an update.
 */
export async function planListed(
  desired: DesiredState,
  remote: readonly RemoteRule[],
  supportsUpdate: () => Promise<boolean>,
  options: { readonly names?: readonly string[]; readonly notes?: readonly string[]; readonly fingerprintKey?: FingerprintKey } = {},
): Promise<Plan> {
  const plan = planChanges(desired, remote, { ...options, updateSupported: true });
  const needsUpdate = plan.changes.some((c) => c.action === "update" && c.method === "replace");
  if (!needsUpdate || (await supportsUpdate())) return plan;
  return planChanges(desired, remote, { ...options, updateSupported: false });
}

// Pure orchestration. The applier's public surface.
export { applyPlan } from "./apply-plan.js";
export type { ApplyDeps, ApplyLogger, ApplyReport, OperationOutcome, OperationStatus } from "./apply-plan.js";
export { planAgainstServer, planListed } from "./plan-against-server.js";
export type { ServerPlan } from "./plan-against-server.js";

// Pure. The core's public surface: normalise, diff, match, plan, order, fingerprint, mask, export.
export { normalizeRule } from "./normalize.js";
export { diffFields, rulesEqual } from "./diff-fields.js";
export { matchesManage } from "./ownership.js";
export { planChanges, type PlanOptions } from "./plan-changes.js";
export { orderChanges } from "./order-changes.js";
export { fingerprintRules } from "./fingerprint.js";
export { maskSpec, SENSITIVE } from "./mask-secrets.js";
export { exportSpecs, pinPlaceholderVar } from "./export-specs.js";
export { canonicalJson } from "./canonical-json.js";
export { needsTrunkList, resolveTrunkNames, type ResolvedTrunk, type TrunkResolution } from "./trunk-names.js";

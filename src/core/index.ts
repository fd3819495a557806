// Pure. The core's public surface: normalise, diff, match, plan, order, fingerprint, mask, export.
export { normalizeRule } from "./normalize.js";
export { diffFields, rulesEqual } from "./diff-fields.js";
export { matchesManage } from "./ownership.js";
export { planChanges, type PlanOptions } from "./plan-changes.js";
export { orderChanges } from "./order-changes.js";
export { pinRemovalRefusal } from "./check-safety.js";
export { fingerprintRules, type FingerprintKey } from "./fingerprint.js";
export { maskSpec, secretsOf, SENSITIVE } from "./mask-secrets.js";
export { exportRules, exportSpecs, pinPlaceholderVar, type Placeholder } from "./export-specs.js";
export { canonicalJson } from "./canonical-json.js";
export { needsTrunkList, resolveTrunkNames, type ResolvedTrunk, type TrunkResolution } from "./trunk-names.js";

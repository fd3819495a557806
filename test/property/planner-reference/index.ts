// The reference planner (src/core before the speed-up), for planner-fastpaths.test.ts only.
export { normalizeRule } from "./normalize.js";
export { diffFields, rulesEqual } from "./diff-fields.js";
export { planChanges } from "./plan-changes.js";
export { orderChanges } from "./order-changes.js";
export { fingerprintRules } from "./fingerprint.js";
export { canonicalJson, deepEqual } from "./canonical-json.js";
export { checkUnmanagedConflicts, preExistingConflictWarnings } from "./check-conflicts.js";

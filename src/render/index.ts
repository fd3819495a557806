// Pure. The renderers' public surface: one function per output format, no I/O.
export * from "./diagnostics.js";
export { renderPlan, PLAN_FORMATS, type PlanFormat } from "./render-plan.js";
export { renderPlanText } from "./text.js";
export { renderPlanJson, planJsonValue, type PlanContext } from "./json.js";
export { renderPlanMarkdown, escapeMarkdown } from "./markdown.js";
export { renderPlanGithub, escapeData, escapeProperty } from "./github.js";
export { parsePlanJson, savedPlanChangesDigest, type SavedPlan } from "./parse-plan.js";
export { planChangesDigest, changeEntry, type ChangeEntry, type FieldEntry } from "./plan-entries.js";
export { approvalQuestion, planHeader, summaryLine } from "./format-value.js";

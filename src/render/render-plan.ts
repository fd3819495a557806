// Pure. Chooses the renderer for a plan output format (SPEC §3 `--format`).
import { assertNever, type Plan } from "../model/index.js";
import { renderPlanGithub } from "./github.js";
import { renderPlanJson, type PlanContext } from "./json.js";
import { renderPlanMarkdown } from "./markdown.js";
import { renderPlanText } from "./text.js";

export type PlanFormat = "text" | "json" | "markdown" | "github";
export const PLAN_FORMATS: readonly PlanFormat[] = ["text", "json", "markdown", "github"];

export function renderPlan(plan: Plan, format: PlanFormat, ctx: PlanContext & { color?: boolean }): string {
  switch (format) {
    case "text":
      return renderPlanText(plan, { color: ctx.color ?? false, context: ctx });
    case "json":
      return renderPlanJson(plan, ctx);
    case "markdown":
      return renderPlanMarkdown(plan, ctx);
    case "github":
      return renderPlanGithub(plan, ctx);
    default:
      return assertNever(format, "plan format");
  }
}

// Pure. The plan as JSON (SPEC §3, schemas/plan.schema.json): stable key order, formatVersion 1,
// pins masked. Also the `--out PLAN.json` file.
import { safeJson, type Plan } from "../model/index.js";
import { changeEntry } from "./plan-entries.js";

export interface PlanContext {
  /** The config file path as the user gave it. */
  readonly config: string;
  /** The server's HTTP base URL (or the --against file). */
  readonly server: string;
  /** The environment planned (`--env`), when the file has several. */
  readonly environment?: string;
}

export function planJsonValue(plan: Plan, ctx: PlanContext) {
  const s = plan.summary;
  const r = plan.refusal;
  return {
    formatVersion: 1 as const,
    config: ctx.config,
    server: ctx.server,
    fingerprint: plan.fingerprint,
    summary: {
      create: s.create,
      update: s.update,
      delete: s.delete,
      unchanged: s.unchanged,
      unmanaged: s.unmanaged,
      kept: s.kept,
      outsideManage: s.outsideManage,
      outsideNames: s.outsideNames,
    },
    safe: r === null,
    refusal: r === null ? null : { code: r.code, message: r.message, hint: r.hint, forceable: r.forceable },
    changes: plan.changes.map(changeEntry),
    warnings: [...plan.warnings],
  };
}

/** Pretty-printed JSON with a trailing newline. */
export function renderPlanJson(plan: Plan, ctx: PlanContext): string {
  return `${safeJson(planJsonValue(plan, ctx), 2)}\n`;
}

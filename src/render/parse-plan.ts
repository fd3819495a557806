// Pure. Reads a saved plan file (`plan --out PLAN.json`) back, checking its shape; bad input is an
// AppError "bad-plan-file" with a hint, never a stack trace.
import { canonicalJson } from "../core/index.js";
import { AppError, type PlanSummary } from "../model/index.js";

export interface SavedPlan {
  readonly formatVersion: 1;
  readonly config: string;
  readonly server: string;
  readonly fingerprint: string;
  readonly summary: PlanSummary;
  readonly safe: boolean;
  readonly changes: readonly unknown[];
}

const HINT = "pass a file written by `sip-dispatch-sync plan --out PLAN.json` (formatVersion 1), or run apply without a plan file";
const ACTIONS = new Set(["create", "update", "delete"]);

function bad(message: string): AppError {
  return new AppError("bad-plan-file", `not a valid plan file: ${message}`, { hint: HINT });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function count(summary: Record<string, unknown>, key: keyof PlanSummary): number {
  const v = summary[key];
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw bad(`summary.${key} must be a non-negative integer`);
  return v;
}

export function parsePlanJson(text: string): SavedPlan {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw bad("it is not JSON");
  }
  if (!isObject(data)) throw bad("the top level must be an object");
  if (data.formatVersion !== 1) throw bad(`formatVersion must be 1, found ${JSON.stringify(data.formatVersion) ?? "nothing"}`);
  for (const key of ["config", "server", "fingerprint"] as const) {
    if (typeof data[key] !== "string") throw bad(`${key} must be a string`);
  }
  if (!/^sha256:[0-9a-f]{64}$/.test(data.fingerprint as string)) throw bad("fingerprint must look like sha256:<64 hex digits>");
  if (!isObject(data.summary)) throw bad("summary must be an object");
  const s = data.summary;
  const summary: PlanSummary = {
    create: count(s, "create"),
    update: count(s, "update"),
    delete: count(s, "delete"),
    unchanged: count(s, "unchanged"),
    unmanaged: count(s, "unmanaged"),
    // Added in 0.2 (issue #15); a plan saved by 0.1 has none.
    kept: s.kept === undefined ? 0 : count(s, "kept"),
    outsideManage: s.outsideManage === undefined ? 0 : count(s, "outsideManage"),
    outsideNames: s.outsideNames === undefined ? 0 : count(s, "outsideNames"),
  };
  if (typeof data.safe !== "boolean") throw bad("safe must be true or false");
  if (!Array.isArray(data.changes)) throw bad("changes must be a list");
  data.changes.forEach((c: unknown, i: number) => {
    if (!isObject(c) || typeof c.action !== "string" || !ACTIONS.has(c.action)) throw bad(`changes[${i}].action must be create, update or delete`);
    if (typeof c.name !== "string") throw bad(`changes[${i}].name must be a string`);
    if (c.action !== "create" && typeof c.id !== "string") throw bad(`changes[${i}].id must be a string`);
  });
  return {
    formatVersion: 1,
    config: data.config as string,
    server: data.server as string,
    fingerprint: data.fingerprint as string,
    summary,
    safe: data.safe,
    changes: data.changes as unknown[],
  };
}

/** The digest of a saved plan's changes; equals planChangesDigest of a re-computed plan with the same changes. */
export function savedPlanChangesDigest(saved: SavedPlan): string {
  return canonicalJson(saved.changes);
}

// Pure. The plan as terminal text (SPEC §3): `+ create`, `~ update` with one line per changed
// field, `- delete`, warnings, the refusal, then the `Plan: ...` line. Colour only when asked.
import { assertNever, escapeUnprintable, type Change, type Plan } from "../model/index.js";
import { createFields, createLine, displayName, fieldLines, hasChanges, keptLine, noChangesLines, planHeader, summaryLine } from "./format-value.js";
import { trunksLine, type PlanContext } from "./json.js";

const ANSI = { green: "\u001b[32m", yellow: "\u001b[33m", red: "\u001b[31m", bold: "\u001b[1m", reset: "\u001b[0m" } as const;
type Colour = Exclude<keyof typeof ANSI, "reset">;

function changeLines(c: Change, paint: (colour: Colour, text: string) => string): string[] {
  switch (c.action) {
    case "create":
      return [`${paint("green", "+ create")} ${displayName(c.name)}`, ...createFields(c.desired).map((f) => `    ${createLine(f)}`)];
    case "update": {
      const how = c.method === "recreate" ? ", as delete + create (new ID)" : "";
      return [`${paint("yellow", "~ update")} ${displayName(c.name)} (${displayName(c.id)})${how}`, ...c.fields.flatMap(fieldLines).map((l) => `    ${l}`), ...keptLine(c.kept).map((l) => `    ${l}`)];
    }
    case "delete": {
      const why = c.reason === "duplicate" ? "duplicate of a kept rule with this name" : "not in the file";
      return [`${paint("red", "- delete")} ${displayName(c.name)} (${displayName(c.id)}): ${why}`];
    }
    default:
      return assertNever(c, "change");
  }
}

export function renderPlanText(plan: Plan, opts: { color: boolean; context?: PlanContext }): string {
  const paint = (colour: Colour, text: string) => (opts.color ? `${ANSI[colour]}${text}${ANSI.reset}` : text);
  const lines: string[] = [];
  if (opts.context !== undefined) lines.push(planHeader(opts.context), "");
  // SPEC §8: what the file's trunk names resolved to, `main-carrier (ST_abc)`.
  const trunks = opts.context === undefined ? undefined : trunksLine(opts.context);
  if (trunks !== undefined) lines.push(trunks, "");
  if (!hasChanges(plan.summary)) lines.push(...noChangesLines(plan.summary));
  // Loops, not push(...): one change may list any number of fields (a map of 150,000 keys).
  for (const c of plan.changes) for (const line of changeLines(c, paint)) lines.push(line);
  if (plan.warnings.length > 0) {
    lines.push("");
    // Warnings and refusals quote names and server text: escaped, like every other line.
    for (const w of plan.warnings) lines.push(`${paint("yellow", "Warning:")} ${escapeUnprintable(w)}`);
  }
  if (plan.refusal !== null) {
    const r = plan.refusal;
    lines.push("", `${paint("red", `Refused (${r.code}):`)} ${escapeUnprintable(r.message)}`, `  hint: ${escapeUnprintable(r.hint)}`);
    if (!r.forceable) lines.push("  --force does not override this refusal.");
  }
  lines.push("", opts.color ? `${ANSI.bold}${summaryLine(plan.summary)}${ANSI.reset}` : summaryLine(plan.summary));
  return `${lines.join("\n")}\n`;
}

// Pure. The plan as GitHub Actions workflow commands: `::notice` for creates and updates at the
// rule's line, `::warning` for deletes and plan warnings, `::error` for a refusal, then the
// summary line. A deleted rule has no line in the file: it is annotated at line 1 of the config.
import { assertNever, escapeUnprintable, jsonLine, type Change, type Plan } from "../model/index.js";
import { createFields, createLine, fieldLines, keptLine, shortName, summaryLine } from "./format-value.js";
import { trunksLine, type PlanContext } from "./json.js";

/** Workflow-command data escaping (actions/toolkit core/src/command.ts escapeData). */
export function escapeData(text: string): string {
  // Then every other unprintable character made visible: none can forge or hide a line.
  return escapeUnprintable(text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A"));
}

/** Workflow-command property escaping (escapeProperty): data escaping plus ":" and ",". */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

type Level = "notice" | "warning" | "error";

/** GitHub matches annotation paths against repository-relative paths: `./x.yaml` would not attach. */
export function annotationPath(file: string): string {
  return file.replace(/^(?:\.\/)+/, "");
}

function command(level: Level, props: Readonly<Record<string, string | number | undefined>>, message: string): string {
  const list = Object.entries(props)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${escapeProperty(String(v))}`)
    .join(",");
  return `::${level}${list === "" ? "" : ` ${list}`}::${escapeData(message)}`;
}

function position(c: Change, ctx: PlanContext): Record<string, string | number | undefined> {
  const loc = c.action === "delete" ? undefined : c.loc;
  return loc === undefined ? { file: annotationPath(ctx.config), line: 1 } : { file: annotationPath(loc.file), line: loc.line, col: loc.column > 0 ? loc.column : undefined };
}

/** `staging: ` before titles and messages when the plan is one environment's (SPEC §8). */
function envPrefix(ctx: PlanContext): string {
  return ctx.environment === undefined ? "" : `${ctx.environment}: `;
}

function annotation(c: Change, ctx: PlanContext): string {
  const name = jsonLine(shortName(c.name));
  const env = envPrefix(ctx);
  switch (c.action) {
    case "create":
      return command("notice", { ...position(c, ctx), title: `${env}create ${name}` }, [`${env}create rule ${name}`, ...createFields(c.desired).map((f) => `  ${createLine(f)}`)].join("\n"));
    case "update": {
      const how = c.method === "recreate" ? " as delete + create (new ID)" : "";
      return command("notice", { ...position(c, ctx), title: `${env}update ${name}` }, [`${env}update rule ${name} (${c.id})${how}`, ...c.fields.flatMap(fieldLines).map((l) => `  ${l}`), ...keptLine(c.kept).map((l) => `  ${l}`)].join("\n"));
    }
    case "delete": {
      const why = c.reason === "duplicate" ? "duplicate of a kept rule with this name" : "not in the file";
      return command("warning", { ...position(c, ctx), title: `${env}delete ${name}` }, `${env}delete rule ${name} (${c.id}): ${why}`);
    }
    default:
      return assertNever(c, "change");
  }
}

export function renderPlanGithub(plan: Plan, ctx: PlanContext): string {
  const lines = plan.changes.map((c) => annotation(c, ctx));
  const env = envPrefix(ctx);
  for (const w of plan.warnings) lines.push(command("warning", { title: `${env}sip-dispatch-sync` }, `${env}${w}`));
  if (plan.refusal !== null) {
    const r = plan.refusal;
    const force = r.forceable ? "" : " (--force does not override this)";
    lines.push(command("error", { file: annotationPath(ctx.config), line: 1, title: `${env}plan refused (${r.code})` }, `${env}${r.message}\nhint: ${r.hint}${force}`));
  }
  const trunks = trunksLine(ctx);
  if (trunks !== undefined) lines.push(`${env}${trunks}`);
  lines.push(`${env}${summaryLine(plan.summary)}`);
  return `${lines.join("\n")}\n`;
}

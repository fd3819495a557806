// Pure. `plan --env all` (SPEC §8): one section per environment in every format — text, JSON,
// Markdown (the PR comment), GitHub annotations. A section is a plan, or the error that kept
// that environment from being planned (the others are still shown).
import { assertNever, type Diagnostic, type Plan } from "../model/index.js";
import { formatDiagnostic } from "./diagnostics.js";
import { escapeData, escapeProperty, annotationPath, renderPlanGithub } from "./github.js";
import { planJsonValue, trunksLine, type PlanContext } from "./json.js";
import { escapeMarkdown, renderPlanMarkdown } from "./markdown.js";
import type { PlanFormat } from "./render-plan.js";
import { renderPlanText } from "./text.js";

export interface EnvironmentSection {
  readonly environment: string;
  /** The server's base URL, when it was resolved. */
  readonly server?: string;
  readonly plan?: Plan;
  /** The trunk names of this environment and their IDs. */
  readonly trunks?: readonly { readonly name: string; readonly id: string }[];
  /** Why this environment has no plan (the message is free of secrets). */
  readonly error?: { readonly message: string; readonly hint?: string };
  /** The file's problems in this environment, when they are why it has no plan. */
  readonly diagnostics?: readonly Diagnostic[];
}

export interface EnvironmentsContext {
  readonly config: string;
  readonly color?: boolean;
}

function sectionContext(s: EnvironmentSection, ctx: EnvironmentsContext): PlanContext {
  return { config: ctx.config, server: s.server ?? "", environment: s.environment, ...(s.trunks === undefined ? {} : { trunks: s.trunks }) };
}

function errorLines(s: EnvironmentSection): string[] {
  const e = s.error ?? { message: "not planned" };
  return [...(s.diagnostics ?? []).map(formatDiagnostic), `error: ${e.message}`, ...(e.hint ? [`  hint: ${e.hint}`] : [])];
}

function text(sections: readonly EnvironmentSection[], ctx: EnvironmentsContext): string {
  const parts = sections.map((s) => {
    const head = `=== environment ${s.environment}${s.server === undefined ? "" : ` (${s.server})`} ===`;
    const trunks = trunksLine(s);
    const body = s.plan !== undefined ? `${trunks === undefined ? "" : `${trunks}\n\n`}${renderPlanText(s.plan, { color: ctx.color ?? false })}` : `${errorLines(s).join("\n")}\n`;
    return `${head}\n${body}`;
  });
  return parts.join("\n");
}

function json(sections: readonly EnvironmentSection[], ctx: EnvironmentsContext): string {
  const value = {
    formatVersion: 1 as const,
    config: ctx.config,
    environments: sections.map((s) =>
      s.plan !== undefined
        ? planJsonValue(s.plan, sectionContext(s, ctx))
        : {
            environment: s.environment,
            server: s.server ?? null,
            error: { message: s.error?.message ?? "not planned", hint: s.error?.hint ?? null },
            diagnostics: (s.diagnostics ?? []).map((d) => ({ code: d.code, severity: d.severity, message: d.message, hint: d.hint ?? null, file: d.file, line: d.line, column: d.column, path: d.path })),
          },
    ),
  };
  return `${JSON.stringify(value, null, 2)}\n`;
}

function markdown(sections: readonly EnvironmentSection[], ctx: EnvironmentsContext): string {
  const code = (t: string) => `<code>${escapeMarkdown(t)}</code>`;
  const lines = [
    `## sip-dispatch-sync plan: ${sections.length} environment${sections.length === 1 ? "" : "s"}`,
    "",
    `Config ${code(ctx.config)}`,
    "",
    "| Environment | Create | Update | Delete | Unchanged | Status |",
    "| --- | ---: | ---: | ---: | ---: | --- |",
  ];
  for (const s of sections) {
    const p = s.plan;
    if (p === undefined) lines.push(`| ${code(s.environment)} | | | | | error |`);
    else {
      const status = p.refusal !== null ? `refused (${code(p.refusal.code)})` : p.summary.create + p.summary.update + p.summary.delete > 0 ? "changes" : "no changes";
      lines.push(`| ${code(s.environment)} | ${p.summary.create} | ${p.summary.update} | ${p.summary.delete} | ${p.summary.unchanged} | ${status} |`);
    }
  }
  lines.push("");
  for (const s of sections) {
    if (s.plan !== undefined) lines.push(renderPlanMarkdown(s.plan, sectionContext(s, ctx)));
    else {
      const e = s.error ?? { message: "not planned" };
      lines.push(
        `### sip-dispatch-sync plan: environment ${code(s.environment)}`,
        "",
        "> [!CAUTION]",
        `> **Not planned:** ${escapeMarkdown(e.message)}`,
        ...(e.hint ? [">", `> ${escapeMarkdown(e.hint)}`] : []),
        "",
        ...(s.diagnostics ?? []).map((d) => `- ${code(`${d.file}:${d.line}:${d.column}`)} ${escapeMarkdown(d.message)}${d.path ? ` (at ${code(d.path)})` : ""}`),
        "",
      );
    }
  }
  return `${lines.join("\n").replace(/\n+$/, "")}\n`;
}

function github(sections: readonly EnvironmentSection[], ctx: EnvironmentsContext): string {
  return sections
    .map((s) => {
      if (s.plan !== undefined) return renderPlanGithub(s.plan, sectionContext(s, ctx));
      const e = s.error ?? { message: "not planned" };
      const title = escapeProperty(`${s.environment}: not planned`);
      const positioned = (s.diagnostics ?? []).map((d) => {
        const at = d.line > 0 ? `,line=${d.line},col=${d.column}` : "";
        const level = d.severity === "error" ? "error" : "warning";
        return `::${level} file=${escapeProperty(annotationPath(d.file))}${at},title=${title}::${escapeData(`${s.environment}: ${d.message}${d.path ? ` (at ${d.path})` : ""}${d.hint ? `\nhint: ${d.hint}` : ""}`)}\n`;
      });
      return `${positioned.join("")}::error file=${escapeProperty(annotationPath(ctx.config))},line=1,title=${title}::${escapeData(`${s.environment}: ${e.message}${e.hint ? `\nhint: ${e.hint}` : ""}`)}\n`;
    })
    .join("");
}

export function renderEnvironmentPlans(sections: readonly EnvironmentSection[], format: PlanFormat, ctx: EnvironmentsContext): string {
  switch (format) {
    case "text":
      return text(sections, ctx);
    case "json":
      return json(sections, ctx);
    case "markdown":
      return markdown(sections, ctx);
    case "github":
      return github(sections, ctx);
    default:
      return assertNever(format, "plan format");
  }
}

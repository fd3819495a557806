// Pure. The plan as GitHub-flavoured Markdown for PR comments and $GITHUB_STEP_SUMMARY: a summary
// table, one collapsible <details> per rule with its field changes, pins masked.
import { assertNever, escapeUnprintable, jsonLine, type Change, type FieldChange, type Plan } from "../model/index.js";
import { createFields, formatValue, hasChanges, keptLine, noChangesLines, sensitiveNote, setChange, shortName, summaryLine } from "./format-value.js";
import type { PlanContext } from "./json.js";

/** Escapes text for inline Markdown/HTML: entities for HTML and Markdown punctuation, one line. */
export function escapeMarkdown(text: string): string {
  // Line breaks first (one line), then every other unprintable character made visible (a bidi
  // override or zero-width space would hide in the rendered page), then the entities.
  return escapeUnprintable(text.replace(/\r\n|\r|\n/g, " ")).replace(/[&<>"'|\\`*_[\]~!#$]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function code(text: string): string {
  return `<code>${escapeMarkdown(text)}</code>`;
}

function fieldRow(f: FieldChange): string {
  const note = sensitiveNote(f);
  const set = setChange(f);
  // A set (trunkIds, numbers, inboundNumbers): the removed elements before, the added after.
  if (set !== undefined) {
    const cell = (sign: string, items: readonly string[]) => items.map((i) => code(`${sign} ${jsonLine(i)}`)).join("<br>");
    return `| ${code(f.path)} | ${cell("-", set.removed)} | ${cell("+", set.added)} |`;
  }
  return `| ${code(f.path)} | ${code(formatValue(f.before))} | ${code(formatValue(f.after))}${note} |`;
}

function details(summary: string, rows: readonly string[], header: string): string[] {
  const out = [`<details><summary>${summary}</summary>`, ""];
  if (rows.length > 0) {
    out.push(header, "| --- | --- | --- |");
    for (const row of rows) out.push(row);
  }
  out.push("", "</details>", "");
  return out;
}

function changeBlock(c: Change): string[] {
  switch (c.action) {
    case "create": {
      const rows = createFields(c.desired).map((f) => `| ${code(f.path)} | | ${code(formatValue(f.after))} |`);
      return details(`<b>+ create</b> ${code(shortName(c.name))}`, rows, "| Field | | Value |");
    }
    case "update": {
      const how = c.method === "recreate" ? " as delete + create (new ID)" : "";
      const kept = keptLine(c.kept).map((l) => `| ${l} | | |`);
      return details(`<b>~ update</b> ${code(shortName(c.name))} (${code(c.id)})${how}`, [...c.fields.map(fieldRow), ...kept], "| Field | Before | After |");
    }
    case "delete": {
      const why = c.reason === "duplicate" ? "duplicate of a kept rule with this name" : "not in the file";
      return [`- <b>- delete</b> ${code(shortName(c.name))} (${code(c.id)}): ${why}`, ""];
    }
    default:
      return assertNever(c, "change");
  }
}

export function renderPlanMarkdown(plan: Plan, ctx: PlanContext): string {
  const s = plan.summary;
  const heading = ctx.environment === undefined ? "### sip-dispatch-sync plan" : `### sip-dispatch-sync plan: environment ${code(ctx.environment)}`;
  const lines: string[] = [heading, "", `Config ${code(ctx.config)} against ${code(ctx.server)}`, ""];
  if (ctx.trunks !== undefined && ctx.trunks.length > 0) lines.push(`Trunks: ${ctx.trunks.map((t) => `${code(t.name)} (${code(t.id)})`).join(", ")}`, "");
  if (plan.refusal !== null) {
    const r = plan.refusal;
    lines.push(
      "> [!CAUTION]",
      `> **Plan refused** (${code(r.code)}): ${escapeMarkdown(r.message)}`,
      ">",
      `> ${escapeMarkdown(r.hint)}${r.forceable ? "" : " (--force does not override this)"}`,
      "",
    );
  }
  if (!hasChanges(s)) {
    const [first, ...rest] = noChangesLines(s);
    if (rest.length === 0 && s.outsideNames === 0) lines.push(`**No changes.** The server matches the file (${s.unchanged} unchanged, ${s.unmanaged} unmanaged left alone).`, "");
    else lines.push(`**${escapeMarkdown(first ?? "")}**`, "", ...rest.map((r) => escapeMarkdown(r.trim())), "");
  } else {
    lines.push(
      "| Create | Update | Delete | Unchanged | Unmanaged |",
      "| ---: | ---: | ---: | ---: | ---: |",
      `| ${s.create} | ${s.update} | ${s.delete} | ${s.unchanged} | ${s.unmanaged} |`,
      "",
    );
    if (s.kept + s.outsideManage + s.outsideNames > 0) lines.push(escapeMarkdown(summaryLine(s)), "");
    const deletes = plan.changes.filter((c) => c.action === "delete");
    // Loops, not push(...): one change may list any number of fields.
    for (const c of plan.changes) if (c.action !== "delete") for (const line of changeBlock(c)) lines.push(line);
    for (const c of deletes) for (const line of changeBlock(c)) lines.push(line);
  }
  if (plan.warnings.length > 0) {
    // A loop: a server with 150,000 conflicting rules gives as many warnings.
    lines.push("**Warnings**", "");
    for (const w of plan.warnings) lines.push(`- ${escapeMarkdown(w)}`);
    lines.push("");
  }
  return `${lines.join("\n").replace(/\n+$/, "")}\n`;
}

// Unit tests for the plan renderers (pure): text, JSON (+ schema), Markdown, GitHub annotations.
import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, test } from "vitest";
import { planChanges } from "../../../src/core/index.js";
import { AppError, type Plan } from "../../../src/model/index.js";
import { escapeData, escapeProperty, renderPlanGithub } from "../../../src/render/github.js";
import { renderPlanJson } from "../../../src/render/json.js";
import { renderPlanMarkdown } from "../../../src/render/markdown.js";
import { parsePlanJson, savedPlanChangesDigest } from "../../../src/render/parse-plan.js";
import { planChangesDigest } from "../../../src/render/plan-entries.js";
import { renderPlan, type PlanFormat } from "../../../src/render/render-plan.js";
import { renderPlanText } from "../../../src/render/text.js";
import { aDesiredRule, aDesiredState, aRemoteRule, withServerDefaults } from "../../support/builders.js";

const PINS = ["48213", "77391", "55102"];
const CTX = { config: "config/dispatch-rules.yaml", server: "https://sip.example.test" };

/** A plan with a create, updates (pin, nested agent, trunk set), deletes (not in file, duplicate), a refusal and warnings. */
function richPlan(): Plan {
  const remote = [
    aRemoteRule({ id: "SDR_pin", name: "pin-line", individual: { roomPrefix: "call-", pin: PINS[0] }, trunkIds: ["ST_p"] }),
    aRemoteRule({ id: "SDR_agent", name: "agent-line", trunkIds: ["ST_a"], roomConfig: { agents: [{ agentName: "a" }] } }),
    aRemoteRule({ id: "SDR_trunk", name: "trunk-line", trunkIds: ["ST_1"] }),
    aRemoteRule({ id: "SDR_old", name: "old-line", direct: { roomName: "r", pin: PINS[2] }, trunkIds: ["ST_o"] }),
    aRemoteRule({ id: "SDR_dup1", name: "agent-line", trunkIds: ["ST_dup"] }),
    aRemoteRule({ id: "SDR_blank", name: "", trunkIds: ["ST_blank"] }),
  ];
  const desired = aDesiredState({
    file: CTX.config,
    limits: { maxDeletes: 1, maxDeletePercent: 30 },
    rules: [
      aDesiredRule({ name: "new-line", direct: { roomName: "lobby", pin: PINS[1] }, trunkIds: ["ST_n"], metadata: { tier: "gold" } }, { file: CTX.config, line: 12, column: 5 }),
      aDesiredRule({ name: "pin-line", individual: { roomPrefix: "call-", pin: PINS[1] }, trunkIds: ["ST_p"] }, { file: CTX.config, line: 20, column: 5 }),
      aDesiredRule({ name: "agent-line", trunkIds: ["ST_a"], roomConfig: { agents: [{ agentName: "b" }] } }, { file: CTX.config, line: 30, column: 5 }),
      aDesiredRule({ name: "trunk-line", trunkIds: ["ST_1", "ST_2"] }, { file: CTX.config, line: 40, column: 5 }),
    ],
  });
  return planChanges(desired, remote.map((r) => ({ ...r, spec: withServerDefaults(r.spec) })), { updateSupported: false });
}

function emptyPlan(): Plan {
  const rule = aRemoteRule({ id: "SDR_x", name: "same" });
  return planChanges(aDesiredState({ rules: [aDesiredRule({ name: "same" })] }), [rule, aRemoteRule({ name: "" , trunkIds: ["ST_q"] })], { updateSupported: true });
}

const FORMATS: PlanFormat[] = ["text", "json", "markdown", "github"];

describe("all formats", () => {
  test("no pin from the file or the server appears in any output", () => {
    const plan = richPlan();
    expect(plan.refusal?.code).toBe("max-deletes");
    expect(plan.warnings.length).toBeGreaterThan(0);
    for (const format of FORMATS) {
      const out = renderPlan(plan, format, { ...CTX, color: true });
      for (const pin of PINS) expect(out, format).not.toContain(pin);
      expect(out, format).toContain("(sensitive)");
    }
  });
});

describe("text", () => {
  test("one line per change and per changed field, then the summary line", () => {
    const out = renderPlanText(richPlan(), { color: false });
    expect(out).toContain("+ create new-line\n    direct: {\"roomName\":\"lobby\",\"pin\":\"(sensitive)\"}\n");
    expect(out).toContain("~ update pin-line (SDR_pin), as delete + create (new ID)\n    individual.pin: (sensitive) -> (sensitive) (pin changed)\n");
    expect(out).toContain('    roomConfig.agents[0].agentName: "a" -> "b"\n');
    // A set: the added element, not both whole lists (issue #15).
    expect(out).toContain('    trunkIds:\n      + "ST_2"\n');
    expect(out).not.toContain('["ST_1"] -> ["ST_1","ST_2"]');
    expect(out).toContain("- delete agent-line (SDR_dup1): duplicate of a kept rule with this name\n");
    expect(out).toContain("- delete old-line (SDR_old): not in the file\n");
    expect(out).toMatch(/Refused \(max-deletes\): the plan deletes 2 rules, more than limits\.maxDeletes \(1\)\n {2}hint: .*--force/);
    expect(out.trimEnd().split("\n").at(-1)).toBe("Plan: 1 to create, 3 to update, 2 to delete, 0 unchanged, 1 unmanaged left alone.");
    expect(out).not.toContain("\u001b[");
  });

  test("colour only when asked", () => {
    expect(renderPlanText(richPlan(), { color: true })).toContain("\u001b[32m+ create\u001b[0m");
  });

  test("the empty plan says so", () => {
    expect(renderPlanText(emptyPlan(), { color: false })).toBe(
      "No changes. The server matches the file.\n\nPlan: 0 to create, 0 to update, 0 to delete, 1 unchanged, 1 unmanaged left alone.\n",
    );
  });

  test("names with control characters are quoted", () => {
    const plan = planChanges(aDesiredState({ rules: [aDesiredRule({ name: "evil\u001b[31mname\nx" })] }), [], { updateSupported: true });
    expect(renderPlanText(plan, { color: false })).not.toContain("\u001b");
  });
});

describe("json", () => {
  const schema = JSON.parse(readFileSync(new URL("../../../schemas/plan.schema.json", import.meta.url), "utf8")) as object;
  const validate = new Ajv2020({ strict: true, allErrors: true }).compile(schema);

  test("matches SPEC §3 and the schema, with stable key order and a trailing newline", () => {
    const text = renderPlanJson(richPlan(), CTX);
    expect(text.endsWith("}\n")).toBe(true);
    const data = JSON.parse(text) as Record<string, unknown>;
    expect(validate(data), JSON.stringify(validate.errors)).toBe(true);
    expect(Object.keys(data)).toEqual(["formatVersion", "config", "server", "fingerprint", "summary", "safe", "refusal", "changes", "warnings"]);
    expect(data).toMatchObject({ formatVersion: 1, config: CTX.config, server: CTX.server, safe: false, refusal: { code: "max-deletes", forceable: true } });
    expect(data.summary).toEqual({ create: 1, update: 3, delete: 2, unchanged: 0, unmanaged: 1, kept: 0, outsideManage: 0, outsideNames: 0 });
    const changes = data.changes as Record<string, unknown>[];
    expect(changes[0]).toEqual({ action: "update", name: "agent-line", id: "SDR_agent", method: "recreate", rule: { name: "agent-line", individual: { roomPrefix: "call-" }, trunkIds: ["ST_a"], roomConfig: { agents: [{ agentName: "b" }] } }, fields: [{ path: "roomConfig.agents[0].agentName", before: "a", after: "b" }] });
    expect(changes).toContainEqual({ action: "create", name: "new-line", rule: { name: "new-line", direct: { roomName: "lobby", pin: "(sensitive)" }, trunkIds: ["ST_n"], metadata: { tier: "gold" } } });
    expect(changes).toContainEqual({ action: "delete", name: "old-line", id: "SDR_old", reason: "not-in-file" });
    expect(changes.find((c) => c.name === "pin-line")?.fields).toEqual([{ path: "individual.pin", before: "(sensitive)", after: "(sensitive)", sensitive: true }]);
    expect(renderPlanJson(richPlan(), CTX)).toBe(text);
  });

  test("the empty plan validates and is safe", () => {
    const data = JSON.parse(renderPlanJson(emptyPlan(), CTX)) as Record<string, unknown>;
    expect(validate(data)).toBe(true);
    expect(data).toMatchObject({ safe: true, refusal: null, changes: [], warnings: [] });
  });

  test("parsePlanJson reads a saved plan back; its digest equals the re-computed plan's", () => {
    const plan = richPlan();
    const saved = parsePlanJson(renderPlanJson(plan, CTX));
    expect(saved).toMatchObject({ formatVersion: 1, config: CTX.config, fingerprint: plan.fingerprint, safe: false, summary: plan.summary });
    expect(savedPlanChangesDigest(saved)).toBe(planChangesDigest(richPlan()));
    expect(planChangesDigest(emptyPlan())).not.toBe(planChangesDigest(plan));
  });

  test.each([
    ["not json", "{"],
    ["wrong version", JSON.stringify({ formatVersion: 2 })],
    ["missing fields", JSON.stringify({ formatVersion: 1, config: "c", server: "s" })],
    ["bad change", renderPlanJson(emptyPlan(), CTX).replace('"changes": []', '"changes": [{"action":"rename"}]')],
  ])("parsePlanJson rejects %s with a bad-plan-file error and a hint", (_what, text) => {
    let error: unknown;
    try {
      parsePlanJson(text);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: "bad-plan-file" });
    expect((error as AppError).hint).toMatch(/plan --out/);
  });
});

describe("markdown", () => {
  test("summary table, a <details> block per rule with its fields, deletes, refusal and warnings", () => {
    const out = renderPlanMarkdown(richPlan(), CTX);
    expect(out).toContain("| Create | Update | Delete | Unchanged | Unmanaged |\n| ---: | ---: | ---: | ---: | ---: |\n| 1 | 3 | 2 | 0 | 1 |");
    expect(out).toContain("<details><summary><b>~ update</b> <code>agent&#45;line</code>".replace("&#45;", "-"));
    expect(out).toContain("| <code>roomConfig.agents&#91;0&#93;.agentName</code> | <code>&#34;a&#34;</code> | <code>&#34;b&#34;</code> |");
    expect(out).toContain("| <code>individual.pin</code> | <code>(sensitive)</code> | <code>(sensitive)</code> (pin changed) |");
    expect(out).toContain("- <b>- delete</b> <code>old-line</code> (<code>SDR&#95;old</code>): not in the file");
    expect(out).toMatch(/> \[!CAUTION\]\n> \*\*Plan refused\*\* \(<code>max-deletes<\/code>\)/);
    expect(out).toContain("**Warnings**");
    expect((out.match(/<details>/g) ?? []).length).toBe(4);
    expect((out.match(/<\/details>/g) ?? []).length).toBe(4);
  });

  test("the empty plan has a clear no-changes form", () => {
    const out = renderPlanMarkdown(emptyPlan(), CTX);
    expect(out).toContain("**No changes.** The server matches the file (1 unchanged, 1 unmanaged left alone).");
    expect(out).not.toContain("<details>");
  });

  test("user text cannot break out of the table or inject HTML", () => {
    const plan = planChanges(aDesiredState({ rules: [aDesiredRule({ name: "a|b<script>`x`" })] }), [], { updateSupported: true });
    const out = renderPlanMarkdown(plan, CTX);
    expect(out).not.toContain("<script>");
    expect(out).not.toContain("a|b");
  });
});

describe("github", () => {
  test("notices at the rule's line, warnings for deletes at line 1, an error for the refusal, then the summary", () => {
    const lines = renderPlanGithub(richPlan(), CTX).trimEnd().split("\n");
    const file = "file=config/dispatch-rules.yaml";
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^::notice ${file},line=12,col=5,title=create "new-line"::create rule "new-line"%0A  direct: `)));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^::notice ${file},line=30,col=5,title=update "agent-line"::update rule "agent-line" \\(SDR_agent\\) as delete \\+ create \\(new ID\\)%0A  roomConfig.agents\\[0\\].agentName: "a" -> "b"$`)));
    expect(lines).toContainEqual(`::warning ${file},line=1,title=delete "old-line"::delete rule "old-line" (SDR_old): not in the file`);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^::error ${file},line=1,title=plan refused \\(max-deletes\\)::the plan deletes 2 rules.*%0Ahint: `)));
    expect(lines).toContainEqual(expect.stringMatching(/^::warning title=sip-dispatch-sync::/));
    expect(lines.at(-1)).toMatch(/^Plan: 1 to create/);
    expect(lines.every((l) => !l.includes("\r"))).toBe(true);
  });

  test("escapes data and properties per the workflow-command rules", () => {
    expect(escapeData("50%\r\nnext: a,b")).toBe("50%25%0D%0Anext: a,b");
    expect(escapeProperty("C:\\dir,x%\n")).toBe("C%3A\\dir%2Cx%25%0A");
    const plan = planChanges(aDesiredState({ rules: [aDesiredRule({ name: "a,b:c" }, { file: "dir,x/rules:1.yaml", line: 3, column: 1 })] }), [], { updateSupported: true });
    expect(renderPlanGithub(plan, CTX)).toContain('::notice file=dir%2Cx/rules%3A1.yaml,line=3,col=1,title=create "a%2Cb%3Ac"::create rule "a,b:c"');
  });

  test("the empty plan prints only the summary", () => {
    expect(renderPlanGithub(emptyPlan(), CTX)).toBe("Plan: 0 to create, 0 to update, 0 to delete, 1 unchanged, 1 unmanaged left alone.\n");
  });
});

// End-to-end (I/O: child processes, temp files, an in-process emulator): what `plan` and `apply`
// print (issue #15): which file against which server, honest summaries, set fields diffed
// element by element, and --names limiting a plan.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parsePlan, startE2e, type E2e } from "../support/e2e-harness.js";
import { ptyAvailable, runInPty } from "../support/run-pty.js";
import { API_KEY, API_SECRET } from "../support/e2e-harness.js";

let t: E2e;
beforeAll(async () => {
  t = await startE2e("plan-output");
});
afterAll(async () => {
  await t.stop();
});
beforeEach(() => {
  t.em.control.reset();
});

const rule = (name: string, extra = "") => `  - name: ${name}\n    individual: { roomPrefix: ${name}- }\n    trunkIds: [ST_${name}]\n${extra}`;
const file = (...rules: string[]) => `version: 1\nrules:\n${rules.join("")}`;

describe("which file against which server", () => {
  it("plan and apply print the file and the server first", async () => {
    const path = await t.write("header.yaml", file(rule("a")));
    const plan = await t.cli(["plan", "-c", path]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout.split("\n")[0]).toBe(`Planning ${path} against ${t.em.url}`);
    const apply = await t.cli(["apply", "-c", path, "--auto-approve"]);
    expect(apply.stdout.split("\n")[0]).toBe(`Planning ${path} against ${t.em.url}`);
  });

  it.runIf(ptyAvailable())("the approval prompt names the file and the server", async () => {
    const path = await t.write("prompt.yaml", file(rule("a"), rule("b")));
    const env = { LIVEKIT_URL: t.em.url, LIVEKIT_API_KEY: API_KEY, LIVEKIT_API_SECRET: API_SECRET };
    const r = await runInPty(["apply", "-c", path, "--no-color"], { env, answer: { when: /accepted: /, text: "no" } });
    expect(r.stdout).toContain(`Apply these 2 change(s) from ${path} to ${t.em.url}? Only "yes" is accepted:`);
    expect(r.stdout).toContain("Apply cancelled; nothing was changed.");
    expect(t.rules()).toEqual([]);
  });
});

describe("honest summaries", () => {
  it('rules kept by prune: false are "kept", never "unchanged", and there is no "No changes"', async () => {
    await t.cli(["apply", "-c", await t.write("two.yaml", file(rule("a"), rule("b"))), "--auto-approve"]);
    const path = await t.write("kept.yaml", `version: 1\nprune: false\nrules:\n${rule("a")}`);
    const plan = await t.cli(["plan", "-c", path]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).not.toContain("No changes");
    expect(plan.stdout).toContain("Nothing to create, update or delete, but the server does not match the file:\n  - 1 managed rule on the server not in the file, kept (prune: false)");
    expect(plan.stdout).toContain("Plan: 0 to create, 0 to update, 0 to delete, 1 unchanged, 0 unmanaged left alone, 1 kept (prune: false).");
    const json = parsePlan(await t.cli(["plan", "-c", path, "--format", "json"]));
    expect(json.summary).toMatchObject({ unchanged: 1, kept: 1, outsideManage: 0 });
    const md = await t.cli(["plan", "-c", path, "--format", "markdown"]);
    expect(md.stdout).not.toContain("No changes");
  });

  it("a file rule outside manage is counted apart, and the plan does not say No changes", async () => {
    await t.cli(["apply", "-c", await t.write("one.yaml", file(rule("team-a"))), "--auto-approve"]);
    const path = await t.write("outside.yaml", `version: 1\nmanage: ["team-*"]\nrules:\n${rule("team-a")}${rule("other")}`);
    const plan = await t.cli(["plan", "-c", path]);
    expect(plan.stdout).not.toContain("No changes");
    expect(plan.stdout).toContain("  - 1 rule of the file outside manage, never planned");
    expect(plan.stdout).toContain("Plan: 0 to create, 0 to update, 0 to delete, 1 unchanged, 0 unmanaged left alone, 1 in the file outside manage (not planned).");
  });

  it("No changes when the server equals the file", async () => {
    const path = await t.write("same.yaml", file(rule("a")));
    await t.cli(["apply", "-c", path, "--auto-approve"]);
    const plan = await t.cli(["plan", "-c", path]);
    expect(plan.stdout).toContain("No changes. The server matches the file.");
  });
});

describe("sets are diffed element by element", () => {
  it("text, Markdown and GitHub show added and removed numbers; JSON keeps before and after", async () => {
    const before = file(rule("a", '    numbers: ["+15550100", "+15550101", "+15550102"]\n'));
    await t.cli(["apply", "-c", await t.write("set1.yaml", before), "--auto-approve"]);
    const path = await t.write("set2.yaml", file(rule("a", '    numbers: ["+15550100", "+15550102", "+15550103"]\n')));
    const text = await t.cli(["plan", "-c", path]);
    expect(text.stdout).toContain('    numbers:\n      + "+15550103"\n      - "+15550101"\n');
    expect(text.stdout).not.toContain('"+15550100"');
    const md = await t.cli(["plan", "-c", path, "--format", "markdown"]);
    expect(md.stdout).toContain("<code>- &#34;+15550101&#34;</code>");
    expect(md.stdout).toContain("<code>+ &#34;+15550103&#34;</code>");
    expect(md.stdout).not.toContain("+15550100");
    const gh = await t.cli(["plan", "-c", path, "--format", "github"]);
    expect(gh.stdout).toContain('numbers:%0A    + "+15550103"%0A    - "+15550101"');
    const json = parsePlan(await t.cli(["plan", "-c", path, "--format", "json"]));
    expect(json.changes[0]?.fields).toEqual([{ path: "numbers", before: ["+15550100", "+15550101", "+15550102"], after: ["+15550100", "+15550102", "+15550103"] }]);
  });
});

describe("--names GLOB limits plan and apply", () => {
  it("plans and applies only matching rules; nothing outside is deleted", async () => {
    await t.cli(["apply", "-c", await t.write("n1.yaml", file(rule("team-a"), rule("team-b"), rule("other"))), "--auto-approve"]);
    // The file drops team-b and other, changes team-a, and adds new.
    const path = await t.write("n2.yaml", file(rule("team-a", "    hidePhoneNumber: true\n"), rule("new")));
    const plan = await t.cli(["plan", "-c", path, "--names", "team-a", "--names", "other-*", "--format", "json"]);
    const json = parsePlan(plan);
    expect(json.changes.map((c) => `${c.action} ${c.name}`)).toEqual(["update team-a"]);
    expect(json.summary).toMatchObject({ delete: 0, create: 0, outsideNames: 3 });
    const text = await t.cli(["plan", "-c", path, "--names", "team-*"]);
    expect(text.stdout).toContain("- delete team-b");
    expect(text.stdout).not.toContain("other");
    expect(text.stdout).not.toContain("+ create new");
    const applied = await t.cli(["apply", "-c", path, "--names", "team-a", "--auto-approve"]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(t.rules().map((r) => r.name).sort()).toEqual(["other", "team-a", "team-b"]);
    expect(t.rules().find((r) => r.name === "team-a")?.hide_phone_number).toBe(true);
  });
});

// End-to-end (I/O: child processes, temp files, an in-process emulator): what `plan` and `apply`
// print (issue #15): which file against which server, honest summaries, set fields diffed
// element by element, and --names limiting a plan.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startE2e, type E2e } from "../support/e2e-harness.js";
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

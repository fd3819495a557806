// End-to-end (I/O: child processes, temp files, an in-process emulator): the built CLI's argument
// habits (issue #15): stray arguments and unknown flags rejected with the closest flag, enum
// flags checked, `help COMMAND`, colour switches, `-` for stdin, .yml discovery, every missing
// credential at once, and hints that lead to a valid file when followed.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../support/run-cli.js";
import { API_KEY, API_SECRET, startE2e, type E2e } from "../support/e2e-harness.js";

let t: E2e;
beforeAll(async () => {
  t = await startE2e("cli-args");
});
afterAll(async () => {
  await t.stop();
});
beforeEach(() => {
  t.em.control.reset();
});

const ONE_RULE = "version: 1\nrules:\n  - name: a\n    individual: { roomPrefix: a- }\n    numbers: [\"+15550100001\"]\n";
const CHANGED = "version: 1\nrules:\n  - name: a\n    individual: { roomPrefix: b- }\n    numbers: [\"+15550100001\"]\n";

describe("arguments and flags", () => {
  it("plan rejects a stray FILE argument instead of planning ./dispatch-rules.yaml", async () => {
    await t.write("work.yaml", ONE_RULE);
    const r = await t.cli(["plan", "work.yaml"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('plan takes no arguments, got "work.yaml"');
    expect(r.stderr).toContain("hint: to use another rules file: sip-dispatch-sync plan -c work.yaml");
    expect(r.stdout).toBe("");
  });

  it("export rejects a stray argument", async () => {
    const r = await t.cli(["export", "everything"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('export takes no arguments, got "everything"');
  });

  it("export --names is repeatable: a rule matching any of them, none dropped", async () => {
    const three = "version: 1\nrules:\n" + ["a", "b", "c"].map((n) => `  - { name: ${n}, individual: {}, trunkIds: [ST_${n}] }\n`).join("");
    await t.cli(["apply", "-c", await t.write("three.yaml", three), "--auto-approve"]);
    const r = await t.cli(["export", "--names", "a", "--names", "c"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("name: a");
    expect(r.stdout).toContain("name: c");
    expect(r.stdout).not.toContain("name: b");
  });

  it("apply takes one saved plan at most", async () => {
    const r = await t.cli(["apply", "a.json", "b.json"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('apply takes at most 1 argument ([PLAN.json]), got also "b.json"');
  });

  it("names the closest flag for a terraform-style single-dash flag", async () => {
    const r = await t.cli(["apply", "-auto-approve"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('apply: unknown flag "-auto-approve"');
    expect(r.stderr).toContain("hint: did you mean --auto-approve?");
    expect(r.stderr).not.toContain("'-a'");
  });

  it("names the closest flag for a misspelt one", async () => {
    const r = await t.cli(["plan", "--detailed-exit-code"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unknown flag "--detailed-exit-code"');
    expect(r.stderr).toContain("did you mean --detailed-exitcode?");
  });

  it("checks enum flags: --log-level verbose is rejected", async () => {
    await t.write("dispatch-rules.yaml", ONE_RULE);
    for (const command of ["plan", "apply", "validate"]) {
      const r = await t.cli([command, "--log-level", "verbose"]);
      expect(r.code, command).toBe(1);
      expect(r.stderr).toContain('--log-level: "verbose" is not one of trace, debug, info, warn, error, fatal, silent');
    }
    const fmt = await t.cli(["plan", "--format", "jsno"]);
    expect(fmt.code).toBe(1);
    expect(fmt.stderr).toContain("did you mean --format json?");
  });

  it("validate -c A B checks both files", async () => {
    const a = await t.write("va.yaml", "version: 1\nrules:\n  - name: a\n    individual: { roomPrefx: x }\n");
    const b = await t.write("vb.yaml", ONE_RULE);
    const r = await runCli(["validate", "-c", a, b]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${a}:4:19: error: unknown key \`roomPrefx\``);
    expect(r.stdout).toContain(`${b}: 1 rule, valid`);
  });

  it("help COMMAND prints what COMMAND --help prints", async () => {
    for (const command of ["plan", "apply", "validate", "export", "watch", "emulator"]) {
      const viaHelp = await runCli(["help", command]);
      const viaFlag = await runCli([command, "--help"]);
      expect(viaHelp.code, command).toBe(0);
      expect(viaHelp.stdout, command).toBe(viaFlag.stdout);
      expect(viaHelp.stdout).toContain(`Usage: sip-dispatch-sync ${command}`);
    }
    const unknown = await runCli(["help", "paln"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('did you mean "plan"?');
  });
});

describe("colour", () => {
  it("FORCE_COLOR colours a plan on a pipe; --no-color and NO_COLOR turn it off", async () => {
    await t.cli(["apply", "-c", await t.write("c1.yaml", ONE_RULE), "--auto-approve"]);
    const file = await t.write("c2.yaml", CHANGED);
    const forced = await t.cli(["plan", "-c", file], { env: { FORCE_COLOR: "1" } });
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain("\u001b[33m~ update\u001b[0m");
    const off = await t.cli(["plan", "-c", file, "--no-color"], { env: { FORCE_COLOR: "1" } });
    expect(off.stdout).toContain("~ update a");
    expect(off.stdout).not.toContain("\u001b[");
    const plain = await t.cli(["plan", "-c", file], { env: { NO_COLOR: "1" } });
    expect(plain.stdout).not.toContain("\u001b[");
  });
});

describe("the rules file", () => {
  it("- reads the rules file from standard input (validate and plan)", async () => {
    const v = await runCli(["validate", "-"], { input: ONE_RULE });
    expect(v.code, v.stdout).toBe(0);
    expect(v.stdout).toBe("<stdin>: 1 rule, valid\n");
    const bad = await runCli(["validate", "-"], { input: "version: 1\nrules:\n  - name: a\n    individual: { roomPrefx: x }\n" });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain("<stdin>:4:19: error: unknown key `roomPrefx`");
    const plan = await runCli(["plan", "-c", "-", "--url", t.em.url, "--api-key", API_KEY, "--api-secret", API_SECRET], { input: ONE_RULE });
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain("+ create a");
  });

  it("finds ./dispatch-rules.yml when there is no ./dispatch-rules.yaml", async () => {
    const { mkdtemp, writeFile, rm } = await import("node:fs/promises");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = await mkdtemp(join(tmpdir(), "sds-yml-"));
    try {
      await writeFile(join(dir, "dispatch-rules.yml"), ONE_RULE);
      const v = await runCli(["validate"], { cwd: dir });
      expect(v.code, v.stdout).toBe(0);
      expect(v.stdout).toBe("./dispatch-rules.yml: 1 rule, valid\n");
      await writeFile(join(dir, "dispatch-rules.yaml"), "version: 1\nrules: []\n");
      const both = await runCli(["validate"], { cwd: dir });
      expect(both.stdout).toBe("./dispatch-rules.yaml: 0 rules, valid\n");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("names every missing credential in one run", async () => {
    const file = await t.write("creds.yaml", ONE_RULE);
    const r = await runCli(["plan", "-c", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("missing LiveKit server URL, API key, API secret");
    expect(r.stderr).toContain("LIVEKIT_URL");
    expect(r.stderr).toContain("LIVEKIT_API_KEY");
    expect(r.stderr).toContain("LIVEKIT_API_SECRET");
    const two = await runCli(["plan", "-c", file], { env: { LIVEKIT_URL: t.em.url } });
    expect(two.stderr).toContain("missing API key, API secret");
  });
});

describe("hints lead to a valid file when followed", () => {
  /** Validates `text`, checks the hint, replaces `from` by the hint's suggestion, validates again. */
  async function follow(name: string, text: string, hint: string, from: string, to: string): Promise<void> {
    const bad = await runCli(["validate", "-"], { input: text });
    expect(bad.code, bad.stdout).toBe(1);
    expect(bad.stdout).toContain(`hint: ${hint}`);
    const fixed = text.replace(from, to);
    expect(fixed, name).not.toBe(text);
    const good = await runCli(["validate", "-"], { input: fixed });
    expect(good.stdout, name).toBe("<stdin>: 1 rule, valid\n");
    expect(good.code).toBe(0);
  }
  const rule = (extra: string) => `version: 1\nrules:\n  - name: a\n    individual: {}\n    trunkIds: [ST_1]\n${extra}`;

  it("a quoted number where a list is wanted: the hint keeps it a quoted string", async () => {
    await follow("quoted", rule('    numbers: "+14155550100"\n'), 'write a list: ["+14155550100"]', '"+14155550100"', '["+14155550100"]');
  });

  it("an unquoted number where a list is wanted: the hint keeps its + and quotes it", async () => {
    await follow("unquoted", rule("    numbers: +14155550100\n"), 'write a list: ["+14155550100"]', "+14155550100", '["+14155550100"]');
  });

  it('mediaTimeout: 30 gets the hint "30s"', async () => {
    await follow("mediaTimeout", rule("    media: { mediaTimeout: 30 }\n"), 'write seconds as a quoted string with an `s`: "30s"', "mediaTimeout: 30", 'mediaTimeout: "30s"');
  });

  it("a top-level `rule:` gets did you mean `rules`", async () => {
    const text = "version: 1\nrule:\n  - name: a\n    individual: {}\n    trunkIds: [ST_1]\n";
    const bad = await runCli(["validate", "-"], { input: text });
    expect(bad.stdout).toContain("<stdin>:2:1: error: unknown key `rule` (at rule)\n  hint: did you mean `rules`?");
    await follow("rule", text, "did you mean `rules`?", "rule:", "rules:");
  });

  it("an unclosed [ is reported at the bracket's line as unclosed", async () => {
    const text = rule('    numbers: ["+14155550100", "+14155550101"\n    hidePhoneNumber: true\n');
    const bad = await runCli(["validate", "-"], { input: text });
    expect(bad.stdout).toContain("<stdin>:6:14: error: unclosed `[`");
    expect(bad.stdout).not.toContain("align this line");
    await follow("bracket", text, "add `]` after its last item", '"+14155550101"', '"+14155550101"]');
  });
});

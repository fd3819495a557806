// End-to-end (I/O: child processes, temp files, two in-process emulators): SPEC §8 environments
// through the built CLI — one file, a staging and a production server with their own
// credentials; --env / $DISPATCH_ENV, the LIVEKIT_URL guard, rules limited to environments,
// validate per environment, plan --env all in every format, apply of exactly one environment.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startEmulator, type StartedEmulator } from "../support/emulator.js";
import { runCli, type CliResult } from "../support/run-cli.js";

const STAGING = { key: "stg-key-4Hq", secret: "stg-Secr3t-Pw7Lq2Zx" };
const PROD = { key: "prd-key-9Tm", secret: "prd-Secr3t-Jd3Kv8Rn" };

let staging: StartedEmulator;
let prod: StartedEmulator;
let dir: string;

beforeAll(async () => {
  staging = await startEmulator({ apiKey: STAGING.key, apiSecret: STAGING.secret });
  prod = await startEmulator({ apiKey: PROD.key, apiSecret: PROD.secret });
  dir = await mkdtemp(join(tmpdir(), "sds-env-"));
  await writeFile(join(dir, "prod-secret"), `${PROD.secret}\n`, { mode: 0o600 });
});
afterAll(async () => {
  await staging.stop();
  await prod.stop();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  staging.control.reset();
  prod.control.reset();
});

/** Staging takes the process credentials; production names its own (apiKey from a variable, a secret file). */
function fileText(extraRules = ""): string {
  return `version: 1
environments:
  staging:
    url: ${staging.url.replace("http://", "ws://")}
    vars: { SUPPORT_NUMBER: "+15550001111" }
  production:
    url: ${prod.url}
    vars: { SUPPORT_NUMBER: "+15550002222" }
    apiKey: \${PROD_KEY}
    apiSecretFile: prod-secret
rules:
  - name: support-line
    individual: { roomPrefix: support- }
    numbers: ["\${SUPPORT_NUMBER}"]
  - name: load-test
    environments: [staging]
    callee: { roomPrefix: load- }
    numbers: ["\${LOAD_NUMBER}"]
${extraRules}`;
}

async function write(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text, "utf8");
  return path;
}

const BASE_ENV = { LIVEKIT_API_KEY: STAGING.key, LIVEKIT_API_SECRET: STAGING.secret, PROD_KEY: PROD.key, LOAD_NUMBER: "+15559990000" };

async function cli(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  const r = await runCli(args, { env: { ...BASE_ENV, ...env }, cwd: dir });
  const out = r.stdout + r.stderr;
  for (const s of [STAGING.secret, PROD.secret]) expect(out, `a secret in the output of ${args.join(" ")}`).not.toContain(s);
  expect(r.stderr, "no stack trace").not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
  return r;
}

const writesTo = (em: StartedEmulator) => em.control.requests().filter((r) => /Create|Update|Delete/.test(r.rpc) && r.body.trim() !== "{}");
const names = (em: StartedEmulator) => (em.control.rules() as { name: string; numbers: string[] }[]).map((r) => `${r.name} ${r.numbers.join(",")}`).sort();

describe("environments (SPEC §8), built CLI against two emulators", () => {
  it("a server command without an environment is an error naming the choices; nothing is read", async () => {
    const file = await write("rules.yaml", fileText());
    for (const args of [["plan"], ["apply", "--auto-approve"], ["export"]]) {
      const r = await cli([...args, "-c", file], { LIVEKIT_URL: staging.url, ...(args[0] === "export" ? { DISPATCH_ENV: "" } : {}) });
      if (args[0] === "export") {
        // export writes a new file: without --env it reads LIVEKIT_URL and never needs the rules file.
        expect(r.code, r.stderr).toBe(0);
        continue;
      }
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stderr).toMatch(/rules\.yaml:2:1: error: the file defines environments \(staging, production\): name one/);
      expect(r.stderr).toContain("--env");
    }
    expect(writesTo(staging)).toEqual([]);
    const unknown = await cli(["plan", "-c", file, "--env", "prod"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("the file has no environment `prod` (it defines staging, production)");
    expect(unknown.stderr).toContain("did you mean --env production?");
  });

  it("--env and $DISPATCH_ENV pick the environment's server, credentials and variables; rules limited to environments", async () => {
    const file = await write("rules.yaml", fileText());
    const s = await cli(["apply", "-c", file, "--env", "staging", "--auto-approve"]);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toContain(`Planning ${file} (environment staging) against ${staging.url}`);
    expect(names(staging)).toEqual(["load-test +15559990000", "support-line +15550001111"]);
    expect(names(prod)).toEqual([]);

    const p = await cli(["apply", "-c", file, "--auto-approve"], { DISPATCH_ENV: "production" });
    expect(p.code, p.stderr).toBe(0);
    expect(names(prod)).toEqual(["support-line +15550002222"]);
    // The process environment wins over `vars`.
    const override = await cli(["plan", "-c", file, "--env", "production", "--format", "json"], { SUPPORT_NUMBER: "+15550003333" });
    expect(override.code, override.stderr).toBe(0);
    const plan = JSON.parse(override.stdout) as { environment: string; changes: { fields: { path: string; after: unknown }[] }[] };
    expect(plan.environment).toBe("production");
    expect(JSON.stringify(plan.changes)).toContain("+15550003333");
  });

  it("refuses when LIVEKIT_URL or --url names another server than the environment's", async () => {
    const file = await write("rules.yaml", fileText());
    const r = await cli(["apply", "-c", file, "--env", "production", "--auto-approve"], { LIVEKIT_URL: staging.url });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`refused: environment production is ${prod.url}, but LIVEKIT_URL points at ${staging.url}`);
    const flag = await cli(["plan", "-c", file, "--env", "production", "--url", staging.url]);
    expect(flag.code).toBe(1);
    expect(flag.stderr).toContain("but --url points at");
    expect(staging.control.requests()).toEqual([]);
    expect(prod.control.requests()).toEqual([]);
    // The same server spelled ws:// is no mismatch.
    const same = await cli(["plan", "-c", file, "--env", "production"], { LIVEKIT_URL: prod.url.replace("http://", "ws://") });
    expect(same.code, same.stderr).toBe(0);
  });

  it("validate checks every environment and says which one a problem belongs to", async () => {
    const file = await write("rules.yaml", fileText());
    const ok = await cli(["validate", file]);
    expect(ok.code, ok.stdout).toBe(0);
    // LOAD_NUMBER is needed by the staging-only rule: production is fine without it.
    const missing = await cli(["validate", file], { LOAD_NUMBER: undefined });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/rules\.yaml:18:\d+: error: environment staging: environment variable `LOAD_NUMBER` is not set/);
    expect(missing.stdout).not.toContain("environment production:");
    // A conflict in one environment only: production's number equals a rule's fixed number.
    const conflict = await write(
      "conflict.yaml",
      fileText(`  - name: fixed
    individual: { roomPrefix: fixed- }
    numbers: ["+15550002222"]
`),
    );
    const c = await cli(["validate", conflict, "--format", "json"]);
    expect(c.code).toBe(1);
    const report = JSON.parse(c.stdout) as { files: { diagnostics: { code: string; message: string }[] }[] };
    const conflicts = report.files[0]?.diagnostics.filter((d) => d.code === "rule-conflict") ?? [];
    expect(conflicts.map((d) => d.message.slice(0, 24))).toEqual(["environment production: "]);
    // A problem shared by every environment is reported once, as it is.
    const typo = await write("typo.yaml", fileText().replace("roomPrefix: support-", "roomPrefx: support-"));
    const t = await cli(["validate", typo]);
    expect(t.code).toBe(1);
    expect(t.stdout.match(/unknown key `roomPrefx`/g)?.length).toBe(1);
    expect(t.stdout).not.toMatch(/environment (staging|production): .*roomPrefx/);
    // A rule naming an environment the file lacks.
    const bad = await write("bad-env.yaml", fileText().replace("environments: [staging]", "environments: [stagign]"));
    const b = await cli(["validate", bad]);
    expect(b.code).toBe(1);
    expect(b.stdout).toContain("`stagign` is not an environment of this file");
    expect(b.stdout).toContain("did you mean `staging`?");
  });

  it("plan --env all: one section per environment in every format, listed concurrently, exit code the highest", async () => {
    const file = await write("rules.yaml", fileText());
    const first = await cli(["apply", "-c", file, "--env", "production", "--auto-approve"]);
    expect(first.code, first.stderr).toBe(0);
    // Production is in sync (0), staging has changes (2 with --detailed-exitcode).
    staging.control.setLatency(300);
    prod.control.setLatency(300);
    const started = performance.now();
    const text = await cli(["plan", "-c", file, "--env", "all", "--detailed-exitcode"]);
    const took = performance.now() - started;
    staging.control.setLatency(0);
    prod.control.setLatency(0);
    expect(text.code, text.stderr).toBe(2);
    expect(text.stdout).toContain(`=== environment staging (${staging.url}) ===`);
    expect(text.stdout).toContain(`=== environment production (${prod.url}) ===`);
    expect(text.stdout).toContain("Plan: 2 to create, 0 to update, 0 to delete, 0 unchanged, 0 unmanaged left alone.");
    expect(text.stdout).toContain("No changes. The server matches the file.");
    // Each list waits 300 ms: one after the other would take 600 ms plus the CLI's start.
    expect(took).toBeLessThan(600 + 2000);

    const json = await cli(["plan", "-c", file, "--env", "all", "--format", "json"]);
    expect(json.code, json.stderr).toBe(0);
    const doc = JSON.parse(json.stdout) as { environments: { environment: string; server: string; summary: { create: number } }[] };
    expect(doc.environments.map((e) => [e.environment, e.server, e.summary.create])).toEqual([
      ["staging", staging.url, 2],
      ["production", prod.url, 0],
    ]);

    const md = await cli(["plan", "-c", file, "--env", "all", "--format", "markdown"]);
    expect(md.stdout).toContain("## sip-dispatch-sync plan: 2 environments");
    expect(md.stdout).toContain("### sip-dispatch-sync plan: environment <code>staging</code>");
    expect(md.stdout).toContain("### sip-dispatch-sync plan: environment <code>production</code>");
    expect(md.stdout).toMatch(/\| <code>staging<\/code> \| 2 \| 0 \| 0 \| 0 \| changes \|/);

    const gh = await cli(["plan", "-c", file, "--env", "all", "--format", "github"]);
    expect(gh.stdout).toMatch(/^::notice file=[^,]*rules\.yaml,line=\d+,col=\d+,title=staging%3A create "support-line"::staging: create rule "support-line"/m);
    expect(gh.stdout).toContain("production: Plan: 0 to create");

    // An environment that cannot be planned is a section with its error; the others are planned; exit 1.
    prod.control.failNext("ListSIPDispatchRule", 1, { status: 403, code: "permission_denied", msg: "no sip admin" });
    const broken = await cli(["plan", "-c", file, "--env", "all"]);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain("=== environment production");
    expect(broken.stdout).toMatch(/=== environment production[^\n]*===\nerror: /);
    expect(broken.stdout).toContain("Plan: 2 to create");
  });

  it("apply and watch take exactly one environment; a saved plan is refused for another", async () => {
    const file = await write("rules.yaml", fileText());
    const all = await cli(["apply", "-c", file, "--env", "all", "--auto-approve"]);
    expect(all.code).toBe(1);
    expect(all.stderr).toContain("apply takes exactly one environment");
    const watch = await cli(["watch", "-c", file, "--env", "all", "--listen", "127.0.0.1:0"]);
    expect(watch.code).toBe(1);
    expect(watch.stderr).toContain("watch keeps exactly one environment");
    const out = join(dir, "staging-plan.json");
    const saved = await cli(["plan", "-c", file, "--env", "staging", "--out", out]);
    expect(saved.code, saved.stderr).toBe(0);
    const wrong = await cli(["apply", out, "-c", file, "--env", "production", "--auto-approve"]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("the saved plan was made for environment staging, not environment production; nothing was applied");
    expect(prod.control.requests()).toEqual([]);
    const right = await cli(["apply", out, "-c", file, "--env", "staging", "--auto-approve"]);
    expect(right.code, right.stderr).toBe(0);
    expect(names(staging)).toHaveLength(2);
    const outAll = await cli(["plan", "-c", file, "--env", "all", "--out", out]);
    expect(outAll.code).toBe(1);
    expect(outAll.stderr).toContain("--out cannot save a plan of every environment");
  });

  it("export --env reads the environment's server with its own credentials", async () => {
    const file = await write("rules.yaml", fileText());
    expect((await cli(["apply", "-c", file, "--env", "production", "--auto-approve"])).code).toBe(0);
    const r = await cli(["export", "-c", file, "--env", "production"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("name: support-line");
    expect(r.stdout).toContain(`# Exported from ${prod.url}`);
  });
});

// End-to-end (I/O: child processes, temp files, two in-process emulators): SPEC §8 trunk names
// through the built CLI. `trunks: [NAME]` resolves with ListSIPInboundTrunk (all pages, exact
// name) in the environment planned; zero or several matches, or a failed list, is an error at
// the rule's line and nothing is applied; the diff and the conflict check work on IDs; trunkIds
// that name no inbound trunk are warned about; and the trunk list's passwords, user names and
// headers never reach any output, saved plan or log.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { startEmulator, type StartedEmulator } from "../support/emulator.js";
import { eventOf, spawnCli } from "../support/spawn-cli.js";
import { runCli, type CliResult } from "../support/run-cli.js";

/** What a trunk list carries in clear (livekit-sip-api.md §11.1): none of it may leave the process. */
const TRUNK_SECRETS = ["TrunkPassw0rd-Zq81xV", "trunk-user-K3mW9", "hdr-value-77QpLs"];
const credentials = (n: number) => ({ auth_username: `${TRUNK_SECRETS[1]}${n}`, auth_password: `${TRUNK_SECRETS[0]}${n}`, headers: { "X-Carrier-Token": `${TRUNK_SECRETS[2]}${n}` } });

let staging: StartedEmulator;
let prod: StartedEmulator;
let dir: string;

beforeAll(async () => {
  staging = await startEmulator({ apiKey: "stg", apiSecret: "stg-secret-Qw8" });
  prod = await startEmulator({ apiKey: "prd", apiSecret: "prd-secret-Lm2" });
  dir = await mkdtemp(join(tmpdir(), "sds-trunks-"));
  await writeFile(join(dir, "stg-secret"), "stg-secret-Qw8\n");
  await writeFile(join(dir, "prd-secret"), "prd-secret-Lm2\n");
});
afterAll(async () => {
  await staging.stop();
  await prod.stop();
  await rm(dir, { recursive: true, force: true });
});

const IDS = { stgMain: "ST_stgMain0001", stgTest: "ST_stgTest0001", prdMain: "ST_prdMain0001", prdOut: "ST_prdOutb0001" };
beforeEach(() => {
  staging.control.reset();
  prod.control.reset();
  staging.control.seedTrunks([
    { sip_trunk_id: IDS.stgMain, name: "main-carrier", numbers: ["+15550001111"], ...credentials(1) },
    { sip_trunk_id: IDS.stgTest, name: "test-carrier", ...credentials(2) },
  ]);
  prod.control.seedTrunks([{ sip_trunk_id: IDS.prdMain, name: "main-carrier", numbers: ["+15550002222"], ...credentials(3) }]);
});

function fileText(rules?: string): string {
  return `version: 1
environments:
  staging:
    url: ${staging.url}
    apiKey: stg
    apiSecretFile: stg-secret
    vars: { SUPPORT_NUMBER: "+15550001111" }
  production:
    url: ${prod.url}
    apiKey: prd
    apiSecretFile: prd-secret
    vars: { SUPPORT_NUMBER: "+15550002222" }
rules:
${
  rules ??
  `  - name: support-line
    individual: { roomPrefix: support- }
    trunks: [main-carrier]
    numbers: ["\${SUPPORT_NUMBER}"]
  - name: load-test
    environments: [staging]
    callee: {}
    trunks: [test-carrier]
`
}`;
}

async function write(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text, "utf8");
  return path;
}

/** Runs the built CLI; no trunk password, user name or header value in any output. */
async function cli(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  const r = await runCli(args, { env, cwd: dir });
  assertNoTrunkSecrets(r.stdout + r.stderr, args.join(" "));
  expect(r.stderr, "no stack trace").not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
  return r;
}

function assertNoTrunkSecrets(text: string, what: string): void {
  for (const s of TRUNK_SECRETS) expect(text, `trunk credential in ${what}`).not.toContain(s);
}

const stored = (em: StartedEmulator) => (em.control.rules() as { name: string; trunk_ids: string[] }[]).map((r) => [r.name, r.trunk_ids]).sort();
const writes = (em: StartedEmulator) => em.control.requests().filter((r) => /^(Create|Update|Delete)SIPDispatchRule$/.test(r.rpc) && r.body.trim() !== "{}");
const trunkLists = (em: StartedEmulator) => em.control.requests().filter((r) => r.rpc === "ListSIPInboundTrunk").length;

describe("trunk names (SPEC §8), built CLI against two emulators", () => {
  it("resolves names per environment, shows main-carrier (ST_...), applies IDs, and then plans no changes", async () => {
    const file = await write("rules.yaml", fileText());
    const plan = await cli(["plan", "-c", file, "--env", "staging"]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(`Trunks: main-carrier (${IDS.stgMain}), test-carrier (${IDS.stgTest})`);
    expect(plan.stdout).toContain(`trunkIds: ["${IDS.stgMain}"]`);
    for (const env of ["staging", "production"]) {
      const r = await cli(["apply", "-c", file, "--env", env, "--auto-approve"]);
      expect(r.code, r.stderr).toBe(0);
    }
    expect(stored(staging)).toEqual([
      ["load-test", [IDS.stgTest]],
      ["support-line", [IDS.stgMain]],
    ]);
    expect(stored(prod)).toEqual([["support-line", [IDS.prdMain]]]);
    const again = await cli(["plan", "-c", file, "--env", "all", "--detailed-exitcode"]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout.match(/No changes\./g)).toHaveLength(2);
    expect(again.stdout).toContain(`Trunks: main-carrier (${IDS.prdMain})`);
  });

  it("a name with no trunk, with several trunks, or a failed list is an error at the rule's line; nothing is applied", async () => {
    const file = await write("rules.yaml", fileText());
    staging.control.seedTrunks([{ sip_trunk_id: "ST_stgTest0002", name: "test-carrier" }]);
    const dup = await cli(["apply", "-c", file, "--env", "staging", "--auto-approve"]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/rules\.yaml:18:5: error: rule `load-test`: 2 inbound trunks in environment staging are named `test-carrier` \(ST_stgTest0001, ST_stgTest0002\)/);
    expect(writes(staging)).toEqual([]);

    const typo = await write("typo.yaml", fileText().replace("trunks: [main-carrier]", "trunks: [Main-Carrier]"));
    const missing = await cli(["apply", "-c", typo, "--env", "production", "--auto-approve"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/typo\.yaml:14:5: error: rule `support-line`: no inbound trunk in environment production is named `Main-Carrier`/);
    expect(missing.stderr).toContain("did you mean `main-carrier`?");
    expect(writes(prod)).toEqual([]);

    prod.control.failNext("ListSIPInboundTrunk", 1, { status: 403, code: "permission_denied", msg: "no permission" });
    const failed = await cli(["apply", "-c", file, "--env", "production", "--auto-approve"]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/rules\.yaml:14:5: error: rule `support-line` names inbound trunks \(main-carrier\), but listing the inbound trunks in environment production failed/);
    expect(writes(prod)).toEqual([]);

    // plan --env all: the broken environment is a section with the positioned error.
    const all = await cli(["plan", "-c", file, "--env", "all", "--format", "github"]);
    expect(all.code).toBe(1);
    expect(all.stdout).toMatch(/^::error file=[^,]*rules\.yaml,line=18,col=5,title=staging%3A not planned::staging: rule `load-test`: 2 inbound trunks/m);
  });

  it("the diff works on IDs: a trunk deleted and created again (new ID) is an update of trunkIds", async () => {
    const file = await write("rules.yaml", fileText());
    expect((await cli(["apply", "-c", file, "--env", "production", "--auto-approve"])).code).toBe(0);
    prod.control.reset();
    prod.control.seedTrunks([{ sip_trunk_id: "ST_prdMain0002", name: "main-carrier", ...credentials(4) }]);
    prod.control.seed([{ sip_dispatch_rule_id: "SDR_kept0000001", name: "support-line", rule: { dispatch_rule_individual: { room_prefix: "support-" } }, trunk_ids: [IDS.prdMain], numbers: ["+15550002222"] }]);
    const r = await cli(["plan", "-c", file, "--env", "production", "--format", "json"]);
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as { changes: { action: string; fields: unknown[] }[]; trunks: unknown[] };
    expect(plan.changes.map((c) => c.action)).toEqual(["update"]);
    expect(JSON.stringify(plan.changes[0]?.fields)).toContain("ST_prdMain0002");
    expect(plan.trunks).toEqual([{ name: "main-carrier", id: "ST_prdMain0002" }]);
  });

  it("the conflict check works on IDs: a name and a trunkId that are one trunk conflict", async () => {
    const file = await write(
      "conflict.yaml",
      fileText(`  - name: by-name
    callee: {}
    trunks: [main-carrier]
    numbers: ["+15550001111"]
  - name: by-id
    individual: {}
    trunkIds: [${IDS.stgMain}]
    numbers: ["+15550001111"]
`),
    );
    const v = await cli(["validate", file]);
    expect(v.code, "offline, a name is not an ID: no conflict yet").toBe(0);
    const r = await cli(["apply", "-c", file, "--env", "staging", "--auto-approve"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: rule `by-id` conflicts with rule `by-name` once trunk names are resolved in environment staging: both match trunk ST_stgMain0001/);
    expect(writes(staging)).toEqual([]);
  });

  it("plan warns about trunkIds that name no inbound trunk (an outbound or deleted one)", async () => {
    const file = await write("ids.yaml", fileText(`  - name: stale\n    callee: {}\n    trunkIds: [ST_gone00000001, ${IDS.prdMain}]\n`));
    const r = await cli(["plan", "-c", file, "--env", "production", "--format", "json"]);
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as { warnings: string[] };
    expect(plan.warnings).toEqual([
      "rule `stale`: trunkIds ST_gone00000001 is not an inbound trunk in environment production; the server accepts it, but the rule never matches a call (an outbound or deleted trunk?)",
    ]);
    const gh = await cli(["plan", "-c", file, "--env", "production", "--format", "github"]);
    expect(gh.stdout).toContain("::warning title=production%3A sip-dispatch-sync::production: rule `stale`: trunkIds ST_gone00000001");
  });

  it("lists inbound trunks once per environment and run (all pages), and not at all when no rule names a trunk", async () => {
    const file = await write("rules.yaml", fileText());
    staging.control.clearRequests();
    expect((await cli(["plan", "-c", file, "--env", "staging"])).code).toBe(0);
    expect(staging.control.requests().map((r) => r.rpc).sort()).toEqual(["ListSIPDispatchRule", "ListSIPInboundTrunk"]);
    // A server that caps pages at 100: 250 trunks take three pages, all read; a name held by a
    // trunk on the first page and one on the last is ambiguous.
    staging.control.seedTrunks(Array.from({ length: 248 }, (_, i) => ({ sip_trunk_id: `ST_filler${String(i).padStart(5, "0")}`, name: `filler-${i}` })));
    staging.control.setFeatures({ pageSize: 100 });
    staging.control.clearRequests();
    const paged = await cli(["plan", "-c", file, "--env", "staging"]);
    expect(paged.code, paged.stderr).toBe(0);
    expect(paged.stdout).toContain(`test-carrier (${IDS.stgTest})`);
    expect(trunkLists(staging)).toBe(3);
    staging.control.seedTrunks([{ sip_trunk_id: "ST_zzzLast00001", name: "main-carrier" }]);
    const ambiguous = await cli(["plan", "-c", file, "--env", "staging"]);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toContain(`2 inbound trunks in environment staging are named \`main-carrier\` (${IDS.stgMain}, ST_zzzLast00001)`);
    staging.control.setFeatures({ pageSize: undefined });
    const plain = await write("plain.yaml", fileText("  - name: plain\n    callee: {}\n"));
    staging.control.clearRequests();
    expect((await cli(["plan", "-c", plain, "--env", "staging"])).code).toBe(0);
    expect(trunkLists(staging)).toBe(0);
  });

  it("never logs, saves or prints a trunk password, user name or header, in any format or log level", async () => {
    const file = await write("rules.yaml", fileText());
    const out = join(dir, "plan.json");
    const summary = join(dir, "summary.md");
    const runs = [
      ["plan", "-c", file, "--env", "staging", "--log-level", "trace", "--out", out],
      ...["text", "json", "markdown", "github"].map((f) => ["plan", "-c", file, "--env", "all", "--format", f, "--log-level", "trace"]),
      ["apply", "-c", file, "--env", "staging", "--auto-approve", "--log-level", "trace"],
      ["export", "-c", file, "--env", "staging", "--trunk-names", "--log-level", "trace"],
      ["export", "-c", file, "--env", "staging", "--format", "json"],
    ];
    for (const args of runs) {
      const r = await cli(args, { GITHUB_STEP_SUMMARY: summary });
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
    }
    assertNoTrunkSecrets(await readFile(out, "utf8"), "the saved plan");
    assertNoTrunkSecrets(await readFile(summary, "utf8"), "the step summary");
    // A failing list's message is printed, but it carries no trunk data either.
    staging.control.failNext("ListSIPInboundTrunk", 1, { status: 200, body: `{"items": [{"sip_trunk_id": 5, "auth_password": "${TRUNK_SECRETS[0]}"}]}`, contentType: "application/json" });
    const bad = await cli(["plan", "-c", file, "--env", "staging"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("items[0].sip_trunk_id: missing or not a string");
  });

  it("export --trunk-names writes names where an ID is exactly one uniquely named inbound trunk, trunkIds otherwise", async () => {
    staging.control.seedTrunks([
      { sip_trunk_id: "ST_dupA00000001", name: "twin" },
      { sip_trunk_id: "ST_dupB00000001", name: "twin" },
      { sip_trunk_id: "ST_noname000001", name: "" },
    ]);
    staging.control.seed([
      { sip_dispatch_rule_id: "SDR_exp000000001", name: "named", rule: { dispatch_rule_callee: {} }, trunk_ids: [IDS.stgMain, IDS.stgTest], numbers: ["+1555"] },
      { sip_dispatch_rule_id: "SDR_exp000000002", name: "mixed", rule: { dispatch_rule_callee: {} }, trunk_ids: [IDS.stgMain, "ST_dupA00000001", "ST_noname000001", "ST_outbound0001"], numbers: ["+1556"] },
    ]);
    const rulesFile = await write("rules.yaml", fileText());
    const r = await cli(["export", "-c", rulesFile, "--env", "staging", "--trunk-names"]);
    expect(r.code, r.stderr).toBe(0);
    const rules = (parse(r.stdout) as { rules: { name: string; trunkIds?: string[]; trunks?: string[] }[] }).rules;
    const byName = new Map(rules.map((x) => [x.name, x]));
    expect(byName.get("named")).toMatchObject({ trunks: ["main-carrier", "test-carrier"] });
    expect(byName.get("named")?.trunkIds).toBeUndefined();
    expect(byName.get("mixed")).toMatchObject({ trunkIds: ["ST_dupA00000001", "ST_noname000001", "ST_outbound0001"], trunks: ["main-carrier"] });
    // trunks: right after trunkIds, in the file's field order.
    expect(Object.keys(byName.get("mixed") ?? {})).toEqual(["name", "callee", "trunkIds", "trunks", "numbers"]);
    // The export plans no changes against the same server.
    const exported = await write("exported.yaml", r.stdout);
    const plan = await cli(["plan", "-c", exported, "--detailed-exitcode"], { LIVEKIT_URL: staging.url, LIVEKIT_API_KEY: "stg", LIVEKIT_API_SECRET: "stg-secret-Qw8" });
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  });

  it("watch --env resolves names before every plan, keeps the trunk list for one interval, and logs no trunk credential", async () => {
    const file = await write("watched.yaml", fileText());
    const daemon = spawnCli(["watch", "-c", file, "--env", "staging", "--listen", "127.0.0.1:0", "--interval", "60s", "--debounce", "50ms"], { cwd: dir });
    await daemon.waitFor((r) => eventOf(r) === "reconcile" && r.result === "success", { what: "the first reconcile" });
    expect(stored(staging)).toEqual([
      ["load-test", [IDS.stgTest]],
      ["support-line", [IDS.stgMain]],
    ]);
    expect(trunkLists(staging)).toBe(1);
    // An edit within the interval reuses the kept list; a name it lacks lists again at once.
    const from = daemon.count();
    await writeFile(file, fileText().replace("trunks: [test-carrier]", "trunks: [main-carrier]\n    numbers: [\"+15550009999\"]"));
    await daemon.waitFor((r) => eventOf(r) === "reconcile" && r.result === "success", { from, what: "the reconcile after the edit" });
    expect(trunkLists(staging)).toBe(1);
    expect(stored(staging)).toContainEqual(["load-test", [IDS.stgMain]]);
    staging.control.seedTrunks([{ sip_trunk_id: "ST_newTrunk0001", name: "new-carrier", ...credentials(9) }]);
    const next = daemon.count();
    await writeFile(file, fileText().replace("trunks: [test-carrier]", "trunks: [new-carrier]"));
    await daemon.waitFor((r) => eventOf(r) === "reconcile" && r.result === "success", { from: next, what: "the reconcile naming a new trunk" });
    expect(trunkLists(staging)).toBe(2);
    expect(stored(staging)).toContainEqual(["load-test", ["ST_newTrunk0001"]]);
    // A name no trunk has: the run fails, nothing is written.
    const before = writes(staging).length;
    const bad = daemon.count();
    await writeFile(file, fileText().replace("trunks: [test-carrier]", "trunks: [no-such-carrier]"));
    const failed = await daemon.waitFor((r) => eventOf(r) === "reconcile" && r.result !== "noop", { from: bad, what: "the failing reconcile" });
    expect(failed.result).toBe("error");
    expect(String(failed.detail)).toContain("no inbound trunk in environment staging is named `no-such-carrier`");
    expect(writes(staging).length).toBe(before);
    daemon.signal("SIGTERM");
    expect((await daemon.waitForExit()).code).toBe(0);
    assertNoTrunkSecrets(daemon.stdout() + daemon.stderr(), "the watch logs");
  });
});

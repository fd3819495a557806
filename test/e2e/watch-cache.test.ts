// End-to-end (I/O: child processes, temp files, loopback HTTP). The built CLI's `watch` keeps the
// server's rules from its last full list plus the answers to its own writes (issue 19): a file
// edit sends no full List, only by-ID confirms of the rules it writes and the writes; a rule
// changed, deleted or replaced on the server behind that view is never written on old
// information (the confirm catches it, a full list follows, the plan is redone); the interval
// still lists everything and corrects drift; a write error makes the next run list everything;
// a rule of the same name created by someone else behind the view ends as one rule.
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { EmulatorControl, RequestRecord } from "../../src/emulator/index.js";
import { startEmulator, type StartedEmulator } from "../support/emulator.js";
import { eventOf, killAll, spawnCli, type LogRecord, type SpawnedCli } from "../support/spawn-cli.js";

interface TestRule {
  readonly name: string;
  /** roomPrefix of an individual rule. */
  readonly room: string;
  readonly number: string;
}

function rulesYaml(rules: readonly TestRule[]): string {
  const lines = ["version: 1", "rules:"];
  for (const r of rules) lines.push(`  - name: ${r.name}`, `    individual: { roomPrefix: "${r.room}" }`, `    numbers: ["${r.number}"]`);
  return `${lines.join("\n")}\n`;
}

interface StoredRule {
  readonly sip_dispatch_rule_id: string;
  readonly name: string;
  readonly numbers: readonly string[];
  readonly rule: { readonly dispatch_rule_individual?: { readonly room_prefix?: string } };
}

const stored = (control: EmulatorControl): StoredRule[] => control.rules() as StoredRule[];
const byName = (control: EmulatorControl, name: string): StoredRule[] => stored(control).filter((r) => r.name === name);
const roomOf = (r: StoredRule | undefined): string | undefined => r?.rule.dispatch_rule_individual?.room_prefix;

/** A rule as the server stores it, for control.seed (snake_case SIPDispatchRuleInfo). */
function seedItem(r: TestRule, id?: string): Record<string, unknown> {
  return { ...(id === undefined ? {} : { sip_dispatch_rule_id: id }), name: r.name, numbers: [r.number], rule: { dispatch_rule_individual: { room_prefix: r.room } } };
}

/** A List request with dispatch_rule_ids (a by-ID confirm), else a full list (page by page). */
function idsOf(r: RequestRecord): string[] | undefined {
  const body = JSON.parse(r.body === "" ? "{}" : r.body) as { dispatch_rule_ids?: string[]; dispatchRuleIds?: string[] };
  return body.dispatch_rule_ids ?? body.dispatchRuleIds;
}
const fullLists = (reqs: readonly RequestRecord[]): RequestRecord[] => reqs.filter((r) => r.rpc === "ListSIPDispatchRule" && idsOf(r) === undefined);
const confirms = (reqs: readonly RequestRecord[]): string[][] => reqs.filter((r) => r.rpc === "ListSIPDispatchRule" && idsOf(r) !== undefined).map((r) => idsOf(r) ?? []);
const writeCalls = (reqs: readonly RequestRecord[]): { rpc: string; id?: string }[] =>
  reqs
    .filter((r) => r.rpc !== "ListSIPDispatchRule")
    .map((r) => {
      const id = (JSON.parse(r.body) as { sip_dispatch_rule_id?: string; sipDispatchRuleId?: string }).sip_dispatch_rule_id ?? (JSON.parse(r.body) as { sipDispatchRuleId?: string }).sipDispatchRuleId;
      return { rpc: r.rpc, ...(id === undefined ? {} : { id }) };
    });

const dirs: string[] = [];
let saves = 0;
async function atomicSave(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${saves++}.tmp`);
  await writeFile(tmp, text);
  await rename(tmp, path);
}

function isReconcile(match: { trigger?: string; result?: string } = {}): (r: LogRecord) => boolean {
  return (r) => eventOf(r) === "reconcile" && (match.trigger === undefined || r.trigger === match.trigger) && (match.result === undefined || r.result === match.result);
}

async function setup(initial: readonly TestRule[], interval = "60s"): Promise<{ em: StartedEmulator; cli: SpawnedCli; file: string }> {
  const em = await startEmulator({ apiKey: "e2e-cache-key", apiSecret: "e2e-cache-secret-Hq2Lm8Zx4Vb7Nc1Rt6" });
  const dir = await mkdtemp(join(tmpdir(), "sds-watch-cache-"));
  dirs.push(dir);
  const file = join(dir, "dispatch-rules.yaml");
  await writeFile(file, rulesYaml(initial));
  const cli = spawnCli(["watch", "-c", file, "--interval", interval, "--debounce", "100ms", "--settle", "0s", "--listen", "127.0.0.1:0"], {
    env: { LIVEKIT_URL: em.url, LIVEKIT_API_KEY: em.apiKey, LIVEKIT_API_SECRET: em.apiSecret },
  });
  const first = await cli.waitFor(isReconcile({ trigger: "start" }), { what: "the first reconcile" });
  expect(first.result).toBe("success");
  return { em, cli, file };
}

afterEach(async () => {
  await killAll();
});
afterAll(async () => {
  await killAll();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const A: TestRule = { name: "alpha", room: "a-", number: "+15550101" };
const B: TestRule = { name: "bravo", room: "b-", number: "+15550102" };
const C: TestRule = { name: "charlie", room: "c-", number: "+15550103" };

describe("watch keeps the server's rules between full lists", () => {
  it("an edit of one rule after the first reconcile sends no full List: one by-ID confirm and the update", async () => {
    const { em, cli, file } = await setup([A, B, C]);
    const bravoId = byName(em.control, "bravo")[0]?.sip_dispatch_rule_id ?? "";
    for (let i = 1; i <= 2; i++) {
      em.control.clearRequests();
      const from = cli.count();
      await atomicSave(file, rulesYaml([A, { ...B, room: `b${i}-` }, C]));
      const done = await cli.waitFor(isReconcile({ trigger: "file" }), { from, what: `the reconcile of edit ${i}` });
      expect(done.result).toBe("success");
      const reqs = em.control.requests();
      expect(fullLists(reqs)).toEqual([]);
      expect(confirms(reqs)).toEqual([[bravoId]]);
      expect(writeCalls(reqs)).toEqual([{ rpc: "UpdateSIPDispatchRule", id: bravoId }]);
      expect(roomOf(byName(em.control, "bravo")[0])).toBe(`b${i}-`);
    }
    // Adding and removing rules from the view: a create needs no confirm, a delete confirms its rule.
    em.control.clearRequests();
    let from = cli.count();
    const D: TestRule = { name: "delta", room: "d-", number: "+15550104" };
    await atomicSave(file, rulesYaml([A, { ...B, room: "b2-" }, C, D]));
    expect((await cli.waitFor(isReconcile({ trigger: "file" }), { from, what: "the reconcile of the create" })).result).toBe("success");
    expect(fullLists(em.control.requests())).toEqual([]);
    expect(writeCalls(em.control.requests()).map((w) => w.rpc)).toEqual(["CreateSIPDispatchRule"]);
    const deltaId = byName(em.control, "delta")[0]?.sip_dispatch_rule_id ?? "";
    em.control.clearRequests();
    from = cli.count();
    await atomicSave(file, rulesYaml([A, { ...B, room: "b2-" }, C]));
    expect((await cli.waitFor(isReconcile({ trigger: "file" }), { from, what: "the reconcile of the delete" })).result).toBe("success");
    // The created rule is known from the Create answer: its delete is confirmed by ID, not listed.
    expect(fullLists(em.control.requests())).toEqual([]);
    expect(confirms(em.control.requests())).toEqual([[deltaId]]);
    expect(writeCalls(em.control.requests())).toEqual([{ rpc: "DeleteSIPDispatchRule", id: deltaId }]);
    expect(stored(em.control).map((r) => r.name).sort()).toEqual(["alpha", "bravo", "charlie"]);
  });

  it("a rule changed, deleted or replaced on the server behind the view is never written on old information", async () => {
    const { em, cli, file } = await setup([A, B, C]);
    const ids = Object.fromEntries(stored(em.control).map((r) => [r.name, r.sip_dispatch_rule_id]));

    // Changed behind: someone moved bravo to another number. The edit (bravo's room) is planned
    // from the view, the confirm finds bravo different, a full list follows and the plan is redone.
    em.control.seed([seedItem({ ...B, number: "+15550999" }, ids.bravo)]);
    em.control.clearRequests();
    let from = cli.count();
    await atomicSave(file, rulesYaml([A, { ...B, room: "b1-" }, C]));
    let done = await cli.waitFor(isReconcile({ trigger: "file" }), { from, what: "the reconcile after the change behind" });
    expect(done.result).toBe("success");
    const changed = cli.records().slice(from).filter((r) => eventOf(r) === "server-changed");
    expect(changed.map((r) => r.rules)).toEqual([["bravo"]]);
    let reqs = em.control.requests();
    expect(fullLists(reqs).length).toBeGreaterThan(0);
    // Order: the confirm, then the full list, then the one write.
    const order = reqs.map((r) => (r.rpc === "ListSIPDispatchRule" ? (idsOf(r) === undefined ? "list" : "confirm") : r.rpc));
    expect(order.indexOf("confirm")).toBeLessThan(order.indexOf("list"));
    expect(order.at(-1)).toBe("UpdateSIPDispatchRule");
    // The plan that was applied was made from the full list: it names the number as changed too.
    const plans = cli.records().slice(from).filter((r) => eventOf(r) === "plan");
    expect(plans).toHaveLength(1);
    expect(JSON.stringify(plans[0]?.changes)).toMatch(/numbers/);
    expect(byName(em.control, "bravo").map((r) => [r.sip_dispatch_rule_id, roomOf(r), r.numbers])).toEqual([[ids.bravo, "b1-", [B.number]]]);

    // Deleted behind: charlie is gone from the server. An edit of charlie must not update the
    // gone ID; the full list shows it missing and the plan creates it.
    const without = stored(em.control).filter((r) => r.name !== "charlie");
    em.control.reset();
    em.control.seed(without);
    em.control.clearRequests();
    from = cli.count();
    await atomicSave(file, rulesYaml([A, { ...B, room: "b1-" }, { ...C, room: "c1-" }]));
    done = await cli.waitFor(isReconcile({ trigger: "file" }), { from, what: "the reconcile after the delete behind" });
    expect(done.result).toBe("success");
    reqs = em.control.requests();
    expect(writeCalls(reqs).map((w) => w.rpc)).toEqual(["CreateSIPDispatchRule"]);
    expect(byName(em.control, "charlie").map(roomOf)).toEqual(["c1-"]);

    // Replaced behind: alpha deleted and created again by someone else (a new ID). The edit's
    // update goes to the new ID only; nothing is created, nothing deleted.
    const others = stored(em.control).filter((r) => r.name !== "alpha");
    em.control.reset();
    em.control.seed([...others, seedItem(A, "SDR_zzzreplaced01")]);
    em.control.clearRequests();
    from = cli.count();
    await atomicSave(file, rulesYaml([{ ...A, room: "a1-" }, { ...B, room: "b1-" }, { ...C, room: "c1-" }]));
    done = await cli.waitFor(isReconcile({ trigger: "file" }), { from, what: "the reconcile after the replacement behind" });
    expect(done.result).toBe("success");
    expect(writeCalls(em.control.requests())).toEqual([{ rpc: "UpdateSIPDispatchRule", id: "SDR_zzzreplaced01" }]);
    expect(byName(em.control, "alpha").map((r) => [r.sip_dispatch_rule_id, roomOf(r)])).toEqual([["SDR_zzzreplaced01", "a1-"]]);

    // A delete planned from the view for a rule changed behind it is planned again from a full list.
    const bravoNow = byName(em.control, "bravo")[0];
    em.control.seed([seedItem({ ...B, room: "changed-by-hand-" }, bravoNow?.sip_dispatch_rule_id)]);
    em.control.clearRequests();
    from = cli.count();
    await atomicSave(file, rulesYaml([{ ...A, room: "a1-" }, { ...C, room: "c1-" }]));
    done = await cli.waitFor(isReconcile({ trigger: "file" }), { from, what: "the reconcile of the delete after a change behind" });
    expect(done.result).toBe("success");
    expect(cli.records().slice(from).filter((r) => eventOf(r) === "server-changed").map((r) => r.rules)).toEqual([["bravo"]]);
    expect(fullLists(em.control.requests()).length).toBeGreaterThan(0);
    expect(stored(em.control).map((r) => r.name).sort()).toEqual(["alpha", "charlie"]);
  });

  it("an update's replace body starts from the confirming read: a field this version does not manage, changed behind the view, is carried as the server holds it now", async () => {
    const em = await startEmulator({ apiKey: "e2e-cache-key", apiSecret: "e2e-cache-secret-Hq2Lm8Zx4Vb7Nc1Rt6" });
    // A newer server keeps fields this version does not know (the emulator's newer-server mode).
    em.control.setFeatures({ newerServer: true });
    const newer = (nested: number): Record<string, unknown> => ({ ...seedItem(A, "SDR_newer0000001"), future_top: { nested } });
    em.control.seed([newer(1)]);
    const dir = await mkdtemp(join(tmpdir(), "sds-watch-cache-"));
    dirs.push(dir);
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, rulesYaml([A]));
    const cli = spawnCli(["watch", "-c", file, "--interval", "60s", "--debounce", "100ms", "--listen", "127.0.0.1:0"], {
      env: { LIVEKIT_URL: em.url, LIVEKIT_API_KEY: em.apiKey, LIVEKIT_API_SECRET: em.apiSecret },
    });
    expect((await cli.waitFor(isReconcile({ trigger: "start" }), { what: "the first reconcile" })).result).toBe("noop");
    // Behind the view: someone (a newer tool) changes the field this version does not know.
    em.control.seed([newer(2)]);
    em.control.clearRequests();
    const from = cli.count();
    await atomicSave(file, rulesYaml([{ ...A, room: "a1-" }]));
    expect((await cli.waitFor(isReconcile({ trigger: "file" }), { from, what: "the reconcile of the edit" })).result).toBe("success");
    const reqs = em.control.requests();
    // Not a reason to list everything: the field is carried, not compared.
    expect(fullLists(reqs)).toEqual([]);
    const update = reqs.find((r) => r.rpc === "UpdateSIPDispatchRule");
    expect(JSON.parse(update?.body ?? "{}")).toMatchObject({ replace: { future_top: { nested: 2 } } });
    expect(stored(em.control)).toEqual([expect.objectContaining({ sip_dispatch_rule_id: "SDR_newer0000001", future_top: { nested: 2 } })]);
    expect(roomOf(stored(em.control)[0])).toBe("a1-");
  });

  it("many trunk warnings at once: 20 logged one by one, the rest counted in one line, none logged again", async () => {
    const many = Array.from({ length: 25 }, (_, i) => ({ name: `t${String(i).padStart(2, "0")}`, room: `t${i}-`, number: `+1555020${String(i).padStart(2, "0")}` }));
    const withTrunks = (rules: readonly TestRule[]): string => rulesYaml(rules).replace(/( {4}numbers: .*\n)/g, "$1    trunkIds: [ST_unknown]\n");
    const em = await startEmulator({ apiKey: "e2e-cache-key", apiSecret: "e2e-cache-secret-Hq2Lm8Zx4Vb7Nc1Rt6" });
    const dir = await mkdtemp(join(tmpdir(), "sds-watch-cache-"));
    dirs.push(dir);
    const file = join(dir, "dispatch-rules.yaml");
    await writeFile(file, withTrunks(many));
    const cli = spawnCli(["watch", "-c", file, "--interval", "60s", "--debounce", "100ms", "--listen", "127.0.0.1:0"], {
      env: { LIVEKIT_URL: em.url, LIVEKIT_API_KEY: em.apiKey, LIVEKIT_API_SECRET: em.apiSecret },
    });
    expect((await cli.waitFor(isReconcile({ trigger: "start" }), { what: "the first reconcile" })).result).toBe("success");
    const warnings = cli.records().filter((r) => eventOf(r) === "config-warning");
    expect(warnings).toHaveLength(21);
    expect(warnings.slice(0, 20).every((w) => /ST_unknown/.test(String(w.message)))).toBe(true);
    expect(warnings[20]).toMatchObject({ more: 5, message: expect.stringMatching(/^5 more trunk warning/) });
    // An edit of one rule: the warnings are the same ones, and none is logged again.
    const from = cli.count();
    await atomicSave(file, withTrunks(many.map((r, i) => (i === 0 ? { ...r, room: "moved-" } : r))));
    expect((await cli.waitFor(isReconcile({ trigger: "file" }), { from, what: "the reconcile of the edit" })).result).toBe("success");
    expect(cli.records().slice(from).filter((r) => eventOf(r) === "config-warning")).toEqual([]);
  });

  it("a trunk name the server does not have is logged with its rule's position, at start and on every later run", async () => {
    const em = await startEmulator({ apiKey: "e2e-cache-key", apiSecret: "e2e-cache-secret-Hq2Lm8Zx4Vb7Nc1Rt6" });
    em.control.seedTrunks([{ sip_trunk_id: "ST_main0000001", name: "main" }]);
    const dir = await mkdtemp(join(tmpdir(), "sds-watch-cache-"));
    dirs.push(dir);
    const file = join(dir, "dispatch-rules.yaml");
    // Line 6: the rule naming a trunk that does not exist ("mian", not "main").
    await writeFile(file, `${rulesYaml([A, B]).replace(/(name: bravo\n)/, "$1    trunks: [mian]\n")}`);
    const cli = spawnCli(["watch", "-c", file, "--interval", "1s", "--debounce", "100ms", "--listen", "127.0.0.1:0"], {
      env: { LIVEKIT_URL: em.url, LIVEKIT_API_KEY: em.apiKey, LIVEKIT_API_SECRET: em.apiSecret },
    });
    expect((await cli.waitFor(isReconcile({ trigger: "start" }), { what: "the first reconcile" })).result).toBe("error");
    await cli.waitFor(isReconcile({ trigger: "retry" }), { timeoutMs: 5_000, what: "a retry" });
    const errors = cli.records().filter((r) => eventOf(r) === "config-error");
    expect(errors.length).toBeGreaterThanOrEqual(2);
    for (const e of errors) expect([e.line, e.code]).toEqual([6, "unknown-trunk"]);
    expect(stored(em.control)).toEqual([]);
  });

  it("the interval still lists everything and corrects drift made behind the view", async () => {
    const { em, cli, file } = await setup([A, B], "2s");
    let from = cli.count();
    await atomicSave(file, rulesYaml([{ ...A, room: "a1-" }, B]));
    expect((await cli.waitFor(isReconcile({ trigger: "file" }), { from, what: "the reconcile of the edit" })).result).toBe("success");
    // Drift by hand on a rule the edit did not touch: the view still holds the old bravo.
    const bravo = byName(em.control, "bravo")[0];
    em.control.seed([seedItem({ ...B, room: "hacked-" }, bravo?.sip_dispatch_rule_id)]);
    em.control.clearRequests();
    from = cli.count();
    const fixed = await cli.waitFor(isReconcile({ trigger: "interval" }), { from, timeoutMs: 5_000, what: "an interval reconcile" });
    expect(fixed.result).toBe("success");
    expect(fullLists(em.control.requests()).length).toBeGreaterThan(0);
    expect(cli.records().slice(from).filter((r) => eventOf(r) === "drift").map((r) => JSON.stringify(r.rules))).toEqual([expect.stringMatching(/bravo/)]);
    expect(byName(em.control, "bravo").map(roomOf)).toEqual(["b-"]);
  });

  it("a write error makes the next run list everything, even a file run", async () => {
    const { em, cli, file } = await setup([A, B]);
    em.control.failNext("UpdateSIPDispatchRule", 1, { status: 400, code: "invalid_argument", msg: "injected" });
    let from = cli.count();
    await atomicSave(file, rulesYaml([{ ...A, room: "a1-" }, B]));
    const failed = await cli.waitFor(isReconcile({ trigger: "file" }), { from, what: "the failing reconcile" });
    expect(failed.result).toBe("error");
    // The next edit follows at once (before the retry's backoff of about 1 s): it lists everything.
    em.control.clearRequests();
    from = cli.count();
    await atomicSave(file, rulesYaml([{ ...A, room: "a2-" }, B]));
    const next = await cli.waitFor(isReconcile(), { from, what: "the next reconcile" });
    expect(next.result).toBe("success");
    expect(fullLists(em.control.requests()).length).toBeGreaterThan(0);
    expect(confirms(em.control.requests())).toEqual([]);
    expect(byName(em.control, "alpha").map(roomOf)).toEqual(["a2-"]);
  });

  it("a rule of the same name created by someone else behind the view ends as one rule, the file's, after the next full list", async () => {
    const { em, cli, file } = await setup([A], "2s");
    // Someone creates "bravo" (other content) behind the view; then the file adds bravo.
    em.control.seed([seedItem({ ...B, room: "theirs-", number: "+15550888" }, "SDR_0theirs00001")]);
    let from = cli.count();
    await atomicSave(file, rulesYaml([A, B]));
    expect((await cli.waitFor(isReconcile({ trigger: "file" }), { from, what: "the reconcile of the edit" })).result).toBe("success");
    // No name filter exists (livekit-sip-api.md §5.4): the create was planned from the view.
    expect(byName(em.control, "bravo")).toHaveLength(2);
    // The next full list sees two rules of one name (SPEC §4): the one equal to the file is kept,
    // the other deleted after the kept one is confirmed by a second read.
    from = cli.count();
    const resync = await cli.waitFor(isReconcile({ trigger: "interval" }), { from, timeoutMs: 5_000, what: "an interval reconcile" });
    expect(resync.result).toBe("success");
    const left = byName(em.control, "bravo");
    expect(left.map((r) => [roomOf(r), r.numbers])).toEqual([[B.room, [B.number]]]);
    expect(left[0]?.sip_dispatch_rule_id).not.toBe("SDR_0theirs00001");
  });
});

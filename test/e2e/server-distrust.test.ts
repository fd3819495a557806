// End-to-end through the built CLI (issue #12): read-only commands send List requests only (no
// Update probe, SPEC §4), and a List answer that cannot be trusted — a repeated ID, IDs out of
// paging order, an answer past the size bound (decompressed: a gzip bomb), more pages than the
// bound — fails closed with nothing written (SPEC §4, §5).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { API_KEY, API_SECRET, parsePlan, seedRule, startE2e, type E2e, type StoredRule } from "../support/e2e-harness.js";
import { eventOf, spawnCli } from "../support/spawn-cli.js";

const RULES = `version: 1
rules:
  - name: keep
    individual: { roomPrefix: keep- }
    trunkIds: [ST_keep]
  - name: change
    individual: { roomPrefix: changed- }
    trunkIds: [ST_change]
  - name: fresh
    direct: { roomName: fresh-room }
    trunkIds: [ST_fresh]
`;

function seedServer(t: E2e): void {
  t.em.control.seed([
    seedRule("SDR_AAAAAAAAAAA1", "keep", { rule: { dispatch_rule_individual: { room_prefix: "keep-" } }, trunk_ids: ["ST_keep"] }),
    seedRule("SDR_AAAAAAAAAAA2", "change", { rule: { dispatch_rule_individual: { room_prefix: "old-" } }, trunk_ids: ["ST_change"] }),
    seedRule("SDR_AAAAAAAAAAA3", "stale", { trunk_ids: ["ST_stale"] }),
  ]);
}

/** A List answer body as the server would send it, built from the emulator's own items. */
function listBody(items: readonly unknown[]): string {
  return JSON.stringify({ items });
}

describe("read-only commands send List requests only", () => {
  let t: E2e;
  beforeAll(async () => {
    t = await startE2e("readonly");
  });
  afterAll(async () => {
    await t.stop();
  });
  beforeEach(() => {
    t.em.control.reset();
    seedServer(t);
  });

  it.each([
    ["plan"],
    ["plan", "--format", "json"],
    ["plan", "--format", "markdown"],
    ["export"],
    ["export", "--format", "json"],
    ["validate"],
  ])("%s %s %s: the request log holds List calls only, with an update pending", async (...args) => {
    const file = await t.write("rules.yaml", RULES);
    const r = await t.cli([...args, "-c", file], { showsPins: args.includes("json") && args[0] === "export" });
    expect(r.code, r.stderr).toBe(0);
    const rpcs = t.em.control.requests().map((q) => q.rpc);
    expect(rpcs.filter((rpc) => !rpc.startsWith("List"))).toEqual([]); // rules and, for trunkIds, inbound trunks (SPEC §8)
    if (args[0] !== "validate") expect(rpcs.length).toBeGreaterThan(0);
    if (args[0] === "plan" && args[2] === "json") expect(parsePlan(r).summary).toMatchObject({ create: 1, update: 1, delete: 1 });
  });

  it("plan reads any JSON object the server answers as JSON.parse does: keys in another order, whitespace, a later duplicate items", async () => {
    const file = await t.write("rules.yaml", RULES);
    const base = await t.cli(["plan", "--format", "json", "-c", file]);
    expect(base.code, base.stderr).toBe(0);
    const rules = t.rules();
    const bodies = [
      `{"next_page_token":"","items":${JSON.stringify(rules)}}`,
      ` \n{ "items" : ${JSON.stringify(rules, null, 2)} , "next_page_token" : "" }\n`,
      `{"items":[${JSON.stringify({ ...rules[0], sip_dispatch_rule_id: "SDR_GHOST0000001", name: "ghost" })}],"items":${JSON.stringify(rules)}}`,
    ];
    for (const body of bodies) {
      t.em.control.failNext("ListSIPDispatchRule", 1, { status: 200, contentType: "application/json", body });
      const r = await t.cli(["plan", "--format", "json", "-c", file]);
      expect(r.code, r.stderr).toBe(0);
      expect(parsePlan(r).changes, body.slice(0, 60)).toEqual(parsePlan(base).changes);
    }
  });

  it("apply sends the update as UpdateSIPDispatchRule with the rule's ID, never a `{}` probe", async () => {
    const file = await t.write("rules.yaml", RULES);
    const r = await t.cli(["apply", "-c", file, "--auto-approve"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const updates = t.writes().filter((w) => w.rpc === "UpdateSIPDispatchRule");
    expect(updates).toHaveLength(1);
    expect(JSON.parse(updates[0]?.body ?? "{}")).toMatchObject({ sipDispatchRuleId: "SDR_AAAAAAAAAAA2" });
  });
});

describe("a List answer that cannot be trusted fails closed with nothing written", () => {
  let t: E2e;
  beforeAll(async () => {
    t = await startE2e("distrust");
  });
  afterAll(async () => {
    await t.stop();
  });
  beforeEach(() => {
    t.em.control.reset();
    seedServer(t);
  });

  async function expectFailsClosed(expected: RegExp, env: Record<string, string> = {}): Promise<void> {
    const file = await t.write("rules.yaml", RULES);
    const before = t.rules();
    for (const args of [["plan"], ["apply", "--auto-approve"], ["export"]]) {
      armed();
      const r = await t.cli([...args, "-c", file], { env });
      expect(r.code, `${args.join(" ")}: ${r.stdout}${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(expected);
      expect(r.stderr).not.toMatch(/--url/);
      expect(r.stdout).not.toMatch(/Apply complete/);
      expect(t.writes(), `${args.join(" ")} wrote nothing`).toEqual([]);
    }
    expect(t.rules()).toEqual(before);
  }
  let armed: () => void = () => undefined;

  it("a rule ID repeated within the answer (the later copy would win and the plan delete the real rule)", async () => {
    const [keep, change, stale] = t.rules() as [StoredRule, StoredRule, StoredRule];
    const impostor: StoredRule = { ...change, name: "stale" };
    armed = () => t.em.control.failNext("ListSIPDispatchRule", 1, { status: 200, contentType: "application/json", body: listBody([keep, change, impostor, stale].sort(byId)) });
    await expectFailsClosed(/malformed list: rule ID SDR_AAAAAAAAAAA2 appears twice/);
  });

  it("IDs out of paging order", async () => {
    const [keep, change, stale] = t.rules();
    armed = () => t.em.control.failNext("ListSIPDispatchRule", 1, { status: 200, contentType: "application/json", body: listBody([stale, keep, change]) });
    await expectFailsClosed(/malformed list: page 1 is not sorted by rule ID/);
  });

  it("an answer past the size bound", async () => {
    armed = () => undefined;
    await expectFailsClosed(/larger than 1000 bytes \(decompressed\)/, { DISPATCH_MAX_ANSWER_BYTES: "1000" });
  });

  it("a gzip bomb: 1 KB on the wire, 8 MB decompressed, stopped at the bound", async () => {
    const bomb = `{"items":[${" ".repeat(8_000_000)}]}`;
    armed = () => t.em.control.failNext("ListSIPDispatchRule", 1, { status: 200, contentType: "application/json", body: bomb, gzip: true });
    await expectFailsClosed(/larger than 1048576 bytes \(decompressed\)/, { DISPATCH_MAX_ANSWER_BYTES: "1MiB" });
  });

  it("a gzip bomb inside one rule (a 8 MB string in an item) is stopped at the bound too", async () => {
    // The streamed List keeps the bytes of an item it is in the middle of: they are bounded as well.
    const [keep] = t.rules() as [StoredRule];
    const bomb = `{"items":[${JSON.stringify({ ...keep, metadata: "x".repeat(8_000_000) })}]}`;
    armed = () => t.em.control.failNext("ListSIPDispatchRule", 1, { status: 200, contentType: "application/json", body: bomb, gzip: true });
    await expectFailsClosed(/larger than 1048576 bytes \(decompressed\)/, { DISPATCH_MAX_ANSWER_BYTES: "1MiB" });
  });

  it("an answer cut short inside an item, or broken after the items, is not valid JSON (not a shorter list)", async () => {
    const body = listBody(t.rules());
    const file = await t.write("rules.yaml", RULES);
    const before = t.rules();
    for (const broken of [body.slice(0, body.length - 40), `${body.slice(0, -1)},}`, `${body.slice(0, -1)}]}`]) {
      for (const args of [["plan"], ["apply", "--auto-approve"]]) {
        t.em.control.failNext("ListSIPDispatchRule", 1, { status: 200, contentType: "application/json", body: broken });
        const r = await t.cli([...args, "-c", file]);
        expect(r.code, `${args.join(" ")}: ${r.stdout}${r.stderr}`).toBe(1);
        expect(r.stderr).toMatch(/ListSIPDispatchRule: the answer is not valid JSON \(\d+ bytes, truncated or not JSON\)/);
        expect(t.writes()).toEqual([]);
      }
    }
    expect(t.rules()).toEqual(before);
  });

  it("a server that keeps paging (more pages than the bound)", async () => {
    armed = () => t.em.control.setFeatures({ pageSize: 1 });
    await expectFailsClosed(/did not end within 2 pages/, { DISPATCH_MAX_LIST_PAGES: "2" });
  });

  it("duplicates: a listed copy that is already gone is not kept on faith: the real rule is not deleted", async () => {
    const [keep, change, stale] = t.rules() as [StoredRule, StoredRule, StoredRule];
    // The list shows a ghost copy of "change" that equals the file (so it would be the one kept)
    // next to the real rule, which differs: convergence would delete the real one.
    const ghost: StoredRule = { ...change, sip_dispatch_rule_id: "SDR_AAAAAAAAAAA0", rule: { dispatch_rule_individual: { room_prefix: "changed-", pin: "", no_randomness: false } } };
    t.em.control.failNext("ListSIPDispatchRule", 1, { status: 200, contentType: "application/json", body: listBody([ghost, keep, change, stale].sort(byId)) });
    const file = await t.write("rules.yaml", RULES.replace("    trunkIds: [ST_fresh]\n", "    trunkIds: [ST_fresh]\nprune: false\n"));
    const r = await t.cli(["apply", "-c", file, "--auto-approve"]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/✗ delete change \(SDR_AAAAAAAAAAA2\) failed: .*kept rule SDR_AAAAAAAAAAA0 of "change" is not on the server by a second read/);
    // The confirming read is a List by ID, and no delete was sent.
    const lists = t.em.control.requests().filter((q) => q.rpc === "ListSIPDispatchRule").map((q) => JSON.parse(q.body) as Record<string, unknown>);
    expect(lists).toContainEqual({ dispatchRuleIds: ["SDR_AAAAAAAAAAA0"] });
    expect(t.writes().filter((w) => w.rpc === "DeleteSIPDispatchRule")).toEqual([]);
    expect(t.rules().map((x) => x.sip_dispatch_rule_id)).toContain("SDR_AAAAAAAAAAA2");
  });

  it("watch: a malformed list fails the reconcile, nothing is written, and the next good list converges", async () => {
    const [keep, change, stale] = t.rules() as [StoredRule, StoredRule, StoredRule];
    const impostor: StoredRule = { ...change, name: "stale" };
    t.em.control.failNext("ListSIPDispatchRule", 1, { status: 200, contentType: "application/json", body: listBody([keep, change, impostor, stale].sort(byId)) });
    const file = await t.write("rules.yaml", RULES);
    const cli = spawnCli(["watch", "-c", file, "--interval", "1s", "--listen", "127.0.0.1:0"], {
      env: { LIVEKIT_URL: t.em.url, LIVEKIT_API_KEY: API_KEY, LIVEKIT_API_SECRET: API_SECRET },
    });
    const first = await cli.waitFor((r) => eventOf(r) === "reconcile", { what: "the first reconcile", timeoutMs: 15_000 });
    expect(first.result).toBe("error");
    expect(JSON.stringify(first)).toMatch(/malformed list/);
    expect(t.writes()).toEqual([]);
    const next = await cli.waitFor((r) => eventOf(r) === "reconcile" && r.result === "success", { what: "a reconcile on a good list", timeoutMs: 15_000 });
    expect(next.result).toBe("success");
    cli.signal("SIGTERM");
    await cli.waitForExit();
    expect(t.rules().map((r) => r.name).sort()).toEqual(["change", "fresh", "keep"]);
  });

  it("the bounds flags are read, and a bad value is a usage error", async () => {
    armed = () => undefined;
    const file = await t.write("rules.yaml", RULES);
    const ok = await t.cli(["plan", "-c", file, "--max-answer-bytes", "64MiB", "--max-list-pages", "10"]);
    expect(ok.code, ok.stderr).toBe(0);
    const bad = await t.cli(["plan", "-c", file, "--max-answer-bytes", "lots"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--max-answer-bytes: cannot read "lots" as a size/);
  });
});

function byId(a: { sip_dispatch_rule_id: string }, b: { sip_dispatch_rule_id: string }): number {
  return a.sip_dispatch_rule_id < b.sip_dispatch_rule_id ? -1 : a.sip_dispatch_rule_id > b.sip_dispatch_rule_id ? 1 : 0;
}

// The server's conflict rule (livekit-sip-api.md §5.2, §5.3): keys, number normalisation,
// wildcards, the rule the message names, and the indexed fast path against a full replay.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { decodeMessage } from "../../../src/emulator/decode.js";
import { messageDesc } from "../../../src/emulator/descriptors.js";
import { parseFirstJsonValue } from "../../../src/emulator/json-parse.js";
import { normalizeNumber, type RuleInfo } from "../../../src/emulator/rule-info.js";
import { RuleStore, replayValidator, sharesTrunkOrWildcard } from "../../../src/emulator/store.js";
import { conflictKeysOf, type RuleSpec } from "../../../src/model/index.js";
import { startEmulator } from "../../support/emulator.js";
import { call, createRule, direct } from "./http-helpers.js";

const conflictMsg = (id: string, name: string) =>
  `Dispatch rule for the same trunk, inbound number, number, and PIN combination already exists in dispatch rule "${id}" "${name}"`;
const info = (o: Record<string, unknown>): RuleInfo =>
  decodeMessage(parseFirstJsonValue(JSON.stringify(o)), messageDesc("SIPDispatchRuleInfo")) as unknown as RuleInfo;

describe("normalizeNumber", () => {
  test.each([
    ["15551234567", "+15551234567"],
    ["+1 (555) 123-4567", "+15551234567"],
    ["+15551234567", "+15551234567"],
    ["sip:alice", "sip:alice"],
    ["1555x", "1555x"],
    ["", ""],
  ])("%s -> %s", (input, out) => expect(normalizeNumber(input)).toBe(out));
});

describe("conflicts over HTTP", () => {
  test("two wildcard rules without pins conflict even across rule types; the message names the existing rule", async () => {
    const em = await startEmulator();
    const first = await createRule(em, { rule: direct("a"), name: "first" });
    const r = await call(em, "CreateSIPDispatchRule", { dispatch_rule: { rule: { dispatch_rule_individual: { room_prefix: "p" } }, name: "second" } });
    expect([r.status, r.json]).toEqual([400, { code: "invalid_argument", msg: conflictMsg(first.sip_dispatch_rule_id as string, "first") }]);
  });

  test("a blank name prints as <blank name>", async () => {
    const em = await startEmulator();
    const first = await createRule(em, { rule: direct("a") });
    const r = await call(em, "CreateSIPDispatchRule", { dispatch_rule: { rule: direct("b") } });
    expect((r.json as { msg: string }).msg).toBe(conflictMsg(first.sip_dispatch_rule_id as string, "<blank name>"));
  });

  test("different pins, a wildcard vs a specific trunk, or disjoint trunks do not conflict", async () => {
    const em = await startEmulator();
    await createRule(em, { rule: direct("a") });
    await createRule(em, { rule: direct("a", "1234") });
    await createRule(em, { rule: direct("a"), trunk_ids: ["ST_1"] });
    await createRule(em, { rule: direct("a"), trunk_ids: ["ST_2"] });
    await createRule(em, { rule: direct("a"), trunk_ids: ["ST_1"], numbers: ["+1555"] });
    await createRule(em, { rule: direct("a"), trunk_ids: ["ST_1"], inbound_numbers: ["+1555"] });
    expect(em.control.rules()).toHaveLength(6);
  });

  test("numbers are normalised for the key: '+1 (555) 123-4567' collides with '15551234567'", async () => {
    const em = await startEmulator();
    // With a single stored rule it is the first one seen, so the message names it.
    const first = await createRule(em, { rule: direct("a"), name: "n1", numbers: ["15551234567"] });
    const r = await call(em, "CreateSIPDispatchRule", { dispatch_rule: { rule: direct("b"), name: "n2", numbers: ["x", "+1 (555) 123-4567"] } });
    expect((r.json as { msg: string }).msg).toBe(conflictMsg(first.sip_dispatch_rule_id as string, "n1"));
    em.control.reset();
    em.control.seed([{ sip_dispatch_rule_id: "SDR_iiiiiiiiiiii", rule: direct("c"), name: "i1", inbound_numbers: ["+44 20 7946 0000"] }]);
    const r2 = await call(em, "CreateSIPDispatchRule", { dispatch_rule: { rule: direct("d"), inbound_numbers: ["442079460000"] } });
    expect((r2.json as { msg: string }).msg).toBe(conflictMsg("SDR_iiiiiiiiiiii", "i1"));
  });

  test("a rule that repeats one of its own keys conflicts with itself (<new>)", async () => {
    const em = await startEmulator();
    const r = await call(em, "CreateSIPDispatchRule", { dispatch_rule: { rule: direct("a"), name: "dup", trunk_ids: ["ST_1", "ST_1"] } });
    expect((r.json as { msg: string }).msg).toBe(conflictMsg("<new>", "dup"));
  });

  test("the iterator alternates: a conflict with any stored rule but the first names the new rule", async () => {
    const em = await startEmulator();
    em.control.seed([
      { sip_dispatch_rule_id: "SDR_aaaaaaaaaaaa", rule: direct("a"), trunk_ids: ["ST_1"], name: "A" },
      { sip_dispatch_rule_id: "SDR_bbbbbbbbbbbb", rule: direct("b"), trunk_ids: ["ST_2"], name: "B" },
    ]);
    const withFirst = await call(em, "CreateSIPDispatchRule", { dispatch_rule: { rule: direct("x"), trunk_ids: ["ST_1"], name: "new" } });
    expect((withFirst.json as { msg: string }).msg).toBe(conflictMsg("SDR_aaaaaaaaaaaa", "A"));
    const withSecond = await call(em, "CreateSIPDispatchRule", { dispatch_rule: { rule: direct("x"), trunk_ids: ["ST_2"], name: "new" } });
    expect((withSecond.json as { msg: string }).msg).toBe(conflictMsg("<new>", "new"));
  });

  test("a pre-existing conflict blocks every Create, until it is removed", async () => {
    const em = await startEmulator();
    em.control.seed([
      { sip_dispatch_rule_id: "SDR_aaaaaaaaaaaa", rule: direct("a"), name: "A" },
      { sip_dispatch_rule_id: "SDR_bbbbbbbbbbbb", rule: direct("b"), name: "B" },
    ]);
    const r = await call(em, "CreateSIPDispatchRule", { dispatch_rule: { rule: direct("x"), trunk_ids: ["ST_9"] } });
    expect((r.json as { msg: string }).msg).toBe(conflictMsg("SDR_aaaaaaaaaaaa", "A"));
    // The legacy form pre-filters the check by its trunk IDs, which skips other specific rules only.
    await call(em, "DeleteSIPDispatchRule", { sip_dispatch_rule_id: "SDR_bbbbbbbbbbbb" });
    expect((await call(em, "CreateSIPDispatchRule", { dispatch_rule: { rule: direct("x"), trunk_ids: ["ST_9"] } })).status).toBe(200);
  });

  test("a stored rule without a variant fails every Create with 'unsupported SIP Dispatch Rule'", async () => {
    const em = await startEmulator();
    em.control.seed([{ sip_dispatch_rule_id: "SDR_aaaaaaaaaaaa", rule: {} }]);
    const r = await call(em, "CreateSIPDispatchRule", { dispatch_rule: { rule: direct("x"), trunk_ids: ["ST_1"] } });
    expect(r.json).toEqual({ code: "invalid_argument", msg: "twirp error unknown: unsupported SIP Dispatch Rule: <nil>" });
  });

  test("Update re-checks conflicts against the other rules, not against the rule's old self", async () => {
    const em = await startEmulator();
    const a = await createRule(em, { rule: direct("a"), trunk_ids: ["ST_1"], name: "A" });
    const b = await createRule(em, { rule: direct("b"), trunk_ids: ["ST_2"], name: "B" });
    const same = await call(em, "UpdateSIPDispatchRule", { sip_dispatch_rule_id: a.sip_dispatch_rule_id, replace: { rule: direct("a2"), trunk_ids: ["ST_1"], name: "A" } });
    expect(same.status).toBe(200);
    const clash = await call(em, "UpdateSIPDispatchRule", { sip_dispatch_rule_id: b.sip_dispatch_rule_id, update: { trunk_ids: { add: ["ST_1"] } } });
    expect(clash.status).toBe(400);
    expect((clash.json as { msg: string }).msg).toMatch(/^Dispatch rule for the same trunk/);
  });

  test("Update's trunk-filter gap (§5.3): moving a rule to disjoint trunks is not checked at all", async () => {
    const em = await startEmulator();
    await createRule(em, { rule: direct("a"), trunk_ids: ["ST_2"], name: "A" });
    const b = await createRule(em, { rule: direct("b"), trunk_ids: ["ST_1"], name: "B" });
    // B's old trunk ST_1 is disjoint from the new ST_2, so B is filtered out and never validated.
    const moved = await call(em, "UpdateSIPDispatchRule", { sip_dispatch_rule_id: b.sip_dispatch_rule_id, update: { trunk_ids: { set: ["ST_2"] } } });
    expect(moved.status).toBe(200);
    // The store now holds a conflict, which blocks the next Create.
    const next = await call(em, "CreateSIPDispatchRule", { dispatch_rule: { rule: direct("c"), trunk_ids: ["ST_3"] } });
    expect(next.status).toBe(400);
  });
});

// --- property: the indexed fast path agrees with replaying the validator, and with src/model ---

const arbRule = fc.record({
  pin: fc.constantFrom("", "1234"),
  trunk_ids: fc.uniqueArray(fc.constantFrom("ST_1", "ST_2", "ST_3"), { maxLength: 2 }),
  inbound_numbers: fc.uniqueArray(fc.constantFrom("+15550001", "15550001", "+15550002"), { maxLength: 2 }),
  numbers: fc.uniqueArray(fc.constantFrom("+1 (555) 000-9", "+15550009", "sip:x"), { maxLength: 2 }),
});
type ArbRule = { pin: string; trunk_ids: string[]; inbound_numbers: string[]; numbers: string[] };
const toInfo = (r: ArbRule, id: string) =>
  info({ sip_dispatch_rule_id: id, name: id, rule: direct("room", r.pin), trunk_ids: r.trunk_ids, inbound_numbers: r.inbound_numbers, numbers: r.numbers });
const toSpec = (r: ArbRule): RuleSpec => ({ name: "x", direct: { roomName: "room", pin: r.pin }, trunkIds: r.trunk_ids, inboundNumbers: r.inbound_numbers, numbers: r.numbers });

describe("properties", () => {
  test("checkCreate = replay of [first stored, new, rest] over the trunk-filtered store", () => {
    fc.assert(
      fc.property(fc.array(arbRule, { maxLength: 6 }), arbRule, fc.uniqueArray(fc.constantFrom("ST_1", "ST_2"), { maxLength: 1 }), (stored, fresh, filter) => {
        const store = new RuleStore();
        stored.forEach((r, i) => store.put(toInfo(r, `SDR_${String(i).padStart(12, "0")}`)));
        const created = toInfo(fresh, "");
        const kept = [...store.sorted()].filter((r) => sharesTrunkOrWildcard(r, filter));
        const expected = replayValidator(kept.length === 0 ? [created] : [kept[0] as RuleInfo, created, ...kept.slice(1)]);
        expect(store.checkCreate(created, filter)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  test("without stored conflicts, Create fails iff src/model's conflict keys intersect (an independent oracle)", () => {
    fc.assert(
      fc.property(fc.array(arbRule, { maxLength: 5 }), arbRule, (stored, fresh) => {
        const store = new RuleStore();
        const taken = new Set<string>();
        const rawCount = (r: ArbRule) => Math.max(1, r.trunk_ids.length) * Math.max(1, r.inbound_numbers.length) * Math.max(1, r.numbers.length);
        for (const [i, r] of stored.entries()) {
          const ids = conflictKeysOf(toSpec(r)).map((k) => JSON.stringify(k));
          // Keep the store conflict-free, a rule's clash with itself included.
          if (ids.length !== rawCount(r) || ids.some((k) => taken.has(k))) continue;
          ids.forEach((k) => taken.add(k));
          store.put(toInfo(r, `SDR_${String(i).padStart(12, "0")}`));
        }
        const freshKeys = conflictKeysOf(toSpec(fresh)).map((k) => JSON.stringify(k));
        // src/model de-duplicates a rule's own keys; the server does not (two spellings of one number clash).
        const expectFail = freshKeys.length !== rawCount(fresh) || freshKeys.some((k) => taken.has(k));
        expect(store.checkCreate(toInfo(fresh, ""), []) !== undefined).toBe(expectFail);
      }),
      { numRuns: 300 },
    );
  });

  test("checkUpdate = replay over the rules sharing the new trunks, with the updated one swapped in", () => {
    fc.assert(
      fc.property(fc.array(arbRule, { minLength: 1, maxLength: 6 }), fc.nat(), arbRule, (stored, pick, next) => {
        const store = new RuleStore();
        const ids = stored.map((_, i) => `SDR_${String(i).padStart(12, "0")}`);
        stored.forEach((r, i) => store.put(toInfo(r, ids[i] as string)));
        const id = ids[pick % ids.length] as string;
        const updated = toInfo(next, id);
        const sequence = [...store.sorted()].filter((r) => sharesTrunkOrWildcard(r, updated.trunk_ids)).map((r) => (r.sip_dispatch_rule_id === id ? updated : r));
        expect(store.checkUpdate(id, updated)).toEqual(replayValidator(sequence));
      }),
      { numRuns: 300 },
    );
  });
});

// Update's replace and update semantics (livekit-sip-api.md §5.3), Upgrade on Create (§2.7),
// and List's filters and paging (§5.4), over real HTTP.
import { describe, expect, test } from "vitest";
import { startEmulator } from "../../support/emulator.js";
import { call, createRule, direct, ok } from "./http-helpers.js";

const update = (em: Awaited<ReturnType<typeof startEmulator>>, id: unknown, u: unknown) => ok(em, "UpdateSIPDispatchRule", { sip_dispatch_rule_id: id, update: u });

describe("Create", () => {
  test("the dispatch_rule form is upgraded (media non-null, legacy encryption copied); the legacy form is not", async () => {
    const em = await startEmulator();
    const wrapped = await createRule(em, { rule: direct("r"), media_encryption: "SIP_MEDIA_ENCRYPT_REQUIRE" });
    expect(wrapped.media).toEqual({ only_listed_codecs: false, codecs: [], encryption: "SIP_MEDIA_ENCRYPT_REQUIRE" });
    expect(wrapped.media_encryption).toBe("SIP_MEDIA_ENCRYPT_REQUIRE");
    const legacy = await ok(em, "CreateSIPDispatchRule", { rule: direct("r2"), trunkIds: ["ST_1"], name: "legacy", numbers: ["+1"] });
    expect(legacy.media).toBeNull();
    // numbers is not a legacy field: dropped as unknown.
    expect(legacy.numbers).toEqual([]);
    expect([legacy.name, legacy.trunk_ids]).toEqual(["legacy", ["ST_1"]]);
  });

  test("when dispatch_rule is present every legacy field is ignored", async () => {
    const em = await startEmulator();
    const r = await ok(em, "CreateSIPDispatchRule", { dispatch_rule: { rule: direct("new"), name: "w" }, name: "legacy", trunk_ids: ["ST_9"] });
    expect([r.name, r.trunk_ids]).toEqual(["w", []]);
  });
});

describe("Update replace", () => {
  test("a full overwrite keeping the ID: omitted fields are cleared and media stays null", async () => {
    const em = await startEmulator();
    const rule = await createRule(em, {
      rule: direct("r"), name: "a", trunk_ids: ["ST_1"], metadata: "m", attributes: { k: "v" },
      room_config: { agents: [{ agent_name: "x" }] }, krisp_enabled: true, numbers: ["+1"],
    });
    const id = rule.sip_dispatch_rule_id;
    const out = await ok(em, "UpdateSIPDispatchRule", { sipDispatchRuleId: id, replace: { rule: { dispatchRuleCallee: { roomPrefix: "c" } }, name: "a" } });
    expect(out).toEqual({
      sip_dispatch_rule_id: id, rule: { dispatch_rule_callee: { room_prefix: "c", pin: "", randomize: false } },
      trunk_ids: [], hide_phone_number: false, inbound_numbers: [], numbers: [], name: "a", metadata: "", attributes: {},
      room_preset: "", room_config: null, media: null, krisp_enabled: false, media_encryption: "SIP_MEDIA_ENCRYPT_DISABLE",
      created_at: null, updated_at: null,
    });
    expect(em.control.rules()).toEqual([out]);
    // The same ID inside the info is allowed; created_at is whatever is sent.
    const same = await ok(em, "UpdateSIPDispatchRule", { sip_dispatch_rule_id: id, replace: { sip_dispatch_rule_id: id, rule: direct("r"), created_at: "2026-01-01T00:00:00Z" } });
    expect(same.created_at).toBe("2026-01-01T00:00:00Z");
  });
});

describe("Update update", () => {
  test("ListUpdate: set, remove then add without duplicates, clear", async () => {
    const em = await startEmulator();
    const id = (await createRule(em, { rule: direct("r"), trunk_ids: ["ST_1", "ST_2"] })).sip_dispatch_rule_id;
    expect((await update(em, id, { trunk_ids: { remove: ["ST_1", "ST_x"], add: ["ST_2", "ST_3"] } })).trunk_ids).toEqual(["ST_2", "ST_3"]);
    expect((await update(em, id, { trunkIds: { set: ["ST_9", "ST_8"] } })).trunk_ids).toEqual(["ST_9", "ST_8"]);
    expect((await update(em, id, { trunk_ids: { clear: true } })).trunk_ids).toEqual([]);
  });

  test("only what is present changes: name and metadata (even to empty), attributes by diff, rule and media replaced", async () => {
    const em = await startEmulator();
    const rule = await createRule(em, { rule: direct("r"), name: "a", metadata: "m", attributes: { keep: "1", drop: "2" }, hide_phone_number: true, numbers: ["+1"] });
    const id = rule.sip_dispatch_rule_id;
    const out = await update(em, id, { metadata: "", attributes: { drop: "", add: "3" }, rule: { dispatch_rule_individual: { pin: "9" } } });
    expect(out.name).toBe("a");
    expect(out.metadata).toBe("");
    expect(out.attributes).toEqual({ add: "3", keep: "1" });
    expect(out.rule).toEqual({ dispatch_rule_individual: { room_prefix: "", pin: "9", no_randomness: false } });
    // Fields update cannot touch are kept.
    expect([out.hide_phone_number, out.numbers]).toEqual([true, ["+1"]]);
    const media = await update(em, id, { media: { codecs: [{ name: "PCMU", rate: 8000 }], encryption: "SIP_MEDIA_ENCRYPT_ALLOW" } });
    expect(media.media).toEqual({ only_listed_codecs: false, codecs: [{ name: "PCMU", rate: 8000 }], encryption: "SIP_MEDIA_ENCRYPT_ALLOW" });
    // media_encryption mirrors media.encryption after an update ("downgrade to a legacy field").
    expect(media.media_encryption).toBe("SIP_MEDIA_ENCRYPT_ALLOW");
    const legacyEnc = await update(em, id, { media: {}, media_encryption: "SIP_MEDIA_ENCRYPT_REQUIRE" });
    expect([legacyEnc.media, legacyEnc.media_encryption]).toEqual([{ only_listed_codecs: false, codecs: [], encryption: "SIP_MEDIA_ENCRYPT_REQUIRE" }, "SIP_MEDIA_ENCRYPT_REQUIRE"]);
    const empty = await update(em, id, {});
    expect(empty.name).toBe("a");
  });
});

describe("List", () => {
  const seedIds = ["SDR_cccccccccccc", "SDR_aaaaaaaaaaaa", "SDR_eeeeeeeeeeee", "SDR_bbbbbbbbbbbb", "SDR_dddddddddddd"];
  const seeded = async () => {
    const em = await startEmulator();
    em.control.seed(seedIds.map((id, i) => ({ sip_dispatch_rule_id: id, rule: direct(`r${i}`, String(i)), trunk_ids: i === 0 ? [] : [`ST_${i % 2}`] })));
    return em;
  };
  const ids = (r: Record<string, unknown>) => (r.items as { sip_dispatch_rule_id: string }[]).map((i) => i.sip_dispatch_rule_id);

  test("sorted by ID; after_id skips IDs <= it; the OSS server ignores limit for the response size", async () => {
    const em = await seeded();
    expect(ids(await ok(em, "ListSIPDispatchRule", {}))).toEqual([...seedIds].sort());
    expect(ids(await ok(em, "ListSIPDispatchRule", { page: { after_id: "SDR_bbbbbbbbbbbb", limit: 1 } }))).toEqual(["SDR_cccccccccccc", "SDR_dddddddddddd", "SDR_eeeeeeeeeeee"]);
    expect(ids(await ok(em, "ListSIPDispatchRule", { page: { afterId: "SDR_eeeeeeeeeeee" } }))).toEqual([]);
  });

  test("dispatch_rule_ids: sorted, missing IDs omitted; trunk_ids: sharing rules plus wildcards", async () => {
    const em = await seeded();
    expect(ids(await ok(em, "ListSIPDispatchRule", { dispatch_rule_ids: ["SDR_eeeeeeeeeeee", "SDR_nope", "SDR_aaaaaaaaaaaa"] }))).toEqual(["SDR_aaaaaaaaaaaa", "SDR_eeeeeeeeeeee"]);
    // index 0 (cccc) is a wildcard; odd indexes have ST_1: aaaa (1), bbbb (3).
    expect(ids(await ok(em, "ListSIPDispatchRule", { trunkIds: ["ST_1"] }))).toEqual(["SDR_aaaaaaaaaaaa", "SDR_bbbbbbbbbbbb", "SDR_cccccccccccc"]);
  });

  test("pageSize (test-only) caps each response at limit, or at pageSize without one", async () => {
    const em = await seeded();
    em.control.setFeatures({ pageSize: 2 });
    expect(ids(await ok(em, "ListSIPDispatchRule", {}))).toEqual(["SDR_aaaaaaaaaaaa", "SDR_bbbbbbbbbbbb"]);
    expect(ids(await ok(em, "ListSIPDispatchRule", { page: { limit: 1 } }))).toEqual(["SDR_aaaaaaaaaaaa"]);
    const seen: string[] = [];
    let after = "";
    for (;;) {
      const page = ids(await ok(em, "ListSIPDispatchRule", { page: { after_id: after, limit: 10 } }));
      if (page.length === 0) break;
      expect(page.length).toBeLessThanOrEqual(2);
      seen.push(...page);
      after = page[page.length - 1] as string;
    }
    expect(seen).toEqual([...seedIds].sort());
    em.control.setFeatures({ pageSize: undefined });
    expect(ids(await ok(em, "ListSIPDispatchRule", {}))).toHaveLength(5);
  });

  test("an empty store lists as {\"items\": []}", async () => {
    const em = await startEmulator();
    const r = await call(em, "ListSIPDispatchRule", {});
    expect(r.text).toBe('{"items":[]}');
  });
});

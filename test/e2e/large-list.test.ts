// End-to-end through the built CLI (issue 19): a List answer past the streaming threshold (16 MiB,
// list-stream.ts) and the packing threshold (8 MiB of kept item bytes) is decoded as it arrives,
// and what is kept of it is what the server sent: plan in sync shows no change, a newer server's
// unknown fields on a managed rule are listed as kept and carried by apply's `replace` (its `raw`
// read back from the deflated bytes), export --format json gives the server's JSON as listed.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { only, parsePlan, startE2e, type E2e } from "../support/e2e-harness.js";

const FILLERS = 9_000;
const MANAGED_ID = "SDR_ZZMANAGED0001";

/** Unmanaged rules (outside `manage`) with ~2 KB of metadata each: ~20 MB listed. */
function fillers(): Record<string, unknown>[] {
  return Array.from({ length: FILLERS }, (_, i) => ({
    sip_dispatch_rule_id: `SDR_FILL${String(i).padStart(8, "0")}`,
    name: `filler-${i}`,
    trunk_ids: [`ST_f${i % 7}`],
    rule: { dispatch_rule_individual: { room_prefix: `f${i}-` } },
    // Strings that a splitter could mistake for structure.
    metadata: `{"i":${i},"note":"]},{\\"x\\":[\\"}"} ${"m".repeat(1900)}`,
    attributes: { k: `v]${i}` },
  }));
}

const managed = {
  sip_dispatch_rule_id: MANAGED_ID,
  name: "agent-line",
  trunk_ids: ["ST_agent"],
  rule: { dispatch_rule_individual: { room_prefix: "call-", future_variant_opt: true } },
  attributes: { team: "a" },
  future_top: { nested: "]}" },
};

const FILE = (team: string) => `version: 1
manage: ["agent-*"]
rules:
  - name: agent-line
    individual: { roomPrefix: call- }
    trunkIds: [ST_agent]
    attributes: { team: ${team} }
`;

describe("a large List answer (streamed, its kept bytes deflated)", () => {
  let t: E2e;
  beforeAll(async () => {
    t = await startE2e("large-list");
  });
  afterAll(async () => {
    await t.stop();
  });
  beforeEach(() => {
    t.em.control.reset();
    t.em.control.setFeatures({ newerServer: true });
    t.em.control.seed([...fillers(), managed]);
  });

  it("plans in sync, lists the kept fields of a change, and apply carries them from the listed bytes", async () => {
    const same = await t.cli(["plan", "-c", await t.write("same.yaml", FILE("a")), "--format", "json"]);
    expect(same.code, same.stderr).toBe(0);
    expect(parsePlan(same).summary).toMatchObject({ create: 0, update: 0, delete: 0, unchanged: 1, unmanaged: FILLERS });

    const file = await t.write("rules.yaml", FILE("b"));
    const plan = await t.cli(["plan", "-c", file, "--format", "json"]);
    expect(plan.code, plan.stderr).toBe(0);
    const [update] = parsePlan(plan).changes;
    expect(update?.fields?.map((f) => f.path)).toEqual(["attributes.team"]);
    expect([...(update?.kept ?? [])].sort()).toEqual(["future_top", "individual.future_variant_opt"]);

    const applied = await t.cli(["apply", "-c", file, "--auto-approve"]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const [write] = t.writes().filter((w) => w.rpc === "UpdateSIPDispatchRule");
    const replace = (JSON.parse(write?.body ?? "{}") as { replace: Record<string, unknown> }).replace;
    expect(replace).toMatchObject({ future_top: { nested: "]}" } });
    expect(only(t.rules(), "agent-line")).toMatchObject({
      sip_dispatch_rule_id: MANAGED_ID,
      attributes: { team: "b" },
      future_top: { nested: "]}" },
      rule: { dispatch_rule_individual: { room_prefix: "call-", future_variant_opt: true } },
    });
    expect(t.writes()).toHaveLength(1);
  });

  it("export --format json writes every rule as the server listed it", async () => {
    const r = await t.cli(["export", "--format", "json"]);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { items: unknown[] }).items).toEqual(t.rules());
  });
});

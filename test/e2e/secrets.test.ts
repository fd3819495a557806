// End-to-end (I/O: child processes, temp files, an in-process emulator): secrets through the built
// CLI (issue #13). A 4-digit pin cannot be recovered by brute force from any plan output or daemon
// log line; a saved plan binds the pins it was made with; removing a pin is refused without a
// person's approval; egress credentials are masked like pins and exported as placeholders.
import { createHash, createHmac } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { normalizeRule } from "../../src/core/index.js";
import { decodeRuleInfo } from "../../src/livekit/wire.js";
import { API_KEY, API_SECRET, PINS, only, parsePlan, seedRule, startE2e, type E2e } from "../support/e2e-harness.js";
import { eventOf, spawnCli } from "../support/spawn-cli.js";

let t: E2e;
beforeAll(async () => {
  t = await startE2e("secrets");
});
afterAll(async () => {
  await t.stop();
});
beforeEach(() => {
  t.em.control.reset();
});

/** The pin of the one-rule server: four digits, the space an attacker would try. */
const PIN4 = "7391";

/** Every digest an attacker could compute for a guessed pin, from what a plan itself shows. */
function guesses(pin: string): string[] {
  const stored = t.rules()[0] as Record<string, unknown>;
  const withPin = JSON.parse(JSON.stringify(stored).replaceAll(PIN4, pin)) as unknown;
  const rule = decodeRuleInfo(withPin);
  // The fingerprint's text before this issue: every remote rule, normalised, pins in clear.
  const text = JSON.stringify([{ id: rule.id, spec: normalizeRule(rule.spec) }]);
  const out = [createHash("sha256").update(text).digest("hex")];
  // Keys an attacker holds or can guess: none, the (non-secret) API key, the server URL.
  for (const key of ["", API_KEY, t.em.url]) out.push(createHmac("sha256", key).update(text).digest("hex"));
  return out;
}

/** Every output text, tried against all 10,000 pins: the pins whose digest or digits it holds. */
function bruteForce(outputs: readonly string[]): string[] {
  const found: string[] = [];
  const hexes = new Set(outputs.flatMap((o) => o.match(/[0-9a-f]{64}/g) ?? []));
  for (let n = 0; n < 10_000; n++) {
    const pin = String(n).padStart(4, "0");
    if (guesses(pin).some((d) => hexes.has(d))) found.push(pin);
  }
  return found;
}

describe("no secret can be recovered from a plan or a log (SPEC §3)", () => {
  it("brute force over every 4-digit pin finds nothing in any plan format, the --out file or the daemon's log", async () => {
    t.em.control.seed([seedRule("SDR_1", "front", { rule: { dispatch_rule_direct: { room_name: "front-room", pin: PIN4 } }, trunk_ids: ["ST_1"] })]);
    // The file changes another field, so that every output shows an update of the rule.
    const file = await t.write("one.yaml", 'version: 1\nrules:\n  - name: front\n    direct: { roomName: other-room, pin: "${FRONT_PIN}" }\n    trunkIds: [ST_1]\n');
    const env = { FRONT_PIN: PIN4 };
    const outputs: string[] = [];
    for (const format of ["text", "json", "markdown", "github"]) {
      const r = await t.cli(["plan", "-c", file, "--format", format, ...(format === "json" ? ["--out", "saved.json"] : [])], { env });
      expect(r.code, r.stderr).toBe(0);
      outputs.push(r.stdout + r.stderr);
    }
    outputs.push(await readFile(`${t.dir}/saved.json`, "utf8"));
    // The daemon's log: a dry run logs the plan event (with its fingerprint) and changes nothing.
    const cli = spawnCli(["watch", "-c", file, "--dry-run", "--listen", "127.0.0.1:0", "--interval", "60s"], {
      env: { LIVEKIT_URL: t.em.url, LIVEKIT_API_KEY: API_KEY, LIVEKIT_API_SECRET: API_SECRET, ...env, LOG_LEVEL: "debug" },
    });
    await cli.waitFor((r) => eventOf(r) === "plan", { what: "the plan event" });
    await cli.kill();
    outputs.push(cli.stdout() + cli.stderr());
    expect(outputs.join("\n")).toContain("fingerprint");

    for (const o of outputs) expect(o).not.toContain(PIN4);
    // The attack works on what the plan used to hold (the test can fail) ...
    expect(guesses(PIN4).length).toBeGreaterThan(0);
    // ... and finds no pin in what it holds now.
    expect(bruteForce(outputs)).toEqual([]);
  }, 60_000);

  it("the fingerprint and every output are the same for two pins, except the keyed fingerprint", async () => {
    const file = await t.write("two.yaml", 'version: 1\nrules:\n  - name: front\n    direct: { roomName: r2, pin: "${FRONT_PIN}" }\n');
    const run = async (pin: string) => {
      t.em.control.reset();
      t.em.control.seed([seedRule("SDR_1", "front", { rule: { dispatch_rule_direct: { room_name: "r1", pin } } })]);
      const r = await t.cli(["plan", "-c", file, "--format", "json"], { env: { FRONT_PIN: pin } });
      expect(r.code, r.stderr).toBe(0);
      return parsePlan(r);
    };
    const a = await run("1111");
    const b = await run("2222");
    expect(a.fingerprint).not.toBe(b.fingerprint);
    expect({ ...a, fingerprint: "" }).toEqual({ ...b, fingerprint: "" });
  });
});

describe("a saved plan binds the secrets it was made with", () => {
  it("refuses apply PLAN.json as stale when the pin changed, and writes the plan 0600", async () => {
    const file = await t.write("bind.yaml", 'version: 1\nrules:\n  - name: front\n    direct: { roomName: r, pin: "${FRONT_PIN}" }\n');
    const planned = await t.cli(["plan", "-c", file, "--out", "bound.json"], { env: { FRONT_PIN: PINS.direct } });
    expect(planned.code, planned.stderr).toBe(0);
    expect((await stat(`${t.dir}/bound.json`)).mode & 0o777).toBe(0o600);
    const other = await t.cli(["apply", "bound.json", "-c", file, "--auto-approve"], { env: { FRONT_PIN: PINS.other } });
    expect(other.code).toBe(1);
    expect(other.stderr).toContain("stale plan");
    expect(t.writes()).toEqual([]);
    const same = await t.cli(["apply", "bound.json", "-c", file, "--auto-approve"], { env: { FRONT_PIN: PINS.direct } });
    expect(same.code, same.stdout + same.stderr).toBe(0);
    expect((only(t.rules(), "front").rule as { dispatch_rule_direct: { pin: string } }).dispatch_rule_direct.pin).toBe(PINS.direct);
  });
});

describe("removing a pin is a sensitive change (SPEC §5)", () => {
  const seedPinned = () => t.em.control.seed([seedRule("SDR_1", "front", { rule: { dispatch_rule_direct: { room_name: "r", pin: PINS.direct } } })]);
  const UNPINNED = 'version: 1\nrules:\n  - name: front\n    direct: { roomName: r, pin: "${FRONT_PIN:-}" }\n';

  it("is refused by apply --auto-approve (exit 3), named in the plan, and allowed once with --force", async () => {
    seedPinned();
    const file = await t.write("unpin.yaml", UNPINNED);
    const plan = await t.cli(["plan", "-c", file]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain("direct.pin: (sensitive) -> (unset) (pin changed)");
    expect(plan.stdout).toContain("removes the pin of 1 rule");
    const refused = await t.cli(["apply", "-c", file, "--auto-approve"]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("error: plan refused: the plan removes the pin of 1 rule (\"front\")");
    expect(refused.stderr).toContain("limits.allowPinRemoval");
    expect(t.writes()).toEqual([]);
    const forced = await t.cli(["apply", "-c", file, "--auto-approve", "--force"]);
    expect(forced.code, forced.stdout + forced.stderr).toBe(0);
    expect((only(t.rules(), "front").rule as { dispatch_rule_direct: { pin: string } }).dispatch_rule_direct.pin).toBe("");
  });

  it("is applied when the file says limits.allowPinRemoval: true", async () => {
    seedPinned();
    const file = await t.write("unpin-allowed.yaml", UNPINNED.replace("version: 1\n", "version: 1\nlimits: { allowPinRemoval: true }\n"));
    const r = await t.cli(["apply", "-c", file, "--auto-approve"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it("is refused by watch, which reports `refused` and writes nothing", async () => {
    seedPinned();
    const file = await t.write("unpin-watch.yaml", UNPINNED);
    const cli = spawnCli(["watch", "-c", file, "--listen", "127.0.0.1:0", "--interval", "60s"], {
      env: { LIVEKIT_URL: t.em.url, LIVEKIT_API_KEY: API_KEY, LIVEKIT_API_SECRET: API_SECRET },
    });
    const refused = await cli.waitFor((r) => eventOf(r) === "refused", { what: "the refused event" });
    expect(refused.code).toBe("pin-removal");
    await cli.kill();
    expect(t.writes()).toEqual([]);
  });
});

describe("egress credentials are secrets like pins", () => {
  const S3_SECRET = "s3-Secr3t-Qw7Zp";
  const S3_KEY = "AKIA-e2e-Kf82Lq";
  const AZURE_KEY = "azure-Acct-Key-Pz93";
  const egress = (secret: string) => ({
    tracks: { filepath: "rec/{track_id}", s3: { access_key: S3_KEY, secret, bucket: "b", region: "r" } },
    participant: { file_outputs: [{ filepath: "p.ogg", azure: { account_name: "acct", account_key: AZURE_KEY, container_name: "c" } }] },
  });
  const CREDS = [S3_KEY, AZURE_KEY];

  it("masks them in every plan format and says that one changed", async () => {
    t.em.control.seed([seedRule("SDR_1", "rec", { room_config: { egress: egress("old-Secr3t-Mn42") } })]);
    const file = await t.write(
      "egress.yaml",
      `version: 1\nrules:\n  - name: rec\n    individual: { roomPrefix: "rec-" }\n    roomConfig:\n      egress:\n        tracks: { filepath: "rec/{track_id}", s3: { accessKey: "${S3_KEY}", secret: "\${S3_SECRET}", bucket: b, region: r } }\n        participant: { fileOutputs: [ { filepath: p.ogg, azure: { accountName: acct, accountKey: "${AZURE_KEY}", containerName: c } } ] }\n`,
    );
    for (const format of ["text", "json", "markdown", "github"]) {
      const r = await t.cli(["plan", "-c", file, "--format", format], { env: { S3_SECRET } });
      expect(r.code, r.stderr).toBe(0);
      for (const s of [...CREDS, S3_SECRET, "old-Secr3t-Mn42"]) expect(r.stdout, `${format}: ${s}`).not.toContain(s);
      expect(r.stdout).toContain("(sensitive)");
      if (format === "text") expect(r.stdout).toContain('roomConfig.egress.tracks.s3.secret: (sensitive) -> (sensitive) (egress credential changed)');
    }
  });

  it("exports them as unique ${...} placeholders, and front-desk / front_desk / Front Desk get distinct pin variables", async () => {
    t.em.control.seed([
      seedRule("SDR_1", "rec", { room_config: { egress: egress(S3_SECRET) } }),
      seedRule("SDR_2", "front-desk", { rule: { dispatch_rule_direct: { room_name: "a", pin: PINS.direct } }, trunk_ids: ["ST_a"] }),
      seedRule("SDR_3", "front_desk", { rule: { dispatch_rule_direct: { room_name: "b", pin: PINS.individual } }, trunk_ids: ["ST_b"] }),
      seedRule("SDR_4", "Front Desk", { rule: { dispatch_rule_direct: { room_name: "c", pin: PINS.callee } }, trunk_ids: ["ST_c"] }),
    ]);
    const r = await t.cli(["export"]);
    expect(r.code, r.stderr).toBe(0);
    for (const s of [...CREDS, S3_SECRET]) expect(r.stdout).not.toContain(s);
    const vars = [...r.stdout.matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => m[1] as string);
    expect(new Set(vars).size).toBe(vars.length);
    expect(vars.filter((v) => v.startsWith("PIN_FRONT_DESK"))).toHaveLength(3);
    expect(vars).toEqual(expect.arrayContaining(["EGRESS_REC_TRACKS_S3_ACCESS_KEY", "EGRESS_REC_TRACKS_S3_SECRET", "EGRESS_REC_PARTICIPANT_FILE_OUTPUTS_0_AZURE_ACCOUNT_KEY"]));
    // With every variable set to the server's value, the export plans no changes.
    const values: Record<string, string> = { EGRESS_REC_TRACKS_S3_ACCESS_KEY: S3_KEY, EGRESS_REC_TRACKS_S3_SECRET: S3_SECRET, EGRESS_REC_PARTICIPANT_FILE_OUTPUTS_0_AZURE_ACCOUNT_KEY: AZURE_KEY };
    const pinOf: Record<string, string> = { "Front Desk": PINS.callee, "front-desk": PINS.direct, front_desk: PINS.individual };
    for (const m of r.stdout.matchAll(/- name: (.+)\n(?:.*\n)*?.*pin: \$\{(PIN_[A-Z0-9_]+)\}/g)) values[m[2] as string] = pinOf[(m[1] as string).replace(/^"|"$/g, "")] as string;
    expect(Object.keys(values)).toHaveLength(6);
    const exported = await t.write("exported.yaml", r.stdout);
    const plan = await t.cli(["plan", "-c", exported, "--detailed-exitcode"], { env: values });
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  });

  it("export --format json refuses them without --include-pins", async () => {
    t.em.control.seed([seedRule("SDR_1", "rec", { room_config: { egress: egress(S3_SECRET) } })]);
    const r = await t.cli(["export", "--format", "json"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("egress credential");
  });
});

describe("secrets in server answers and files are never echoed", () => {
  it("a non-string pin in a --against file is an error that does not show the value", async () => {
    const state = await t.write("state.json", JSON.stringify({ formatVersion: 1, items: [{ sip_dispatch_rule_id: "SDR_1", name: "a", rule: { dispatch_rule_direct: { room_name: "r", pin: 74019358 } } }] }));
    const file = await t.write("a.yaml", "version: 1\nrules:\n  - name: a\n    direct: { roomName: r }\n");
    const r = await t.cli(["plan", "-c", file, "--against", state]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("pin: expected a string, got a number (value not shown");
  });
});

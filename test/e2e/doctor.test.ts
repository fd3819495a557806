// End-to-end (I/O: child processes, temp files, an in-process emulator, scripted HTTP servers):
// `doctor` (issue #15, SPEC §3): every check at once, ok / warn / fail with hints, read-only,
// exit 0 when nothing failed and 1 when something did.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { API_KEY, API_SECRET, startE2e, type E2e } from "../support/e2e-harness.js";
import { runCli } from "../support/run-cli.js";
import { startScriptedServer, twirpError, type ScriptedServer } from "../support/scripted-server.js";

let t: E2e;
beforeAll(async () => {
  t = await startE2e("doctor");
});
afterAll(async () => {
  await t.stop();
});
beforeEach(() => {
  t.em.control.reset();
});

const GOOD = "version: 1\nrules:\n  - name: a\n    individual: { roomPrefix: a- }\n    numbers: [\"+15550100001\"]\n    media: { mediaTimeout: \"30s\" }\n";

/** `status  check  message` lines of the text report, as [status, check] pairs. */
function statuses(stdout: string): string[] {
  return [...stdout.matchAll(/^ {2}(ok|warn|fail|skip) +(\S+) /gm)].map((m) => `${m[1]} ${m[2]}`);
}

async function withServer(fn: (s: ScriptedServer) => Promise<void>, fallback?: Parameters<typeof startScriptedServer>[0]): Promise<void> {
  const s = await startScriptedServer(fallback);
  try {
    await fn(s);
  } finally {
    await s.stop();
  }
}

describe("doctor", () => {
  it("all ok against the emulator, read-only (one List, no write, no Update probe)", async () => {
    const path = await t.write("good.yaml", GOOD);
    await t.cli(["apply", "-c", path, "--auto-approve"]);
    t.em.control.clearRequests();
    const r = await t.cli(["doctor", "-c", path]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe(`Doctor: ${path} against ${t.em.url}`);
    expect(statuses(r.stdout)).toEqual(["ok file", "ok url", "ok api-key", "ok api-secret", "ok server", "ok sip.admin", "ok clock", "ok version", "ok fields", "ok trunks"]);
    expect(r.stdout).toContain("at least v1.12.0");
    expect(r.stdout).toContain("Doctor: 10 ok, 0 warnings, 0 failed.");
    expect(t.em.control.requests().map((c) => c.rpc)).toEqual(["ListSIPDispatchRule"]);
  });

  it("reports every problem at once: an invalid file and all three credentials missing", async () => {
    const path = await t.write("bad.yaml", "version: 1\nrules:\n  - name: a\n    individual: { roomPrefx: a- }\n");
    const r = await runCli(["doctor", "-c", path]);
    expect(r.code).toBe(1);
    expect(statuses(r.stdout)).toEqual(["fail file", "fail url", "fail api-key", "fail api-secret", "skip server", "skip sip.admin", "skip clock", "skip version", "skip fields", "skip trunks"]);
    expect(r.stdout).toContain("unknown key `roomPrefx`");
    expect(r.stdout).toContain("no LiveKit server URL (missing together: LiveKit server URL, API key, API secret)");
    expect(r.stdout).toContain("hint: set LIVEKIT_API_KEY or pass --api-key");
  });

  it("a wrong secret: the key is refused (sip.admin fails) and the exit code is 1", async () => {
    const path = await t.write("good2.yaml", GOOD);
    const r = await t.cli(["doctor", "-c", path], { env: { LIVEKIT_API_SECRET: "not-the-secret-0123456789abcdef" } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^ {2}fail +sip\.admin +the server refused the key \(HTTP 401/m);
  });

  it("a URL that is not a LiveKit server fails the server check", async () => {
    await withServer(
      async (s) => {
        const path = await t.write("good3.yaml", GOOD);
        const r = await runCli(["doctor", "-c", path], { env: { LIVEKIT_URL: s.url, LIVEKIT_API_KEY: API_KEY, LIVEKIT_API_SECRET: API_SECRET } });
        expect(r.code).toBe(1);
        expect(r.stdout).toMatch(/fail +server +http:\/\/127\.0\.0\.1:\d+ answers \(HTTP 404\), but not as a LiveKit Twirp server/);
      },
      { fallback: { status: 404, body: "<html>not here</html>", contentType: "text/html" } },
    );
  });

  it("a server older than v1.9.11 / v1.12.0: the fields it would drop are named, with the rules", async () => {
    // A List item as a v1.9.10 server emits it: defaults present, no `numbers`, `media`, `created_at`.
    const item = {
      sip_dispatch_rule_id: "SDR_old", rule: { dispatch_rule_individual: { room_prefix: "a-", pin: "" } }, trunk_ids: [], hide_phone_number: false,
      inbound_numbers: [], name: "a", metadata: "", attributes: {}, room_preset: "", room_config: null, krisp_enabled: false, media_encryption: "SIP_MEDIA_ENCRYPT_DISABLE",
    };
    await withServer(
      async (s) => {
        const path = await t.write("new-fields.yaml", GOOD);
        const r = await runCli(["doctor", "-c", path], { env: { LIVEKIT_URL: s.url, LIVEKIT_API_KEY: API_KEY, LIVEKIT_API_SECRET: API_SECRET } });
        expect(r.code).toBe(1);
        expect(r.stdout).toMatch(/^ {2}ok +version +older than v1\.9\.11/m);
        expect(r.stdout).toMatch(/^ {2}fail +fields +the server would silently drop `numbers` of 1 rule \("a"\): it is older than v1\.9\.11$/m);
        expect(r.stdout).toMatch(/^ {2}fail +fields +the server would silently drop `media` of 1 rule \("a"\): it is older than v1\.12\.0$/m);
        expect(s.requests.map((q) => q.path)).toEqual(["/twirp/livekit.SIP/ListSIPDispatchRule"]);
      },
      { fallback: { json: { items: [item] } } },
    );
  });

  it("a clock two minutes off the server's fails the clock check", async () => {
    await withServer(
      async (s) => {
        const path = await t.write("clock.yaml", GOOD);
        const r = await runCli(["doctor", "-c", path, "--format", "json"], { env: { LIVEKIT_URL: s.url, LIVEKIT_API_KEY: API_KEY, LIVEKIT_API_SECRET: API_SECRET } });
        const report = JSON.parse(r.stdout) as { ok: boolean; checks: { check: string; status: string; message: string }[] };
        expect(report.ok).toBe(false);
        expect(report.checks.find((c) => c.check === "clock")).toMatchObject({ status: "fail", message: expect.stringMatching(/the local clock is about 1[12]\d s ahead of the server's/) });
        expect(report.checks.find((c) => c.check === "version")?.status).toBe("warn");
      },
      { fallback: () => ({ json: { items: [] }, headers: { date: new Date(Date.now() - 120_000).toUTCString() } }) },
    );
  });

  it("a Twirp answer without the SIP service is named", async () => {
    await withServer(
      async (s) => {
        const path = await t.write("nosip.yaml", GOOD);
        const r = await runCli(["doctor", "-c", path], { env: { LIVEKIT_URL: s.url, LIVEKIT_API_KEY: API_KEY, LIVEKIT_API_SECRET: API_SECRET } });
        expect(r.code).toBe(1);
        expect(r.stdout).toMatch(/fail +server +.* is a Twirp server without the SIP service/);
      },
      { fallback: twirpError(404, "bad_route", 'no handler for path "/twirp/livekit.SIP/ListSIPDispatchRule"') },
    );
  });

  it("checks every trunk name of the environment asked for (SPEC §8): resolved, missing, ambiguous; read-only", async () => {
    t.em.control.seedTrunks([
      { sip_trunk_id: "ST_main00000001", name: "main-carrier", auth_password: "doctor-trunk-pw-81" },
      { sip_trunk_id: "ST_twin00000001", name: "twin" },
      { sip_trunk_id: "ST_twin00000002", name: "twin" },
    ]);
    const rules = (names: string) =>
      `version: 1\nenvironments:\n  staging: { url: "${t.em.url}" }\n  production: { url: "https://prod.invalid" }\nrules:\n  - name: a\n    individual: { roomPrefix: a- }\n    trunks: [${names}]\n`;
    const good = await t.write("doctor-trunks.yaml", rules("main-carrier"));
    t.em.control.clearRequests();
    const r = await t.cli(["doctor", "-c", good, "--env", "staging"], { env: { LIVEKIT_URL: undefined } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(statuses(r.stdout)).toContain("ok trunks");
    expect(r.stdout).toContain("every trunk name resolves: main-carrier (ST_main00000001)");
    expect(r.stdout).toContain(`from environments.staging.url`);
    expect(t.em.control.requests().map((c) => c.rpc).sort()).toEqual(["ListSIPDispatchRule", "ListSIPInboundTrunk"]);
    const bad = await t.write("doctor-trunks-bad.yaml", rules("missing-carrier, twin"));
    const b = await t.cli(["doctor", "-c", bad, "--env", "staging"], { env: { LIVEKIT_URL: undefined } });
    expect(b.code).toBe(1);
    expect(statuses(b.stdout).filter((s) => s.endsWith(" trunks"))).toEqual(["fail trunks", "fail trunks"]);
    expect(b.stdout).toContain("no inbound trunk in environment staging is named `missing-carrier`");
    expect(b.stdout).toContain("2 inbound trunks in environment staging are named `twin` (ST_twin00000001, ST_twin00000002)");
    expect(b.stdout + b.stderr).not.toContain("doctor-trunk-pw-81");
    // The guard: LIVEKIT_URL naming another server than the environment's fails the url check.
    const guarded = await t.cli(["doctor", "-c", good, "--env", "staging"], { env: { LIVEKIT_URL: "http://127.0.0.1:9" } });
    expect(guarded.code).toBe(1);
    expect(statuses(guarded.stdout)).toContain("fail url");
    expect(guarded.stdout).toContain("refused: environment staging is");
    expect(t.em.control.requests().filter((c) => !c.rpc.startsWith("List"))).toEqual([]);
  });
});

describe("one version floor (issue #12): doctor prints it, plan and apply log it at debug level", () => {
  it("the same reading of the List answer in doctor and in plan/apply --log-level debug; nothing without debug", async () => {
    const path = await t.write("floor.yaml", GOOD);
    await t.cli(["apply", "-c", path, "--auto-approve"]);
    const doctor = await t.cli(["doctor", "-c", path]);
    const shown = /^ {2}ok +version +(at least v\d+\.\d+\.\d+ \(`[a-z_.]+` in its List answer\))$/m.exec(doctor.stdout)?.[1];
    expect(shown, doctor.stdout).toBeDefined();
    for (const args of [["plan"], ["apply", "--auto-approve"]]) {
      const debug = await t.cli([...args, "-c", path, "--log-level", "debug"]);
      expect(debug.code, debug.stderr).toBe(0);
      expect(debug.stderr).toContain(`debug: ${t.em.url}: server version ${shown ?? "?"}; UpdateSIPDispatchRule proven by it\n`);
      const quiet = await t.cli([...args, "-c", path]);
      expect(quiet.stderr).not.toMatch(/server version/);
    }
    // An empty server proves nothing: Update is assumed, and the line says so.
    t.em.control.reset();
    const empty = await t.cli(["plan", "-c", path, "--log-level", "debug"]);
    expect(empty.stderr).toMatch(/server version cannot tell: the server has no dispatch rules yet .*; UpdateSIPDispatchRule assumed/);
  });
});

// The built CLI's `emulator` command as a child process: the port line, real requests, SIGTERM
// -> exit 0, and the --state file written after each change and read back at the next start.
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { runCli } from "../support/run-cli.js";
import { startCliEmulator } from "../support/cli-emulator.js";
import { adminToken } from "../unit/emulator/http-helpers.js";


const creds = { apiKey: "devkey", apiSecret: "secret" };
async function rpc(url: string, method: string, body: unknown, token = adminToken(creds)) {
  const res = await fetch(`${url}/twirp/livekit.SIP/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe("sip-dispatch-sync emulator (built CLI)", () => {
  test("--trunk NAME[=NUMBERS] seeds inbound trunks once (kept in --state) for demos of trunk names", async () => {
    const dir = mkdtempSync(join(tmpdir(), "emu-trunk-"));
    const state = join(dir, "state.json");
    const args = ["--listen", "127.0.0.1:0", "--state", state, "--trunk", "main-carrier=+15550001111,+15550002222", "--trunk", "test-carrier"];
    const first = await startCliEmulator(args);
    const listed = await rpc(first.url, "ListSIPInboundTrunk", {});
    const items = listed.json.items as { sip_trunk_id: string; name: string; numbers: string[] }[];
    expect(items.map((i) => [i.name, i.numbers]).sort()).toEqual([
      ["main-carrier", ["+15550001111", "+15550002222"]],
      ["test-carrier", []],
    ]);
    expect(items.every((i) => /^ST_[A-Za-z0-9]{12}$/.test(i.sip_trunk_id))).toBe(true);
    expect(await first.stop()).toBe(0);
    expect((JSON.parse(readFileSync(state, "utf8")) as { trunks: unknown[] }).trunks).toEqual(items);
    // The same flags again: the trunks of the state are kept (same IDs), none is added.
    const second = await startCliEmulator(args);
    expect((await rpc(second.url, "ListSIPInboundTrunk", {})).json.items).toEqual(items);
    const deleted = await rpc(second.url, "DeleteSIPTrunk", { sip_trunk_id: items[0]?.sip_trunk_id });
    expect(deleted.status).toBe(200);
    expect(await second.stop()).toBe(0);
    const bad = await runCli(["emulator", "--listen", "127.0.0.1:0", "--trunk", "=+1555"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--trunk: "=+1555" has no name');
  });

  test("serves on a free port, persists to --state, exits 0 on SIGTERM, and reloads the state", async () => {
    const dir = mkdtempSync(join(tmpdir(), "emu-cli-"));
    const state = join(dir, "state.json");
    const first = await startCliEmulator(["--listen", "127.0.0.1:0", "--state", state]);
    const created = await rpc(first.url, "CreateSIPDispatchRule", { dispatch_rule: { name: "main", rule: { dispatch_rule_direct: { room_name: "r", pin: "4321" } } } });
    expect(created.status).toBe(200);
    const saved = JSON.parse(readFileSync(state, "utf8")) as { formatVersion: number; items: Record<string, unknown>[] };
    expect(saved.formatVersion).toBe(1);
    expect(saved.items).toEqual([created.json]);
    expect(await first.stop()).toBe(0);
    // Never the secret, nor the pin, in the logs.
    expect(first.stderr()).not.toContain("secret\"");
    expect(first.stderr()).not.toMatch(/(?<!\d)4321(?!\d)/); // digit-bounded: a port may hold 4321

    const second = await startCliEmulator(["--listen", "127.0.0.1:0", "--state", state]);
    const listed = await rpc(second.url, "ListSIPDispatchRule", {});
    expect(listed.json).toEqual({ items: [created.json] });
    await rpc(second.url, "DeleteSIPDispatchRule", { sip_dispatch_rule_id: created.json.sip_dispatch_rule_id });
    expect((JSON.parse(readFileSync(state, "utf8")) as { items: unknown[] }).items).toEqual([]);
    expect(await second.stop()).toBe(0);
  });

  test("--api-key/--api-secret (or LIVEKIT_API_*) decide which tokens pass", async () => {
    const run = await startCliEmulator(["--listen", "127.0.0.1:0"], { LIVEKIT_API_KEY: "envkey", LIVEKIT_API_SECRET: "envsecret" });
    const good = adminToken({ apiKey: "envkey", apiSecret: "envsecret" });
    expect((await rpc(run.url, "ListSIPDispatchRule", {}, good)).status).toBe(200);
    const res = await fetch(`${run.url}/twirp/livekit.SIP/ListSIPDispatchRule`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${adminToken(creds)}` },
      body: "{}",
    });
    expect([res.status, await res.text()]).toEqual([401, "invalid API key"]);
    expect(run.stderr()).not.toContain("envsecret");
    expect(await run.stop()).toBe(0);
  });

  test("bad flags and an unusable state file fail with exit 1 and a hint, without a stack trace", async () => {
    const bad = await runCli(["emulator", "--listen", "nonsense"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--listen: "nonsense" is not HOST:PORT');
    expect(bad.stderr).toContain("hint:");
    const dir = mkdtempSync(join(tmpdir(), "emu-cli-"));
    const state = join(dir, "broken.json");
    writeFileSync(state, "{ not json");
    const broken = await runCli(["emulator", "--listen", "127.0.0.1:0", "--state", state]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/state file .*broken\.json/);
    expect(broken.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(state)).toBe(true);
    writeFileSync(state, JSON.stringify({ formatVersion: 1, items: [{ trunk_ids: "not a list" }] }));
    const badItem = await runCli(["emulator", "--listen", "127.0.0.1:0", "--state", state]);
    expect(badItem.code).toBe(1);
    expect(badItem.stderr).toContain("seed item 0 is not a SIPDispatchRuleInfo");
    const help = await runCli(["emulator", "--help"]);
    expect([help.code, help.stdout]).toEqual([0, expect.stringContaining("--state FILE")]);
  });
});

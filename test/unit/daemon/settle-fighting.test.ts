// Tests the settle rule's wait (settle.ts), the fighting-writer tracker (fighting.ts) and the
// daemon's refusal hint (events.ts), with injected clocks and stamps.
import { describe, expect, it } from "vitest";
import { createFightTracker, daemonRefusalHint, waitForSettledFile, type FileStamp } from "../../../src/daemon/index.js";
import { checkSafety } from "../../../src/core/check-safety.js";

/** A monotonic clock that only moves when the code under test sleeps. */
function clock(wallStart = 1_000_000) {
  let t = 0;
  const sleeps: number[] = [];
  return {
    now: () => t,
    wallNow: () => wallStart + t,
    sleeps,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    advance: (ms: number) => void (t += ms),
  };
}

const stampAt = (wallMs: number, ino = 1): FileStamp => ({ ino, size: 10, mtimeMs: wallMs, ctimeMs: wallMs });

describe("waitForSettledFile", () => {
  it("waits for nothing when the file is older than settleMs", async () => {
    const c = clock();
    const old = stampAt(c.wallNow() - 5000);
    const r = await waitForSettledFile({ settleMs: 2000, stamp: async () => old, ...c });
    expect(r).toEqual({ waitedMs: 0, settled: true });
    expect(c.sleeps).toEqual([]);
  });

  it("waits out the rest of settleMs after a recent change", async () => {
    const c = clock();
    const s = stampAt(c.wallNow() - 500);
    const r = await waitForSettledFile({ settleMs: 2000, stamp: async () => s, ...c });
    expect(r.settled).toBe(true);
    expect(c.sleeps).toEqual([1500]);
  });

  it("starts over when the file changes while it waits (a writer pausing mid-file)", async () => {
    const c = clock();
    const first = stampAt(c.wallNow());
    let second: FileStamp | undefined;
    const r = await waitForSettledFile({
      settleMs: 2000,
      stamp: async () => {
        // The rest of the file is written 1 s in.
        if (c.now() >= 1000) second ??= stampAt(c.wallNow(), 1);
        return second ?? first;
      },
      ...c,
      sleep: async (ms) => {
        c.sleeps.push(ms);
        c.advance(Math.min(ms, 1000));
      },
    });
    expect(r.settled).toBe(true);
    // Seen changed at 1 s: quiet from then on for 2 s more.
    expect(c.now()).toBeGreaterThanOrEqual(3000);
  });

  it("counts a watcher event as a change", async () => {
    const c = clock();
    const lastEvent = -100;
    const old = stampAt(c.wallNow() - 10_000);
    const r = await waitForSettledFile({ settleMs: 1000, stamp: async () => old, quietFor: () => c.now() - lastEvent, ...c });
    expect(r.settled).toBe(true);
    expect(c.sleeps).toEqual([900]);
  });

  it("a file time in the future delays once, never for ever", async () => {
    const c = clock();
    const future = stampAt(c.wallNow() + 3_600_000);
    const r = await waitForSettledFile({ settleMs: 1000, stamp: async () => future, ...c });
    expect(r.settled).toBe(true);
    expect(c.sleeps).toEqual([1000]);
  });

  it("ends early, unsettled, when the signal aborts", async () => {
    const c = clock();
    const ac = new AbortController();
    const r = await waitForSettledFile({
      settleMs: 2000,
      stamp: async () => stampAt(1_000_000),
      ...c,
      sleep: async (ms) => {
        c.sleeps.push(ms);
        ac.abort();
      },
      signal: ac.signal,
    });
    expect(r.settled).toBe(false);
  });
});

describe("createFightTracker", () => {
  const v1 = { file: 1 };
  const v2 = { file: 2 };

  it("flags a rule flipped back twice in a row, and holds it until the file changes", () => {
    const t = createFightTracker();
    expect(t.check(v1, ["a"], ["b"]).hold.size).toBe(0); // first drift: written
    t.written(v1, ["a"]);
    expect(t.check(v1, [], ["a", "b"]).hold.size).toBe(0); // in sync for a while
    expect(t.check(v1, ["a"], ["b"]).hold.size).toBe(0); // flipped back once: written again
    t.written(v1, ["a"]);
    const second = t.check(v1, ["a"], ["b"]); // flipped back twice
    expect([...second.hold]).toEqual(["a"]);
    expect(second.started).toEqual(["a"]);
    expect(t.fighting()).toEqual(["a"]);
    const later = t.check(v1, ["a"], ["b"]);
    expect([...later.hold]).toEqual(["a"]);
    expect(later.started).toEqual([]);
    // The file changes: written again.
    expect(t.check(v2, ["a"], ["b"]).hold.size).toBe(0);
    expect(t.fighting()).toEqual([]);
  });

  it("lets a held rule go once the server matches the file again", () => {
    const t = createFightTracker();
    for (let i = 0; i < 2; i++) {
      t.check(v1, ["a"], []);
      t.written(v1, ["a"]);
    }
    expect(t.check(v1, ["a"], []).started).toEqual(["a"]);
    t.check(v1, [], ["a"]);
    expect(t.fighting()).toEqual([]);
    expect(t.check(v1, ["a"], []).hold.size).toBe(0);
  });

  it("a rule whose write failed, or that this daemon never wrote, is not a flip", () => {
    const t = createFightTracker();
    for (let i = 0; i < 5; i++) {
      expect(t.check(v1, ["a", "b"], []).hold.size).toBe(0);
      t.written(v1, ["b"].filter(() => i === 0));
    }
    // b: written once, then needed 4 more times without being written again: one flip only.
    expect(t.fighting()).toEqual([]);
  });
});

describe("daemonRefusalHint", () => {
  it("never mentions --force and says what to do instead, for every safety refusal", () => {
    const rules = Array.from({ length: 20 }, (_, i) => ({ spec: { name: `r${i}` } }));
    const desired = (n: number, allowEmpty = false) => ({ file: "f", version: 1 as const, prune: true, allowEmpty, manage: ["*"], limits: { maxDeletes: 5, maxDeletePercent: 30 }, rules: rules.slice(0, n) }) as never;
    const refusals = [checkSafety({ desired: desired(0), deletes: 3, managedRemote: 3 }), checkSafety({ desired: desired(1), deletes: 6, managedRemote: 7 }), checkSafety({ desired: desired(15), deletes: 5, managedRemote: 15 })];
    for (const r of refusals) {
      expect(r?.hint).toMatch(/--force/);
      const hint = daemonRefusalHint(r?.hint ?? "");
      expect(hint).not.toMatch(/--force/);
      expect(hint).toMatch(/sip-dispatch-sync apply/);
    }
    expect(daemonRefusalHint(refusals[1]?.hint ?? "")).toMatch(/^check the file; if the deletes are intended, raise `limits\.maxDeletes` in the file; watch never forces/);
  });
});

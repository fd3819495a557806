// Tests the pure parts of the file watcher: which paths matter and the trailing debounce.
import { describe, expect, it } from "vitest";
import { createDebouncer, isRelevantPath } from "../../../src/daemon/index.js";
import { fakeScheduler } from "./fake-scheduler.js";

describe("isRelevantPath", () => {
  it("accepts the file itself and the ConfigMap ..data link in the same directory", () => {
    expect(isRelevantPath("/config/dispatch-rules.yaml", "/config/dispatch-rules.yaml")).toBe(true);
    expect(isRelevantPath("/config/dispatch-rules.yaml", "/config/..data")).toBe(true);
    expect(isRelevantPath("config/dispatch-rules.yaml", `${process.cwd()}/config/dispatch-rules.yaml`)).toBe(true);
  });

  it("rejects siblings, temp files and the same name elsewhere", () => {
    for (const p of [
      "/config/other.yaml",
      "/config/dispatch-rules.yaml.tmp",
      "/config/..data_tmp",
      "/config/..2026_01_01_00_00_00.1",
      "/config/sub/dispatch-rules.yaml",
      "/other/dispatch-rules.yaml",
      "/config",
    ]) {
      expect(isRelevantPath("/config/dispatch-rules.yaml", p), p).toBe(false);
    }
  });
});

describe("createDebouncer", () => {
  it("calls once, debounceMs after the last trigger", async () => {
    const clock = fakeScheduler();
    let calls = 0;
    const d = createDebouncer(() => void calls++, 300, clock.setTimer);
    for (let i = 0; i < 20; i++) {
      d.trigger();
      await clock.advance(100);
    }
    expect(calls).toBe(0);
    await clock.advance(199);
    expect(calls).toBe(0);
    await clock.advance(1);
    expect(calls).toBe(1);
    await clock.advance(10_000);
    expect(calls).toBe(1);
  });

  it("drops a pending call on cancel", async () => {
    const clock = fakeScheduler();
    let calls = 0;
    const d = createDebouncer(() => void calls++, 300, clock.setTimer);
    d.trigger();
    d.cancel();
    await clock.advance(1_000);
    expect(calls).toBe(0);
    d.trigger();
    await clock.advance(300);
    expect(calls).toBe(1);
  });
});

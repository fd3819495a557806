// Tests readStableFile: it returns only bytes read twice in a row, and names why it could not.
import { execFileSync } from "node:child_process";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readStableFile } from "../../../src/daemon/index.js";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A reader that returns the given contents in turn (the last one forever after). */
function sequenceReader(contents: readonly string[]) {
  let i = 0;
  const reads: string[] = [];
  return {
    reads,
    readFile: async (): Promise<Uint8Array> => {
      const c = contents[Math.min(i++, contents.length - 1)] ?? "";
      reads.push(c);
      return enc(c);
    },
  };
}

describe("readStableFile (injected reader)", () => {
  it("re-reads a changing file until two reads agree", async () => {
    const r = sequenceReader(["vers", "version: 1\nru", "version: 1\nrules: []\n", "version: 1\nrules: []\n"]);
    const sleeps: number[] = [];
    const got = await readStableFile("f.yaml", { settleMs: 25, maxReads: 10, readFile: r.readFile, sleep: async (ms) => void sleeps.push(ms) });
    expect(got.ok && dec(got.bytes)).toBe("version: 1\nrules: []\n");
    expect(r.reads).toHaveLength(4);
    expect(sleeps).toEqual([25, 25, 25]);
  });

  it("skips the first pause when firstSettleMs is 0, and pauses settleMs after a change", async () => {
    const r = sequenceReader(["a", "b", "b"]);
    const sleeps: number[] = [];
    const got = await readStableFile("f.yaml", { settleMs: 25, firstSettleMs: 0, maxReads: 10, readFile: r.readFile, sleep: async (ms) => void sleeps.push(ms) });
    expect(got.ok && dec(got.bytes)).toBe("b");
    expect(r.reads).toEqual(["a", "b", "b"]);
    expect(sleeps).toEqual([25]);
  });

  it("gives up as unstable after maxReads", async () => {
    let n = 0;
    const got = await readStableFile("f.yaml", {
      settleMs: 1,
      maxReads: 4,
      readFile: async () => enc(String(n++)),
      sleep: async () => undefined,
    });
    expect(got).toEqual({ ok: false, reason: "unstable", detail: "f.yaml was still changing after 4 reads 1 ms apart" });
    expect(n).toBe(4);
  });

  it("reads at least twice even when maxReads is smaller", async () => {
    const r = sequenceReader(["a", "b", "b"]);
    const got = await readStableFile("f.yaml", { settleMs: 1, maxReads: 1, readFile: r.readFile, sleep: async () => undefined });
    expect(got.ok).toBe(false);
    expect(r.reads).toEqual(["a", "b"]);
  });

  it("reports a file that vanishes between reads as missing", async () => {
    let n = 0;
    const got = await readStableFile("f.yaml", {
      settleMs: 1,
      maxReads: 5,
      readFile: async () => {
        if (n++ === 0) return enc("a");
        throw Object.assign(new Error("ENOENT: no such file or directory, open 'f.yaml'"), { code: "ENOENT" });
      },
      sleep: async () => undefined,
    });
    expect(got).toMatchObject({ ok: false, reason: "missing" });
  });
});

describe("readStableFile (real files)", () => {
  let dir = "";
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "sds-read-stable-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("returns the bytes of a stable file", async () => {
    await writeFile(join(dir, "f.yaml"), "version: 1\n");
    const got = await readStableFile(join(dir, "f.yaml"), { settleMs: 5, maxReads: 3 });
    expect(got.ok && dec(got.bytes)).toBe("version: 1\n");
  });

  it("reports a missing file, and a path under a file, as missing", async () => {
    await writeFile(join(dir, "plain"), "x");
    const a = await readStableFile(join(dir, "nope.yaml"), { settleMs: 5, maxReads: 3 });
    const b = await readStableFile(join(dir, "plain", "f.yaml"), { settleMs: 5, maxReads: 3 });
    expect(a).toMatchObject({ ok: false, reason: "missing" });
    expect(b).toMatchObject({ ok: false, reason: "missing" });
    expect(!a.ok && a.detail).toContain("ENOENT");
  });

  it("refuses a directory as not a file", async () => {
    await mkdir(join(dir, "f.yaml"));
    const got = await readStableFile(join(dir, "f.yaml"), { settleMs: 5, maxReads: 3 });
    expect(got).toMatchObject({ ok: false, reason: "not-a-file" });
    expect(!got.ok && got.detail).toContain("is a directory");
  });

  it("refuses a FIFO without blocking, and a device without reading it", async () => {
    const fifo = join(dir, "fifo.yaml");
    execFileSync("mkfifo", [fifo]);
    expect(await readStableFile(fifo, { settleMs: 5, maxReads: 3 })).toMatchObject({ ok: false, reason: "not-a-file" });
    expect(await readStableFile("/dev/zero", { settleMs: 5, maxReads: 3 })).toMatchObject({ ok: false, reason: "not-a-file" });
  });

  it("refuses a file over the cap, and reads one at the cap", async () => {
    const f = join(dir, "f.yaml");
    await writeFile(f, "x".repeat(100));
    expect(await readStableFile(f, { settleMs: 1, maxReads: 3, maxBytes: 99 })).toMatchObject({ ok: false, reason: "too-large" });
    const at = await readStableFile(f, { settleMs: 1, maxReads: 3, maxBytes: 100 });
    expect(at.ok && at.bytes.length).toBe(100);
  });
});

// When a one-shot command bounds V8's old-generation growth (src/cli/heap-growth.ts): only for a
// large file, only on the V8 versions that have the flag, never over a growth the user gave.
import { describe, expect, it } from "vitest";
import { BOUNDED_GROWTH_FROM_BYTES, boundsHeapGrowth } from "../../../src/cli/heap-growth.js";

const LARGE = BOUNDED_GROWTH_FROM_BYTES;

describe("boundsHeapGrowth", () => {
  it("bounds the growth for a file of 16 MiB or more, not for a smaller one", () => {
    expect(BOUNDED_GROWTH_FROM_BYTES).toBe(16 * 1024 * 1024);
    expect(boundsHeapGrowth(LARGE, "11.3.244.8-node.38", [], undefined)).toBe(true);
    expect(boundsHeapGrowth(37 * 1024 * 1024, "12.4.254.21-node.33", [], "")).toBe(true);
    expect(boundsHeapGrowth(LARGE - 1, "11.3.244.8-node.38", [], undefined)).toBe(false);
    expect(boundsHeapGrowth(0, "11.3.244.8-node.38", [], undefined)).toBe(false);
  });

  it("only on V8 11-13 (Node 20-24), which have --heap-growing-percent", () => {
    expect(boundsHeapGrowth(LARGE, "13.6.233.10-node.27", [], undefined)).toBe(true);
    expect(boundsHeapGrowth(LARGE, "9.4.146.26-node.24", [], undefined)).toBe(false);
    expect(boundsHeapGrowth(LARGE, "14.0.1", [], undefined)).toBe(false);
    expect(boundsHeapGrowth(LARGE, "not a version", [], undefined)).toBe(false);
  });

  it("leaves a growth given on the command line or in NODE_OPTIONS alone", () => {
    expect(boundsHeapGrowth(LARGE, "11.3.244.8-node.38", ["--heap-growing-percent=50"], undefined)).toBe(false);
    expect(boundsHeapGrowth(LARGE, "11.3.244.8-node.38", [], "--max-old-space-size=1536 --heap_growing_percent=30")).toBe(false);
    // Other V8 flags do not count.
    expect(boundsHeapGrowth(LARGE, "11.3.244.8-node.38", ["--max-semi-space-size=1"], "--expose-gc")).toBe(true);
  });
});

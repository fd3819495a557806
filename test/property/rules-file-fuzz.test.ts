// Property: any mutation of a valid rules file (inserted bytes, tabs, NULs, invalid UTF-8,
// deleted or duplicated lines, truncation) gives exit 0 or 1, positioned diagnostics on lines
// that exist, and never a stack trace or a TypeError/RangeError text. In-process through the
// loader and the validate command's run(), plus a few spawned-CLI cases.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { run } from "../../src/cli/commands/validate.js";
import type { CliIo } from "../../src/cli/io.js";
import { renderDiagnosticsText } from "../../src/render/diagnostics.js";
import { loadRulesText } from "../../src/rules-file/index.js";
import { runCli } from "../support/run-cli.js";

const SEEDS = ["config/dispatch-rules.yaml", "test/fixtures/rules-files/valid/all-fields.yaml", "test/fixtures/rules-files/valid/anchors-and-merge.yaml"].map((f) => new Uint8Array(readFileSync(f)));
const dir = mkdtempSync(join(tmpdir(), "sds-fuzz-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const JUNK = ["\t", "\0", ":", "- ", "{", "}", "[", "]", "&a ", "*a", "<<: *a\n", "${", "${X}", "$${", "'", '"', "#", "\n", "  ", "---\n", "? ", "!!binary ", "\u00e9", "roomPrefx: 1\n", "sipDispatchRuleId: x\n"];

const bytes = (s: string) => new TextEncoder().encode(s);
type Mutation = (b: Uint8Array) => Uint8Array;
const splice = (b: Uint8Array, at: number, del: number, ins: Uint8Array) => new Uint8Array([...b.subarray(0, at), ...ins, ...b.subarray(Math.min(b.length, at + del))]);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.constantFrom(...JUNK)).map(([p, j]) => (b: Uint8Array) => splice(b, p % (b.length + 1), 0, bytes(j))),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 40 })).map(([p, n]) => (b: Uint8Array) => splice(b, p % (b.length + 1), n, new Uint8Array())),
  fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 4 })).map(([p, junk]) => (b: Uint8Array) => splice(b, p % (b.length + 1), 1, junk)),
  fc.nat().map((p) => (b: Uint8Array) => b.subarray(0, p % (b.length + 1))),
  fc.nat().map((p) => (b: Uint8Array) => {
    const lines = new TextDecoder().decode(b).split("\n");
    const i = p % lines.length;
    lines.splice(i, 0, lines[i] ?? "");
    return bytes(lines.join("\n"));
  }),
);

const mutated = fc.tuple(fc.constantFrom(...SEEDS), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([seed, ms]) => ms.reduce<Uint8Array>((b, m) => m(b), seed));

// Lines as the loader counts them: LF, CRLF and a lone CR each end one (YAML 1.2 line breaks).
function lineCount(b: Uint8Array): number {
  let n = 1;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0x0a) n += 1;
    else if (b[i] === 0x0d && b[i + 1] !== 0x0a) n += 1;
  }
  return n;
}

function assertClean(output: string, code: number, b: Uint8Array): void {
  expect([0, 1]).toContain(code);
  expect(output).not.toMatch(/\n {4}at /);
  expect(output).not.toMatch(/TypeError|RangeError|ReferenceError|internal error/);
  for (const m of output.matchAll(/:(\d+):(\d+): (?:error|warning):/g)) expect(Number(m[1])).toBeLessThanOrEqual(lineCount(b));
}

function fakeIo(env: Record<string, string> = {}): CliIo & { out: () => string } {
  let text = "";
  const sink = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { stdout: sink, stderr: sink, stdin: process.stdin, env, cwd: process.cwd(), stdoutIsTTY: false, stdinIsTTY: false, out: () => text };
}

describe("mutated rules files", () => {
  it("the loader returns a state or positioned diagnostics, never throws", () => {
    fc.assert(
      fc.property(mutated, (b) => {
        const r = loadRulesText(b, "f.yaml", { env: {} });
        const text = r.ok ? "" : renderDiagnosticsText([{ file: "f.yaml", rules: undefined, diagnostics: r.diagnostics }]);
        if (!r.ok) expect(r.diagnostics.length).toBeGreaterThan(0);
        assertClean(text, r.ok ? 0 : 1, b);
        for (const d of r.ok ? [] : r.diagnostics) {
          expect(d.line).toBeGreaterThanOrEqual(0);
          expect(d.line).toBeLessThanOrEqual(lineCount(b));
          expect(d.hint ?? "").not.toBe("");
        }
      }),
      { numRuns: 400 },
    );
  });

  it("validate's run() exits 0 or 1 with clean output in every format", async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(mutated, fc.constantFrom("text", "json", "github"), async (b, format) => {
        const file = join(dir, `case-${n++}.yaml`);
        writeFileSync(file, b);
        const io = fakeIo();
        const code = await run(["--format", format, file], io);
        assertClean(io.out(), code, b);
        if (format === "json") expect(JSON.parse(io.out())).toMatchObject({ formatVersion: 1, valid: code === 0 });
      }),
      { numRuns: 100 },
    );
  });

  it("the built CLI exits 0 or 1 without a stack trace", async () => {
    const cases = fc.sample(mutated, { numRuns: 8, seed: 42 });
    for (const [i, b] of cases.entries()) {
      const file = join(dir, `cli-${i}.yaml`);
      writeFileSync(file, b);
      const r = await runCli(["validate", file]);
      assertClean(`${r.stdout}${r.stderr}`, r.code ?? -1, b);
    }
  });
});

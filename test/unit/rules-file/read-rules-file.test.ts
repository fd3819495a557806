// The rules file read from disk (read-rules-file.ts): decoded before the load (so the bytes are not
// held while the text is parsed), with the same answers as the loader given the bytes: a UTF-8
// byte order mark is dropped, a byte that is not UTF-8 is named at its line and column.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadRulesText, readRulesFile } from "../../../src/rules-file/index.js";

const dir = mkdtempSync(join(tmpdir(), "sds-read-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

describe("readRulesFile", () => {
  const cases: readonly (readonly [string, Buffer])[] = [
    ["plain", Buffer.from("version: 1\nrules:\n  - name: a\n    individual: {}\n    numbers: [\"+15550001\"]\n")],
    ["bom", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("version: 1\nrules:\n  - name: a\n    callee: {}\n    numbers: [\"+15550001\"]\n")])],
    ["not utf-8", Buffer.concat([Buffer.from("version: 1\nrules:\n  - name: a"), Buffer.from([0xff]), Buffer.from("\n    individual: {}\n")])],
    ["overlong", Buffer.concat([Buffer.from("version: 1\nrules: []\n# "), Buffer.from([0xc0, 0xaf]), Buffer.from("\n")])],
  ];
  it.each(cases)("%s: the same result as the loader given the bytes", async (name, bytes) => {
    const path = file(`${name.replace(/\W/g, "-")}.yaml`, bytes);
    const fromDisk = await readRulesFile(path, { env: {} });
    const fromBytes = loadRulesText(bytes, path, { env: {} });
    expect(JSON.parse(JSON.stringify(fromDisk))).toEqual(JSON.parse(JSON.stringify(fromBytes)));
  });

  it("names the first byte that is not UTF-8 at its line and column", async () => {
    const r = await readRulesFile(file("bad.yaml", cases[2]?.[1] as Buffer), { env: {} });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([["not-utf8", 3, 12]]);
  });
});

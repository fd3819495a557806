// Every valid fixture loads; every invalid fixture yields exactly its .expected.txt (the text
// diagnostics with file:line:column, path and hint). UPDATE_FIXTURES=1 rewrites the expected files.
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderDiagnosticsText } from "../../../src/render/diagnostics.js";
import { loadRulesText } from "../../../src/rules-file/index.js";

const DIR = "test/fixtures/rules-files";
const yamlFiles = (sub: string) => readdirSync(`${DIR}/${sub}`).filter((f) => f.endsWith(".yaml")).sort();

describe("valid fixtures", () => {
  it.each(yamlFiles("valid"))("%s loads", (name) => {
    const file = `${DIR}/valid/${name}`;
    const result = loadRulesText(readFileSync(file), file, { env: {} });
    expect(result.ok ? [] : result.diagnostics).toEqual([]);
  });
});

describe("invalid fixtures", () => {
  it("has cases", () => expect(yamlFiles("invalid").length).toBeGreaterThanOrEqual(10));
  it.each(yamlFiles("invalid"))("%s yields exactly its expected diagnostics", (name) => {
    const file = `${DIR}/invalid/${name}`;
    const result = loadRulesText(readFileSync(file), file, { env: {} });
    expect(result.ok).toBe(false);
    const actual = renderDiagnosticsText([{ file, rules: undefined, diagnostics: result.ok ? [] : result.diagnostics }]);
    const expectedFile = file.replace(/\.yaml$/, ".expected.txt");
    if (process.env.UPDATE_FIXTURES === "1" || !existsSync(expectedFile)) writeFileSync(expectedFile, actual);
    expect(actual).toBe(readFileSync(expectedFile, "utf8"));
  });
});

// The pure diagnostics renderers: text lines and summary, GitHub escaping, JSON shape.
import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../../../src/model/index.js";
import { renderDiagnostics, type FileReport } from "../../../src/render/diagnostics.js";

const d = (over: Partial<Diagnostic> = {}): Diagnostic => ({ code: "unknown-key", severity: "error", message: "unknown key `x`", hint: "did you mean `y`?", file: "a.yaml", line: 3, column: 5, path: "rules[0].x", ...over });

describe("renderDiagnostics", () => {
  it("text: one line per problem, a hint line, then the summary", () => {
    const reports: FileReport[] = [{ file: "a.yaml", rules: undefined, diagnostics: [d(), d({ line: 0, column: 0, path: "", hint: undefined, message: "file not found" })] }, { file: "b.yaml", rules: 2, diagnostics: [] }];
    expect(renderDiagnostics(reports, "text")).toBe("a.yaml:3:5: error: unknown key `x` (at rules[0].x)\n  hint: did you mean `y`?\na.yaml: error: file not found\nb.yaml: 2 rules, valid\n2 errors in 1 file\n");
  });

  it("text: a valid file says how many rules it has", () => {
    expect(renderDiagnostics([{ file: "a.yaml", rules: 1, diagnostics: [] }], "text")).toBe("a.yaml: 1 rule, valid\n");
  });

  it("github: escapes properties and data, leaves out an unknown position", () => {
    const out = renderDiagnostics([{ file: "dir,x:y.yaml", rules: undefined, diagnostics: [d({ file: "dir,x:y.yaml", message: "50% bad\nline" }), d({ line: 0, column: 0, file: "dir,x:y.yaml" })] }], "github");
    const [first, second, summary] = out.trimEnd().split("\n");
    expect(first).toBe("::error file=dir%2Cx%3Ay.yaml,line=3,col=5::50%25 bad%0Aline (at rules[0].x)%0Ahint: did you mean `y`?");
    expect(second?.startsWith("::error file=dir%2Cx%3Ay.yaml::")).toBe(true);
    expect(summary).toBe("2 errors in 1 file");
  });

  it("json: every key present, in a stable order", () => {
    const parsed = JSON.parse(renderDiagnostics([{ file: "a.yaml", rules: undefined, diagnostics: [d({ hint: undefined })] }], "json"));
    expect(Object.keys(parsed)).toEqual(["formatVersion", "valid", "files"]);
    expect(Object.keys(parsed.files[0].diagnostics[0])).toEqual(["code", "severity", "message", "hint", "file", "line", "column", "path", "related"]);
    expect(parsed.files[0].diagnostics[0].hint).toBeNull();
    expect(parsed.valid).toBe(false);
  });
});

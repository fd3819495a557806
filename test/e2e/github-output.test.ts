// End-to-end (I/O: temp files, child processes, an in-process emulator and the CLI's emulator):
// the CI outputs of the built CLI. `validate` and `plan --format github` annotate every error and
// every planned change at file:line; `plan --format markdown` and $GITHUB_STEP_SUMMARY; `plan
// --against` a saved state (export --format json, or the emulator's --state file) gives the same
// outputs and exit codes. Files a hook may be handed (not YAML, empty, binary, merge conflicts,
// conflicting rules) yield annotations at their lines and exit 1, never a crash.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_KEY, API_SECRET, PINS, PIN_ENV, startE2e, type E2e } from "../support/e2e-harness.js";
import { startCliEmulator, type RunningEmulator } from "../support/cli-emulator.js";
import { runCli, type CliResult } from "../support/run-cli.js";

/** One GitHub workflow command line (`::level k=v,k=v::message`), unescaped. */
interface Annotation {
  readonly level: string;
  readonly props: Readonly<Record<string, string>>;
  readonly message: string;
}

// Inverse of actions/toolkit escapeData / escapeProperty: "%25" last, so "%253A" stays "%3A".
const unescapeData = (s: string): string => s.replace(/%0D/g, "\r").replace(/%0A/g, "\n").replace(/%25/g, "%");
const unescapeProperty = (s: string): string => unescapeData(s.replace(/%3A/g, ":").replace(/%2C/g, ","));

function annotations(stdout: string): Annotation[] {
  const out: Annotation[] = [];
  for (const line of stdout.split("\n")) {
    const m = /^::(error|warning|notice)(?: ([^:]*))?::(.*)$/.exec(line);
    if (m === null) continue;
    const props: Record<string, string> = {};
    for (const kv of (m[2] ?? "").split(",").filter((s) => s !== "")) {
      const eq = kv.indexOf("=");
      props[kv.slice(0, eq)] = unescapeProperty(kv.slice(eq + 1));
    }
    out.push({ level: m[1] as string, props, message: unescapeData(m[3] as string) });
  }
  return out;
}

/** 1-based line of the first line of `text` that starts with `prefix`. */
function lineOf(text: string, prefix: string): number {
  const i = text.split("\n").findIndex((l) => l.startsWith(prefix));
  expect(i, `a line starting with ${JSON.stringify(prefix)}`).toBeGreaterThanOrEqual(0);
  return i + 1;
}

function expectNoCrash(r: CliResult): void {
  expect(r.stderr, "no stack trace").not.toMatch(/\n\s+at .*:\d+:\d+/);
  expect(r.stderr + r.stdout).not.toMatch(/internal error|TypeError|RangeError|SyntaxError:/);
}

const BASE = `version: 1
rules:
  - name: keep
    individual:
      roomPrefix: keep-
    trunkIds: [ST_keep]
  - name: change
    individual:
      roomPrefix: old-
    trunkIds: [ST_change]
  - name: remove
    direct:
      roomName: gone
    trunkIds: [ST_remove]
  - name: pinned
    direct:
      roomName: vault
      pin: \${E2E_DIRECT_PIN}
    trunkIds: [ST_pinned]
`;

// keep unchanged; change and pinned updated (a pin change among them); remove deleted; added created.
const EDITED = `version: 1
# Comment lines shift every rule, so the annotations' lines must come from this file.

rules:
  - name: keep
    individual:
      roomPrefix: keep-
    trunkIds: [ST_keep]
  - name: pinned
    direct:
      roomName: vault
      pin: \${E2E_OTHER_PIN}
    trunkIds: [ST_pinned]
  - name: change
    individual:
      roomPrefix: new-
    trunkIds: [ST_change]
  - name: added
    callee:
      roomPrefix: added-
    trunkIds: [ST_added]
`;

const EMPTY_RULES = "version: 1\nrules: []\n";

let t: E2e;
let base: string;
beforeAll(async () => {
  t = await startE2e("gh-output");
  base = await t.write("base.yaml", BASE);
  await t.write("dispatch-rules.yaml", EDITED);
  await t.write("empty-rules.yaml", EMPTY_RULES);
  // Every plan below only reads the server, so it is set up once.
  await resetServer();
});
afterAll(async () => {
  await t.stop();
});
/** The server holds exactly BASE (applied through the CLI). */
async function resetServer(): Promise<void> {
  t.em.control.reset();
  const applied = await t.cli(["apply", "-c", base, "--auto-approve"]);
  expect(applied.code, applied.stdout + applied.stderr).toBe(0);
}

describe("validate --format github (built CLI)", () => {
  const UNKNOWN_KEY_DUP_ENV = `version: 1
rules:
  - name: a
    individual:
      roomPrefx: call-
  - name: a
    callee: {}
  - name: c
    direct:
      roomName: r
      pin: \${GH_OUTPUT_UNSET_PIN}
`;

  it("annotates every error of every file at its line and column: the same set as --format json", async () => {
    await t.write("dispatch-rules-bad.yaml", UNKNOWN_KEY_DUP_ENV);
    await t.write("dispatch-rules-good.yaml", BASE);
    const [gh, json] = await Promise.all([
      runCli(["validate", "--format", "github", "dispatch-rules-good.yaml", "dispatch-rules-bad.yaml"], { cwd: t.dir, env: PIN_ENV }),
      runCli(["validate", "--format", "json", "dispatch-rules-good.yaml", "dispatch-rules-bad.yaml"], { cwd: t.dir, env: PIN_ENV }),
    ]);
    expect([gh.code, json.code]).toEqual([1, 1]);
    expectNoCrash(gh);
    const doc = JSON.parse(json.stdout) as { files: { diagnostics: { file: string; line: number; column: number; message: string; severity: string }[] }[] };
    const expected = doc.files.flatMap((f) => f.diagnostics).map((d) => `${d.severity === "error" ? "error" : "warning"} ${d.file}:${d.line}:${d.column} ${d.message}`);
    const got = annotations(gh.stdout).map((a) => `${a.level} ${a.props.file}:${a.props.line}:${a.props.col} ${a.message.split(" (at ")[0]?.split("\n")[0]}`);
    expect(got.sort()).toEqual(expected.sort());
    // The three problems of the bad file, each at its own line.
    const lines = annotations(gh.stdout).map((a) => [a.props.file, Number(a.props.line)]);
    expect(lines).toEqual(expect.arrayContaining([["dispatch-rules-bad.yaml", 5], ["dispatch-rules-bad.yaml", 6], ["dispatch-rules-bad.yaml", 11]]));
    expect(gh.stdout).toContain("dispatch-rules-good.yaml: 4 rules, valid");
  });

  // What a hook is handed because its name matches: each yields annotations and exit 1.
  const BAD_INPUTS: readonly { name: string; content: string | Buffer; lines: (text: string) => readonly number[] | "file" }[] = [
    { name: "dispatch-rules-prose.yaml", content: "These are the dispatch rules we talked about.\n", lines: () => [1] },
    { name: "dispatch-rules-list.yml", content: "- name: a\n- name: b\n", lines: () => [1] },
    { name: "dispatch-rules-binary.yaml", content: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe]), lines: () => [1] },
    { name: "dispatch-rules-empty.yaml", content: "", lines: () => "file" },
    { name: "dispatch-rules-comments.yaml", content: "# nothing here yet\n", lines: () => "file" },
    {
      name: "dispatch-rules-merge.yaml",
      content: "version: 1\nrules:\n<<<<<<< HEAD\n  - name: support\n    individual: { roomPrefix: a- }\n=======\n  - name: support\n    individual: { roomPrefix: b- }\n>>>>>>> feature\n",
      lines: (text) => [lineOf(text, "<<<<<<<")],
    },
    {
      name: "dispatch-rules-conflicting.yaml",
      content: "version: 1\nrules:\n  - name: a\n    individual:\n      roomPrefix: a-\n    trunkIds: [ST_1]\n  - name: b\n    individual:\n      roomPrefix: b-\n    trunkIds: [ST_1]\n",
      lines: (text) => [lineOf(text, "  - name: b")],
    },
  ];

  for (const input of BAD_INPUTS) {
    it(`annotates ${input.name} at the right line and exits 1, without a crash`, async () => {
      const path = join(t.dir, input.name);
      await writeFile(path, input.content);
      const r = await runCli(["validate", "--format", "github", input.name], { cwd: t.dir });
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expectNoCrash(r);
      const found = annotations(r.stdout);
      expect(found.length, r.stdout).toBeGreaterThan(0);
      for (const a of found) {
        expect(a.level).toBe("error");
        expect(a.props.file).toBe(input.name);
      }
      const text = typeof input.content === "string" ? input.content : "";
      const want = input.lines(text);
      if (want === "file") {
        // No line to point at: a file-level annotation (GitHub shows it at line 1).
        expect(found.map((a) => a.props.line ?? "1")).toEqual(["1"]);
      } else {
        expect(Number(found[0]?.props.line)).toBe(want[0]);
        const lineCount = Math.max(1, text.split("\n").length);
        for (const a of found) {
          expect(Number(a.props.line)).toBeGreaterThanOrEqual(1);
          expect(Number(a.props.line)).toBeLessThanOrEqual(lineCount);
        }
      }
      expect(r.stdout.trim().split("\n").at(-1)).toMatch(/^\d+ errors? in 1 file$/);
    });
  }

  it("names the other rule of a conflict with its line", async () => {
    const r = await runCli(["validate", "--format", "github", "dispatch-rules-conflicting.yaml"], { cwd: t.dir });
    const [a] = annotations(r.stdout);
    expect(a?.message).toMatch(/`b`.*`a` \(line 3\)/);
  });

  it("escapes a file name with a comma and a colon so the annotation still names it", async () => {
    const name = "dispatch-rules,eu:west.yaml";
    await t.write(name, "version: 1\nrules:\n  - name: a\n    individual:\n      roomPrefx: x\n");
    const r = await runCli(["validate", "--format", "github", name], { cwd: t.dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("file=dispatch-rules%2Ceu%3Awest.yaml,line=5,col=7");
    expect(annotations(r.stdout)[0]?.props).toMatchObject({ file: name, line: "5", col: "7" });
  });
});

describe("plan --format github (built CLI)", () => {
  it("annotates every planned change at the rule's line: notice for create/update, warning for delete", async () => {
    const r = await t.cli(["plan", "-c", "dispatch-rules.yaml", "--format", "github", "--detailed-exitcode"]);
    expect(r.code, r.stderr).toBe(2);
    const found = annotations(r.stdout);
    const byTitle = new Map(found.map((a) => [a.props.title, a]));
    expect([...byTitle.keys()].sort()).toEqual(['create "added"', 'delete "remove"', 'update "change"', 'update "pinned"']);
    for (const [title, name] of [['create "added"', "added"], ['update "change"', "change"], ['update "pinned"', "pinned"]] as const) {
      const a = byTitle.get(title);
      expect(a?.level).toBe("notice");
      expect(a?.props).toMatchObject({ file: "dispatch-rules.yaml", line: String(lineOf(EDITED, `  - name: ${name}`)), col: "5" });
    }
    // A deleted rule has no line in the file: it is annotated on the file's first line.
    expect(byTitle.get('delete "remove"')).toMatchObject({ level: "warning", props: { file: "dispatch-rules.yaml", line: "1" } });
    expect(byTitle.get('delete "remove"')?.message).toMatch(/^delete rule "remove" \(SDR_\w+\): not in the file$/);
    expect(byTitle.get('update "change"')?.message).toContain('individual.roomPrefix: "old-" -> "new-"');
    expect(byTitle.get('update "pinned"')?.message).toContain("direct.pin: (sensitive) -> (sensitive) (pin changed)");
    expect(byTitle.get('create "added"')?.message).toContain('trunkIds: ["ST_added"]');
    expect(found.some((a) => a.level === "error")).toBe(false);
    expect(r.stdout.trim().split("\n").at(-1)).toBe("Plan: 1 to create, 2 to update, 1 to delete, 1 unchanged, 0 unmanaged left alone.");
  });

  it("annotates a refusal as an error and exits 3", async () => {
    const r = await t.cli(["plan", "-c", "empty-rules.yaml", "--format", "github", "--detailed-exitcode"]);
    expect(r.code, r.stderr).toBe(3);
    const found = annotations(r.stdout);
    const errors = found.filter((a) => a.level === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]?.props).toMatchObject({ file: "empty-rules.yaml", line: "1", title: "plan refused (empty-rules)" });
    expect(errors[0]?.message).toMatch(/allowEmpty/);
    expect(errors[0]?.message).toMatch(/\nhint: /);
    expect(found.filter((a) => a.level === "warning").map((a) => a.props.title).sort()).toEqual(['delete "change"', 'delete "keep"', 'delete "pinned"', 'delete "remove"']);
  });

  it("prints no annotation when nothing changes, and exits 0", async () => {
    const r = await t.cli(["plan", "-c", base, "--format", "github", "--detailed-exitcode"]);
    expect(r.code, r.stderr).toBe(0);
    expect(annotations(r.stdout)).toEqual([]);
    expect(r.stdout).toBe("Plan: 0 to create, 0 to update, 0 to delete, 4 unchanged, 0 unmanaged left alone.\n");
  });

  // The issue asks for annotations at file:line for every error from `plan --format github` too;
  // the rules file's problems are the errors a PR most often has.
  it("annotates every problem of an invalid rules file as ::error at its line, and exits 1", async () => {
    const bad = "version: 1\nrules:\n  - name: a\n    individual:\n      roomPrefx: call-\n";
    await t.write("plan-bad.yaml", bad);
    await t.write("plan-empty.yaml", "");
    for (const [file, line] of [["plan-bad.yaml", "5"], ["plan-empty.yaml", undefined]] as const) {
      const r = await t.cli(["plan", "-c", file, "--format", "github"]);
      expect(r.code).toBe(1);
      expectNoCrash(r);
      const errors = annotations(r.stdout).filter((a) => a.level === "error");
      expect(errors.map((a) => [a.props.file, a.props.line]), `plan --format github on ${file}:\n${r.stdout}${r.stderr}`).toEqual([[file, line]]);
    }
  });
});

describe("plan --format markdown and $GITHUB_STEP_SUMMARY (built CLI)", () => {
  it("renders a summary table and one collapsible section per created or updated rule, pins masked", async () => {
    const r = await t.cli(["plan", "-c", "dispatch-rules.yaml", "--format", "markdown"]);
    expect(r.code, r.stderr).toBe(0);
    const md = r.stdout;
    expect(md).toContain("| Create | Update | Delete | Unchanged | Unmanaged |\n| ---: | ---: | ---: | ---: | ---: |\n| 1 | 2 | 1 | 1 | 0 |");
    const summaries = [...md.matchAll(/<details><summary>(.*)<\/summary>/g)].map((m) => m[1]);
    expect(summaries).toHaveLength(3);
    expect(summaries.join("\n")).toMatch(/\+ create<\/b> <code>added<\/code>/);
    expect(summaries.join("\n")).toMatch(/~ update<\/b> <code>change<\/code>/);
    expect(summaries.join("\n")).toMatch(/~ update<\/b> <code>pinned<\/code>/);
    expect(md.match(/<\/details>/g)).toHaveLength(3);
    expect(md).toMatch(/- <b>- delete<\/b> <code>remove<\/code> \(<code>SDR\S+<\/code>\): not in the file/);
    expect(md).toContain("| <code>direct.pin</code> | <code>(sensitive)</code> | <code>(sensitive)</code> (pin changed) |");
    expect(md).not.toContain("No changes");
    for (const pin of Object.values(PINS)) expect(md).not.toContain(pin);
  });

  it('has a clear "no changes" form without a table', async () => {
    const r = await t.cli(["plan", "-c", base, "--format", "markdown", "--detailed-exitcode"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("**No changes.** The server matches the file (4 unchanged, 0 unmanaged left alone).");
    expect(r.stdout).not.toContain("<details>");
    expect(r.stdout).not.toContain("| Create |");
  });

  it("says a refused plan is refused, with the hint", async () => {
    const r = await t.cli(["plan", "-c", "empty-rules.yaml", "--format", "markdown"]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/\*\*Plan refused\*\* \(<code>empty-rules<\/code>\)/);
    expect(r.stdout).toContain("allowEmpty");
  });

  it("appends the Markdown plan to $GITHUB_STEP_SUMMARY whatever --format is, keeping what was there, also when refused", async () => {
    const markdown = (await t.cli(["plan", "-c", "dispatch-rules.yaml", "--format", "markdown"])).stdout;
    await Promise.all(
      (["text", "github", "json", "markdown"] as const).map(async (format) => {
        const summary = join(t.dir, `summary-${format}.md`);
        await writeFile(summary, "## Earlier step\n\n");
        const r = await t.cli(["plan", "-c", "dispatch-rules.yaml", "--format", format, "--detailed-exitcode"], { env: { GITHUB_STEP_SUMMARY: summary } });
        expect(r.code, r.stderr).toBe(2);
        expect(await readFile(summary, "utf8")).toBe(`## Earlier step\n\n${markdown}\n`);
      }),
    );
    const refusedSummary = join(t.dir, "summary-refused.md");
    const refused = await t.cli(["plan", "-c", "empty-rules.yaml", "--format", "github"], { env: { GITHUB_STEP_SUMMARY: refusedSummary } });
    expect(refused.code).toBe(3);
    expect(await readFile(refusedSummary, "utf8")).toMatch(/Plan refused/);
  });
});

/** The CLI's `emulator` as a child process, seeded from and persisted to `state`. */
function startEmulator(state: string): Promise<RunningEmulator> {
  return startCliEmulator(["--listen", "127.0.0.1:0", "--state", state, "--api-key", API_KEY], { LIVEKIT_API_SECRET: API_SECRET });
}

describe("plan --against a saved server state (built CLI)", () => {
  // The only difference allowed: the Markdown names the server ("file:STATE.json" for a saved state).
  const withoutServer = (out: string): string =>
    out.replace(/ against <code>[^<]*<\/code>/g, " against (server)").replace(/^(Planning .*) against \S+$/m, "$1 against (server)");

  it("gives the live plan's outputs and exit codes against `export --format json`, with no credentials", async () => {
    const exported = await t.cli(["export", "--format", "json", "--include-pins"], { showsPins: true });
    expect(exported.code, exported.stderr).toBe(0);
    const state = await t.write("state.json", exported.stdout);
    t.em.control.clearRequests();
    const cases: readonly { file: string; format: string; code: number }[] = [
      { file: "dispatch-rules.yaml", format: "github", code: 2 },
      { file: "dispatch-rules.yaml", format: "markdown", code: 2 },
      { file: "dispatch-rules.yaml", format: "text", code: 2 },
      { file: "empty-rules.yaml", format: "github", code: 3 },
      { file: "empty-rules.yaml", format: "markdown", code: 3 },
      { file: base, format: "github", code: 0 },
    ];
    for (const c of cases) {
      const args = ["plan", "-c", c.file, "--format", c.format, "--detailed-exitcode"];
      const [live, saved] = await Promise.all([
        t.cli(args),
        // No LIVEKIT_* at all: the saved state is the whole server.
        runCli([...args, "--against", state], { cwd: t.dir, env: PIN_ENV }),
      ]);
      expect([live.code, saved.code], `${c.file} ${c.format}: ${saved.stderr}`).toEqual([c.code, c.code]);
      expect(withoutServer(saved.stdout)).toBe(withoutServer(live.stdout));
      expect(saved.stdout + saved.stderr).not.toContain(PINS.direct);
    }
    expect(t.writes(), "plan --against sends nothing to any server").toEqual([]);
  });

  it("reads the emulator's --state file the same way as an export", async () => {
    const state = join(t.dir, "emulator-state.json");
    await writeFile(state, JSON.stringify({ formatVersion: 1, items: [] }));
    const em = await startEmulator(state);
    const env = { LIVEKIT_URL: em.url, LIVEKIT_API_KEY: API_KEY, LIVEKIT_API_SECRET: API_SECRET, ...PIN_ENV };
    const applied = await runCli(["apply", "-c", base, "--auto-approve"], { cwd: t.dir, env });
    expect(applied.code, applied.stderr).toBe(0);
    const exported = await runCli(["export", "--format", "json", "--include-pins"], { cwd: t.dir, env });
    expect(await em.stop()).toBe(0);
    const fromExport = await t.write("from-export.json", exported.stdout);

    for (const format of ["github", "markdown"]) {
      const args = ["plan", "-c", "dispatch-rules.yaml", "--format", format, "--detailed-exitcode"];
      const [a, b] = await Promise.all([
        runCli([...args, "--against", state], { cwd: t.dir, env: PIN_ENV }),
        runCli([...args, "--against", fromExport], { cwd: t.dir, env: PIN_ENV }),
      ]);
      expect([a.code, b.code], a.stderr + b.stderr).toEqual([2, 2]);
      expect(withoutServer(a.stdout)).toBe(withoutServer(b.stdout));
      if (format === "github") expect(annotations(a.stdout)).toHaveLength(4);
      else expect(a.stdout).toContain("| 1 | 2 | 1 | 1 | 0 |");
    }
  });

  it("fails with one message and exit 1 on a missing or malformed state file", async () => {
    const notJson = await t.write("not-state.json", "rules: [\n");
    for (const against of [join(t.dir, "missing-state.json"), notJson]) {
      const r = await runCli(["plan", "-c", "dispatch-rules.yaml", "--against", against, "--format", "github"], { cwd: t.dir, env: PIN_ENV });
      expect(r.code).toBe(1);
      expectNoCrash(r);
      expect(r.stderr).toMatch(/^error: [^]*\n {2}hint: .*export --format json/);
    }
  });
});

// End-to-end (I/O: reads the Dockerfile, runs the built CLI, binds 0.0.0.0:9464). The container's
// contract without a container runtime: the Dockerfile's static promises (multi-stage, production
// dependencies only, non-root, EXPOSE, HEALTHCHECK on /healthz), and its ENTRYPOINT + CMD run
// verbatim (only the config path is mapped to a temp file) against the emulator, probed by the
// HEALTHCHECK's own command and stopped by SIGTERM as the container runtime would.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { startEmulator } from "../support/emulator.js";
import { cleanEnv } from "../support/run-cli.js";
import { eventOf, killAll, spawnCli } from "../support/spawn-cli.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const CONFIG_IN_IMAGE = "/config/dispatch-rules.yaml";

interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}

interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}

/** Instructions in order: comments dropped, `\` continuations joined, keywords upper-cased. */
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = "";
  let startLine = 0;
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/\r$/, "");
    if (/^\s*#/.test(line)) return; // comments (also between continuation lines)
    if (pending === "" && line.trim() === "") return;
    if (pending === "") startLine = i + 1;
    if (/\\\s*$/.test(line)) {
      pending += `${line.replace(/\\\s*$/, "")} `;
      return;
    }
    const full = `${pending}${line}`.trim();
    pending = "";
    const m = /^(\S+)\s*(.*)$/s.exec(full);
    if (m) out.push({ keyword: (m[1] as string).toUpperCase(), args: (m[2] as string).trim(), line: startLine });
  });
  return out;
}

function stagesOf(instructions: readonly Instruction[]): Stage[] {
  const stages: { from: string; name: string | undefined; instructions: Instruction[] }[] = [];
  for (const ins of instructions) {
    if (ins.keyword === "FROM") {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(ins.args.replace(/^--\S+\s+/g, ""));
      stages.push({ from: m?.[1] ?? ins.args, name: m?.[2], instructions: [] });
    } else {
      stages[stages.length - 1]?.instructions.push(ins);
    }
  }
  return stages;
}

/** The JSON exec form `["a", "b"]` (shell form is rejected: PID 1 would be a shell that eats SIGTERM). */
function execForm(ins: Instruction | undefined, what: string): string[] {
  expect(ins, `${what} is missing`).toBeDefined();
  const args = (ins as Instruction).args;
  expect(args.startsWith("["), `${what} must use the JSON exec form, got: ${args}`).toBe(true);
  const parsed = JSON.parse(args) as unknown;
  expect(Array.isArray(parsed) && parsed.every((a) => typeof a === "string")).toBe(true);
  return parsed as string[];
}

function last(stage: Stage, keyword: string): Instruction | undefined {
  return [...stage.instructions].reverse().find((i) => i.keyword === keyword);
}

const dockerfile = parseDockerfile(readFileSync(join(root, "Dockerfile"), "utf8"));
const stages = stagesOf(dockerfile);
const runtime = stages[stages.length - 1] as Stage;

/** `HEALTHCHECK [--opt=v ...] CMD [...]` → its exec-form command. */
function healthcheckCommand(): string[] {
  const hc = last(runtime, "HEALTHCHECK");
  expect(hc, "HEALTHCHECK is missing from the final stage").toBeDefined();
  const m = /^((?:--\S+\s+)*)CMD\s+(.*)$/s.exec((hc as Instruction).args);
  expect(m, `HEALTHCHECK has no CMD: ${(hc as Instruction).args}`).not.toBeNull();
  return execForm({ ...(hc as Instruction), args: (m as RegExpExecArray)[2] as string }, "HEALTHCHECK CMD");
}

/** The final stage's ENV, as the container's process would see it. */
function runtimeEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const ins of runtime.instructions.filter((i) => i.keyword === "ENV")) {
    for (const m of ins.args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) env[m[1] as string] = (m[2] as string).replace(/^"|"$/g, "");
  }
  return env;
}

function exposedPorts(): number[] {
  return runtime.instructions.filter((i) => i.keyword === "EXPOSE").flatMap((i) => i.args.split(/\s+/).map((p) => Number(p.split("/")[0])));
}

/** Fails (with what to do) when something already holds the port the image's default --listen uses. */
async function assertPortFree(port: number): Promise<void> {
  const error = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
    const server = createServer();
    server.once("error", (err: NodeJS.ErrnoException) => resolve(err));
    server.listen(port, "0.0.0.0", () => server.close(() => resolve(null)));
  });
  if (error !== null) {
    throw new Error(
      `port ${port} is busy (${error.code ?? error.message}): this test runs the image's CMD verbatim, which listens on ` +
        `its default 0.0.0.0:${port}; stop whatever holds the port and run it again`,
    );
  }
}

function runNode(args: readonly string[], env: Record<string, string> = {}): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: cleanEnv(env), stdio: "ignore" });
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

let dir: string | undefined;
afterEach(async () => {
  await killAll();
});
afterAll(async () => {
  await killAll();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe("Dockerfile", () => {
  it("is multi-stage, installs production dependencies only, runs as non-root, exposes 9464 and checks /healthz", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = stages.find((s) => s !== runtime && s.name !== undefined);
    expect(build, "a named build stage").toBeDefined();
    const buildRuns = (build as Stage).instructions.filter((i) => i.keyword === "RUN").map((i) => i.args);
    expect(buildRuns.some((r) => /\bnpm run build\b|\btsc\b/.test(r))).toBe(true);

    const runs = runtime.instructions.filter((i) => i.keyword === "RUN").map((i) => i.args);
    const install = runs.find((r) => /\bnpm (ci|install)\b/.test(r));
    expect(install, "the final stage installs dependencies").toBeDefined();
    expect(install).toMatch(/--omit[= ]dev\b|--only[= ]prod(uction)?\b|--production\b/);
    const copies = runtime.instructions.filter((i) => i.keyword === "COPY").map((i) => i.args);
    expect(copies.some((c) => new RegExp(`--from=${(build as Stage).name ?? ""}\\s+\\S*dist\\b`).test(c))).toBe(true);

    const user = last(runtime, "USER");
    expect(user, "USER in the final stage").toBeDefined();
    const who = ((user as Instruction).args.split(":")[0] ?? "").trim();
    expect(who).not.toBe("");
    expect(who).not.toBe("root");
    expect(who).not.toBe("0");

    expect(exposedPorts()).toContain(9464);
    const hc = healthcheckCommand().join(" ");
    expect(hc).toContain("/healthz");
    expect(hc).toContain(":9464/");
  });

  it("its ENTRYPOINT + CMD, run verbatim, converge against the emulator, pass its HEALTHCHECK and stop on SIGTERM", async () => {
    const entrypoint = execForm(last(runtime, "ENTRYPOINT"), "ENTRYPOINT");
    const cmd = execForm(last(runtime, "CMD"), "CMD");
    expect(cmd).toEqual(["watch", "-c", CONFIG_IN_IMAGE]);
    // The image's entry is this checkout's built CLI at the same place below WORKDIR.
    const workdir = last(runtime, "WORKDIR")?.args ?? "/";
    expect(entrypoint[0]).toBe("node");
    expect(entrypoint).toHaveLength(2);
    const entryInImage = entrypoint[1] as string;
    expect(entryInImage.startsWith(`${workdir}/`)).toBe(true);
    const entryRelative = posix.relative(workdir, entryInImage);
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { bin: Record<string, string> };
    expect(entryRelative).toBe(pkg.bin["sip-dispatch-sync"]);

    const em = await startEmulator({ apiKey: "docker-key", apiSecret: "docker-secret-0123456789abcdefghij" });
    dir = await mkdtemp(join(tmpdir(), "sds-docker-"));
    const config = join(dir, "dispatch-rules.yaml");
    await writeFile(config, 'version: 1\nrules:\n  - name: main\n    direct: { roomName: main-room, pin: "2468" }\n');
    const args = cmd.map((a) => (a === CONFIG_IN_IMAGE ? config : a));

    const port = exposedPorts()[0] as number;
    await assertPortFree(port);
    const cli = spawnCli(args, {
      cwd: root,
      argv: [join(root, entryRelative)],
      env: { ...runtimeEnv(), LIVEKIT_URL: em.url, LIVEKIT_API_KEY: em.apiKey, LIVEKIT_API_SECRET: em.apiSecret },
    });
    const start = await cli.waitFor((r) => eventOf(r) === "start", { what: "the start event" });
    // No --listen in CMD: the default must be the EXPOSEd port on every interface.
    expect(start.listen).toBe(`http://0.0.0.0:${port}`);
    const done = await cli.waitFor((r) => eventOf(r) === "reconcile", { what: "the first reconcile" });
    expect(done.result).toBe("success");
    expect((em.control.rules() as { name: string }[]).map((r) => r.name)).toEqual(["main"]);

    // The HEALTHCHECK exactly as Docker runs it (exec form), inside the "container" environment.
    const probe = healthcheckCommand();
    expect(probe[0]).toBe("node");
    expect(await runNode(probe.slice(1), runtimeEnv())).toBe(0);
    // It can fail: a wrong URL (via its documented HEALTHCHECK_URL) is unhealthy.
    expect(await runNode(probe.slice(1), { ...runtimeEnv(), HEALTHCHECK_URL: `http://127.0.0.1:${port}/nope` })).toBe(1);

    cli.signal("SIGTERM");
    const exit = await cli.waitForExit(5_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(cli.records().some((r) => eventOf(r) === "stopped")).toBe(true);
    expect(cli.stderr()).toBe("");
    // Once the process is gone the probe reports unhealthy.
    expect(await runNode(probe.slice(1), runtimeEnv())).toBe(1);
  });
});

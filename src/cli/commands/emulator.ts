// Process wiring for `emulator`: a local in-memory LiveKit SIP dispatch-rule API (SPEC §7) on
// --listen, optionally persisted to --state after every change. Runs until SIGTERM/SIGINT.
import { listenEmulator, readStateFile, readStateFileTrunks, writeStateFileAtomic, DEFAULT_API_KEY, DEFAULT_API_SECRET } from "../../emulator/index.js";
import { AppError, EXIT, UsageError, type ExitCode } from "../../model/index.js";
import { createLogger, parseLogLevel } from "../../log.js";
import { pino } from "pino";
import { COMMON_FLAGS, parseFlags, stringFlag } from "../flags.js";
import type { CliIo } from "../io.js";

export const help = `Usage: sip-dispatch-sync emulator [flags]

Run a local, in-memory LiveKit SIP API (the four dispatch-rule methods under
/twirp/livekit.SIP/) for tests and demos. It answers like the open-source LiveKit server:
snake_case JSON with defaults, HS256 tokens with the sip.admin grant, the server's validation
and conflict messages, SDR_ IDs, List sorted by ID.

Flags:
      --listen HOST:PORT    address to listen on (default 127.0.0.1:7880; port 0 = any free port)
      --api-key KEY         API key tokens must be issued by (default $LIVEKIT_API_KEY, else devkey)
      --api-secret SECRET   secret tokens are signed with (default $LIVEKIT_API_SECRET, else secret)
      --state FILE          load rules (and inbound trunks) from FILE at start when it exists;
                            rewrite it after every change ({"formatVersion": 1, "items": [...],
                            "trunks": [...]}; items as export --format json)
      --trunk NAME[=NUMBER,...]  an inbound trunk to have (repeatable): created at start unless
                            one of that name exists; for demos of \`trunks: [NAME]\` in rules
      --newer-server        act as a server newer than this tool: fields and enum values this
                            version does not know are stored and listed, not dropped (for
                            trying forward compatibility; the default is a faithful server)
      --log-level LEVEL     (default $LOG_LEVEL, else info); logs go to stderr

Prints "emulator listening on http://HOST:PORT" on stdout once ready. Stops on SIGTERM or SIGINT
and exits 0.

Example:
  sip-dispatch-sync emulator --state ./emulator-state.json &
  LIVEKIT_URL=http://127.0.0.1:7880 LIVEKIT_API_KEY=devkey LIVEKIT_API_SECRET=secret \\
    sip-dispatch-sync plan
`;

const FLAGS = {
  ...COMMON_FLAGS,
  listen: { type: "string" },
  "api-key": { type: "string" },
  "api-secret": { type: "string" },
  state: { type: "string" },
  trunk: { type: "string", multiple: true },
  "newer-server": { type: "boolean" },
} as const;

/** "127.0.0.1:7880", "[::1]:0", "localhost:7880". */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new UsageError(`--listen: "${text}" is not HOST:PORT`, "use e.g. --listen 127.0.0.1:7880 (port 0 picks a free port)");
  }
  return { host: m[1] ?? (m[2] || "127.0.0.1"), port };
}

/** `--trunk main-carrier` or `--trunk main-carrier=+15550001111,+15550002222`. */
export function parseTrunkFlags(value: unknown): { name: string; numbers: string[] }[] {
  const list = Array.isArray(value) ? (value as string[]) : typeof value === "string" ? [value] : [];
  return list.map((text) => {
    const eq = text.indexOf("=");
    const name = (eq === -1 ? text : text.slice(0, eq)).trim();
    if (name === "") throw new UsageError(`--trunk: "${text}" has no name`, "use --trunk NAME or --trunk NAME=+15550001111,+15550002222");
    const numbers = eq === -1 ? [] : text.slice(eq + 1).split(",").map((n) => n.trim()).filter((n) => n !== "");
    return { name, numbers };
  });
}

export async function run(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const { values, positionals } = parseFlags("emulator", args, FLAGS);
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, "emulator takes flags only; see --help");
  const { host, port } = parseListen(stringFlag(values, "listen") ?? "127.0.0.1:7880");
  const apiKey = stringFlag(values, "api-key") ?? (io.env.LIVEKIT_API_KEY || DEFAULT_API_KEY);
  const apiSecret = stringFlag(values, "api-secret") ?? (io.env.LIVEKIT_API_SECRET || DEFAULT_API_SECRET);
  const statePath = stringFlag(values, "state");
  const log = createLogger({
    level: parseLogLevel(stringFlag(values, "log-level") ?? io.env.LOG_LEVEL),
    destination: pino.destination({ fd: 2, sync: true }),
    base: { name: "sip-dispatch-sync-emulator" },
  });

  const initialRules = statePath === undefined ? undefined : readStateFile(statePath);
  const stateTrunks = statePath === undefined ? [] : readStateFileTrunks(statePath);
  const wanted = parseTrunkFlags(values.trunk);
  const names = new Set(stateTrunks.map((t) => (t as { name?: unknown }).name));
  const initialTrunks = [...stateTrunks, ...wanted.filter((t) => !names.has(t.name))];
  const emulator = await listenEmulator({
    host,
    port,
    apiKey,
    apiSecret,
    ...(values["newer-server"] === true ? { features: { newerServer: true } } : {}),
    ...(initialRules === undefined ? {} : { initialRules }),
    initialTrunks,
    ...(statePath === undefined
      ? {}
      : {
          onChange: (control) => {
            try {
              writeStateFileAtomic(statePath, control.rules(), control.trunks());
            } catch (err) {
              log.error({ file: statePath, err: err instanceof Error ? err.message : String(err) }, "state file not written");
            }
          },
        }),
    // Method, path and status only: headers carry the token and bodies carry pins.
    onRequest: (r) => log.debug({ method: r.method, path: r.path, status: r.status }, "request"),
  }).catch((err: unknown) => {
    if (err instanceof AppError && err.code === "emulator-seed" && statePath !== undefined) {
      throw new AppError("bad-state-file", `state file ${statePath}: ${err.message}`, { hint: "fix or delete the file, or pass another --state path" });
    }
    if (err instanceof AppError) throw err;
    const code = (err as { code?: string }).code;
    throw new UsageError(`cannot listen on ${host}:${port}: ${code ?? (err instanceof Error ? err.message : String(err))}`, "pick another --listen address or stop what uses it");
  });
  io.stdout.write(`emulator listening on ${emulator.url}\n`);
  log.info({ url: emulator.url, apiKey, state: statePath ?? null, rules: emulator.control.rules().length, trunks: emulator.control.trunks().length }, "emulator started");

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGTERM", stop);
      process.off("SIGINT", stop);
      resolve();
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
  await emulator.close();
  log.info({}, "emulator stopped");
  return EXIT.ok;
}

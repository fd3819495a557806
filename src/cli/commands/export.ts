// Process wiring for `export`: read the server, print its named rules as a dispatch-rules.yaml
// (or, with --format json, a server-state file for `plan --against`). Writes nothing remote.
import { exportRules, matchesManage, normalizeRule, secretsOf, type Placeholder } from "../../core/index.js";
import { DEFAULT_RETRY, encodeServerState } from "../../livekit/index.js";
import { readFile } from "node:fs/promises";
import { decodeTrunkItems } from "../../livekit/inbound-trunks.js";
import type { HttpSipClient, RetryWaitEvent } from "../../livekit/index.js";
import { AppError, EXIT, UsageError, jsonLine, mapStrings, ruleKindOf, type DataPath, type ExitCode, type InboundTrunk, type RuleSpec } from "../../model/index.js";
import { writeYamlDocument } from "../../render/yaml-writer.js";
import { MAX_FILE_SIZE_ENV, MAX_FILE_SIZE_FLAG, formatBytes, suggestedLimit } from "../../rules-file/file-limit.js";
import { ALL_ENVIRONMENTS } from "../../rules-file/index.js";
import { retryLine } from "../apply-reporter.js";
import { selectedEnvironment } from "../environment-options.js";
import { flagsFor, choiceFlag, configPath, listFlag, parseFlags, stringFlag, type ParsedFlags } from "../flags.js";
import { FILE_LIMIT_HELP, maxFileBytes } from "../file-limit.js";
import type { CliIo } from "../io.js";
import { environmentContext, loadDesired, makeClient, readServerState } from "../load.js";

export const help = `Usage: sip-dispatch-sync export [flags]

Print the server's named dispatch rules as a dispatch-rules.yaml: a starting point for managing
an existing project as code. "plan" on the result against the same server shows no changes.

Flags:
      --names GLOB       only rules whose name matches (* and ?), e.g. --names 'support-*';
                         repeatable: a rule matching any of them
      --format FORMAT    yaml (default) | json (a server-state file for "plan --against": every
                         rule, named or not, exactly as the server holds it)
      --include-pins     write pins and egress credentials as they are; by default each pin
                         becomes \${PIN_<NAME>} (rule name upper-cased, other characters as _; _2,
                         _3, ... when two names spell the same) and each egress credential
                         \${EGRESS_<NAME>_<FIELD>}, to be set in the environment.
                         --format json cannot hold placeholders: it refuses rules with a pin
                         or an egress credential unless --include-pins is given
      --from STATE.json  read a saved server state instead of a live server
      --trunk-names      write \`trunks: [NAME]\` for trunk IDs that are exactly one uniquely named
                         inbound trunk (ListSIPInboundTrunk, IDs and names only), trunkIds for
                         the rest (unnamed, ambiguous, outbound or unknown IDs)
      --env NAME         read the server of this environment of the rules file (-c FILE;
                         default $DISPATCH_ENV) instead of --url / LIVEKIT_URL
      --url, --api-key, --api-secret, --timeout, --log-level   as for plan
      --max-answer-bytes SIZE, --max-list-pages N              as for plan (list bounds)
${FILE_LIMIT_HELP}
                            a YAML export over it is refused: validate, plan and watch would
                            reject the file (raise it for them too, or export part with --names)
`;


export async function run(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const { values } = parseFlags("export", args, flagsFor("export"));
  const format = choiceFlag(values, "format", ["yaml", "json"] as const, "yaml");
  const limit = maxFileBytes(values, io.env);
  // Repeatable: a rule is exported when it matches any of them.
  const globs = listFlag(values, "names");
  const names = globs.length === 1 ? globs[0] : undefined;
  const from = stringFlag(values, "from");
  const trunkNames = values["trunk-names"] === true;
  if (trunkNames && format === "json") throw new UsageError("--trunk-names writes YAML: a server-state file holds trunk IDs as the server does", "drop --format json, or drop --trunk-names");
  let remote;
  let server: string;
  let trunks: readonly InboundTrunk[] = [];
  if (from !== undefined) {
    remote = await readServerState(from);
    server = `file:${from}`;
    if (trunkNames) trunks = await stateTrunks(from);
  } else {
    const client = await exportClient(values, io);
    // SPEC §8: one ListSIPInboundTrunk beside the rule list; IDs and names only.
    const [rules, listed] = await Promise.all([client.listRules(), trunkNames ? client.listInboundTrunks() : Promise.resolve([])]);
    remote = rules;
    trunks = listed;
    server = client.server;
  }
  if (globs.length > 1) remote = remote.filter((r) => matchesManage(r.spec.name, globs));

  const includePins = values["include-pins"] === true;
  if (format === "json") {
    const selected = names === undefined ? remote : remote.filter((r) => matchesManage(r.spec.name, [names]));
    // A state file holds rules exactly as the server does, so it cannot hold placeholders: like
    // the YAML form, it writes pins only when asked to (SPEC §5: secrets never leak by default).
    const pinned = selected.filter((r) => secretsOf(normalizeRule(r.spec)).length > 0);
    if (pinned.length > 0 && !includePins) {
      throw new UsageError(
        `${pinned.length} rule(s) have a pin or an egress credential (${pinned.slice(0, 3).map((r) => jsonLine(r.spec.name || r.id)).join(", ")}${pinned.length > 3 ? ", ..." : ""}); a server-state file would hold them in clear`,
        "pass --include-pins to write them (keep the file as secret as the pins), or --names to leave those rules out; the YAML form writes ${...} placeholders instead",
      );
    }
    io.stdout.write(encodeServerState(selected));
    return EXIT.ok;
  }
  // A rule type this version does not know cannot be written as a file rule: left out, said on
  // stderr; prune never deletes it (SPEC §4, §5: fail closed), so the export stays safe to apply. Other values it cannot read are left out of their rule (the plan keeps such a rule
  // unchanged and refuses to change it, SPEC §4).
  const selected = (name: string) => name !== "" && (names === undefined || matchesManage(name, [names]));
  const unknownType = remote.filter((r) => selected(r.spec.name) && ruleKindOf(r.spec) === undefined);
  for (const r of unknownType) {
    io.stderr.write(`warning: rule ${JSON.stringify(r.spec.name)} (${r.id}) is not exported: ${(r.opaque ?? []).join(", ")}; upgrade sip-dispatch-sync to export it (plan and apply keep it: prune never deletes a rule this version cannot read)\n`);
  }
  for (const r of remote) {
    if (r.opaque === undefined || !selected(r.spec.name) || ruleKindOf(r.spec) === undefined) continue;
    io.stderr.write(`note: rule ${JSON.stringify(r.spec.name)} (${r.id}) holds values this version cannot read (${r.opaque.join(", ")}); they are not in the export, and plan keeps the rule unchanged until the file changes it\n`);
  }
  const exported = unknownType.length === 0 ? remote : remote.filter((r) => !unknownType.includes(r));
  // Fields this version does not know (inside roomConfig.egress too) are not in the file: the file
  // holds only what the schema accepts. Named by path, never by value (an unknown egress field may
  // be a credential, #13); plan and apply carry them unchanged (issue #12).
  for (const r of exported) {
    if (!selected(r.spec.name) || r.kept === undefined) continue;
    io.stderr.write(`warning: rule ${JSON.stringify(r.spec.name)} (${r.id}): ${r.kept.join(", ")} kept on the server, not in the export (this version does not know ${r.kept.length === 1 ? "that field" : "those fields"}; plan and apply carry ${r.kept.length === 1 ? "it" : "them"} unchanged)\n`);
  }
  const { specs, placeholders } = exportRules(exported, { ...(names === undefined ? {} : { names }), includePins });
  const yaml = renderExportYaml(specs, server, placeholders, trunkNames ? uniqueTrunkNames(trunks) : undefined);
  // Never a file that validate, plan and watch (with the same cap) would refuse to read.
  const size = Buffer.byteLength(yaml, "utf8");
  if (size > limit) {
    throw new AppError("export-too-large", `the export is ${size} bytes (${formatBytes(size)}), over the rules-file limit of ${limit} bytes (${formatBytes(limit)}) that validate, plan and watch apply`, {
      hint: `raise the limit for every command with ${MAX_FILE_SIZE_ENV}=${suggestedLimit(size)} (or ${MAX_FILE_SIZE_FLAG} ${suggestedLimit(size)} on each), or export part of the rules with --names GLOB`,
    });
  }
  io.stdout.write(yaml);
  if (placeholders.length > 0) {
    const vars = placeholders.map((p) => p.variable);
    io.stderr.write(`note: pins and egress credentials were written as placeholders; set ${vars.join(", ")} before plan/apply (or use --include-pins)\n`);
  }
  return EXIT.ok;
}

/** The server: the environment's (SPEC §8: --env / $DISPATCH_ENV, read from the rules file), else --url / LIVEKIT_URL. */
async function exportClient(values: ParsedFlags["values"], io: CliIo): Promise<HttpSipClient> {
  const hooks = { onRetryWait: (e: RetryWaitEvent) => io.stderr.write(`${retryLine(e, DEFAULT_RETRY.maxAttempts)}\n`) };
  const asked = selectedEnvironment(values, io);
  if (asked === undefined) return makeClient(values, io, hooks);
  if (asked === ALL_ENVIRONMENTS) throw new UsageError("export reads one server: --env all is not one", "pass --env NAME");
  const config = configPath(values, io);
  const desired = await loadDesired(config, io, values, asked);
  return makeClient(values, io, hooks, environmentContext(desired, config));
}

/** ID -> name for the inbound trunks whose name is non-empty and held by no other inbound trunk. */
export function uniqueTrunkNames(trunks: readonly InboundTrunk[]): ReadonlyMap<string, string> {
  const count = new Map<string, number>();
  for (const t of trunks) if (t.name !== "") count.set(t.name, (count.get(t.name) ?? 0) + 1);
  return new Map(trunks.filter((t) => count.get(t.name) === 1).map((t) => [t.id, t.name]));
}

/** `trunks:` names right after `trunkIds` (which keeps only the IDs without a unique name). */
function withTrunkNames(spec: RuleSpec, names: ReadonlyMap<string, string>): RuleSpec {
  const ids = spec.trunkIds ?? [];
  const named = ids.filter((id) => names.has(id));
  if (named.length === 0) return spec;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec)) {
    if (k !== "trunkIds") {
      out[k] = v;
      continue;
    }
    const rest = ids.filter((id) => !names.has(id));
    if (rest.length > 0) out.trunkIds = rest;
    out.trunks = named.map((id) => names.get(id) as string);
  }
  return out as unknown as RuleSpec;
}

/** The inbound trunks of a saved state (the emulator's `trunks`), IDs and names only. */
async function stateTrunks(path: string): Promise<readonly InboundTrunk[]> {
  const json = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown> | null;
  if (json?.trunks === undefined) throw new UsageError(`--trunk-names: ${path} holds no inbound trunks ("trunks")`, "export from the live server, or drop --trunk-names");
  return decodeTrunkItems({ items: json.trunks });
}

/**
 * `${` in exported values would be interpolated on load: write it as `$${` (SPEC §2), except our
 * placeholders. Only what holds a `${` is copied (mapStrings): at 100,000 rules a copy of every
 * value with its path cost more than writing the YAML.
 */
function escapeInterpolation(value: unknown, isPlaceholder: (path: DataPath) => boolean): unknown {
  return mapStrings(
    value,
    (s) => s.includes("${"),
    (s, path) => (isPlaceholder(path) ? s : s.replaceAll("${", () => "$${")),
  );
}

/**
 * The exported file's schema link: the copy inside the installed package, relative to a file at
 * the root of a project that installed sip-dispatch-sync (npm install --save-dev). Always there,
 * always the version that wrote the file; a package CDN URL was not (the package is not in the
 * registry). Editors resolve the path from the YAML file's folder.
 */
export const SCHEMA_LINK = "./node_modules/sip-dispatch-sync/schemas/dispatch-rules.schema.json";

export function renderExportYaml(specs: readonly RuleSpec[], server: string, placeholders: readonly Placeholder[] = [], trunkNames?: ReadonlyMap<string, string>): string {
  const at = new Set(placeholders.map((p) => `${p.rule}\u0000${p.path.join("\u0000")}`));
  // Trunk names only rename trunkIds, never a placeholder's path (pins and egress credentials).
  const rules = specs.map((spec, i) => escapeInterpolation(trunkNames === undefined ? spec : withTrunkNames(spec, trunkNames), (path) => at.has(`${i}\u0000${path.join("\u0000")}`)));
  const header = [
    `# yaml-language-server: $schema=${SCHEMA_LINK}`,
    `# Exported from ${server} by sip-dispatch-sync export.`,
    "",
  ].join("\n");
  // The shape-aware writer (render/yaml-writer.ts): a general YAML emitter spent half of a large
  // export; this one quotes every string that would read back as something else.
  return `${header}${writeYamlDocument({ version: 1, rules })}`;
}

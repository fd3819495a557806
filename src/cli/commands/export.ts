// Process wiring for `export`: read the server, print its named rules as a dispatch-rules.yaml
// (or, with --format json, a server-state file for `plan --against`). Writes nothing remote.
import { exportRules, matchesManage, normalizeRule, secretsOf, type Placeholder } from "../../core/index.js";
import { DEFAULT_RETRY, encodeServerState } from "../../livekit/index.js";
import { AppError, EXIT, UsageError, jsonLine, type ExitCode, type RuleSpec } from "../../model/index.js";
import { writeYamlDocument } from "../../render/yaml-writer.js";
import { MAX_FILE_SIZE_ENV, MAX_FILE_SIZE_FLAG, formatBytes, suggestedLimit } from "../../rules-file/file-limit.js";
import { flagsFor, choiceFlag, listFlag, parseFlags, stringFlag } from "../flags.js";
import { FILE_LIMIT_HELP, maxFileBytes } from "../file-limit.js";
import type { CliIo } from "../io.js";
import { retryLine } from "../apply-reporter.js";
import { makeClient, readServerState } from "../load.js";

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
      --url, --api-key, --api-secret, --timeout, --log-level   as for plan
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
  let remote;
  let server: string;
  if (from !== undefined) {
    remote = await readServerState(from);
    server = `file:${from}`;
  } else {
    const client = makeClient(values, io, { onRetryWait: (e) => io.stderr.write(`${retryLine(e, DEFAULT_RETRY.maxAttempts)}\n`) });
    remote = await client.listRules();
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
  const { specs, placeholders } = exportRules(remote, { ...(names === undefined ? {} : { names }), includePins });
  const yaml = renderExportYaml(specs, server, placeholders);
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

/** `${` in exported values would be interpolated on load: write it as `$${` (SPEC §2), except our placeholders. */
function escapeInterpolation(value: unknown, isPlaceholder: (path: readonly string[]) => boolean, path: readonly string[] = []): unknown {
  if (typeof value === "string") return isPlaceholder(path) ? value : value.replaceAll("${", () => "$${");
  if (Array.isArray(value)) return value.map((v, i) => escapeInterpolation(v, isPlaceholder, [...path, String(i)]));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeInterpolation(v, isPlaceholder, [...path, k])]));
  }
  return value;
}

/**
 * The exported file's schema link: the copy inside the installed package, relative to a file at
 * the root of a project that installed sip-dispatch-sync (npm install --save-dev). Always there,
 * always the version that wrote the file; a package CDN URL was not (the package is not in the
 * registry). Editors resolve the path from the YAML file's folder.
 */
export const SCHEMA_LINK = "./node_modules/sip-dispatch-sync/schemas/dispatch-rules.schema.json";

export function renderExportYaml(specs: readonly RuleSpec[], server: string, placeholders: readonly Placeholder[] = []): string {
  const at = new Set(placeholders.map((p) => `${p.rule}\u0000${p.path.join("\u0000")}`));
  const rules = specs.map((spec, i) => escapeInterpolation(spec, (path) => at.has(`${i}\u0000${path.join("\u0000")}`)));
  const header = [
    `# yaml-language-server: $schema=${SCHEMA_LINK}`,
    `# Exported from ${server} by sip-dispatch-sync export.`,
    "",
  ].join("\n");
  // The shape-aware writer (render/yaml-writer.ts): a general YAML emitter spent half of a large
  // export; this one quotes every string that would read back as something else.
  return `${header}${writeYamlDocument({ version: 1, rules })}`;
}

// Pure. The file's `environments:` (SPEC §8): which environment a load is for, the variables its
// ${...} are resolved from (the environment's `vars` under the process environment), which rules
// belong to it (a rule's `environments: [..]`), and the problems of the selection itself.
import { setOwn, type Diagnostic, type FileEnvironment } from "../model/index.js";
import { interpolateString, type Env } from "./interpolate.js";
import { parseYaml } from "./parse-yaml.js";
import { diagnosticAt, keyOrValueOffset, valueOffset, type SourceIndex } from "./positions.js";
import { closest } from "./suggest.js";

type Loose = Readonly<Record<string, unknown>>;

/** `--env all` means every environment (plan, validate); the schema reserves the name. */
export const ALL_ENVIRONMENTS = "all";

function isMapping(v: unknown): v is Loose {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** The names under `environments:` in file order; undefined when the file defines none. */
export function environmentNamesOf(root: unknown): string[] | undefined {
  if (!isMapping(root) || !isMapping(root.environments)) return undefined;
  const names = Object.keys(root.environments);
  return names.length === 0 ? undefined : names;
}

/** The closest name, or the one name the input abbreviates (`prod` for `production`). */
function suggestEnvironment(input: string, names: readonly string[]): string | undefined {
  const near = closest(input, names);
  if (near !== undefined) return near;
  const prefixed = names.filter((n) => n.toLowerCase().startsWith(input.toLowerCase()));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

export interface EnvironmentSelection {
  /** What ${...} is resolved from. */
  readonly env: Env;
  readonly environment: FileEnvironment | undefined;
  /** Indexes of `rules` that are not in the selected environment: neither interpolated nor checked. */
  readonly excluded: ReadonlySet<number>;
  /** Problems of the selection; `fatal` ones end the load (nothing else can be checked). */
  readonly diagnostics: readonly Diagnostic[];
  readonly fatal: boolean;
}

const ENV_HINT = "pass --env NAME (or set DISPATCH_ENV)";

/**
 * Picks the environment `selected` of the file (or none). A file with environments needs one; a
 * file without them takes none; a rule's `environments:` must name the file's environments.
 */
export function selectEnvironment(root: unknown, selected: string | undefined, processEnv: Env, index: SourceIndex): EnvironmentSelection {
  const names = environmentNamesOf(root);
  const diagnostics: Diagnostic[] = [];
  const rules = isMapping(root) && Array.isArray(root.rules) ? (root.rules as unknown[]) : [];
  const excluded = new Set<number>();
  const at = (path: (string | number)[]) => keyOrValueOffset(index, path) ?? valueOffset(index, path);

  if (names === undefined) {
    if (selected !== undefined) {
      diagnostics.push(
        diagnosticAt(index, undefined, [], {
          code: "no-environments",
          message: `environment \`${selected}\` was asked for, but the file defines no \`environments:\``,
          hint: "drop --env (and unset DISPATCH_ENV), or add `environments:` to the file",
        }),
      );
      return { env: processEnv, environment: undefined, excluded, diagnostics, fatal: true };
    }
  } else if (selected === undefined) {
    diagnostics.push(
      diagnosticAt(index, at(["environments"]), ["environments"], {
        code: "environment-required",
        message: `the file defines environments (${names.join(", ")}): name one`,
        hint: `${ENV_HINT}, e.g. --env ${names[0] ?? "NAME"}`,
      }),
    );
    return { env: processEnv, environment: undefined, excluded, diagnostics, fatal: true };
  } else if (!names.includes(selected)) {
    const near = suggestEnvironment(selected, names);
    diagnostics.push(
      diagnosticAt(index, at(["environments"]), ["environments"], {
        code: "unknown-environment",
        message: `the file has no environment \`${selected}\` (it defines ${names.join(", ")})`,
        hint: near === undefined ? `pass one of: --env ${names.join(" | ")}` : `did you mean --env ${near}?`,
      }),
    );
    return { env: processEnv, environment: undefined, excluded, diagnostics, fatal: true };
  }

  // A rule's `environments:` names environments of the file, and exists only when the file has them.
  rules.forEach((raw, i) => {
    if (!isMapping(raw) || raw.environments === undefined) return;
    const list = raw.environments;
    if (names === undefined) {
      diagnostics.push(
        diagnosticAt(index, at(["rules", i, "environments"]), ["rules", i, "environments"], {
          code: "no-environments",
          message: "the rule names environments, but the file defines no top-level `environments:`",
          hint: "add `environments:` (with each environment's url) at the top of the file, or remove the rule's `environments:`",
        }),
      );
      return;
    }
    if (!Array.isArray(list)) return; // the schema reports it
    list.forEach((name, k) => {
      if (typeof name !== "string" || names.includes(name)) return;
      const near = suggestEnvironment(name, names);
      diagnostics.push(
        diagnosticAt(index, valueOffset(index, ["rules", i, "environments", k]), ["rules", i, "environments", k], {
          code: "unknown-environment",
          message: `\`${name}\` is not an environment of this file (it defines ${names.join(", ")})`,
          hint: near === undefined ? "name environments defined under the top-level `environments:`" : `did you mean \`${near}\`?`,
        }),
      );
    });
    if (selected !== undefined && !list.includes(selected)) excluded.add(i);
  });

  if (names === undefined || selected === undefined) return { env: processEnv, environment: undefined, excluded, diagnostics, fatal: false };

  const raw = (root as Loose).environments as Loose;
  const entry = isMapping(raw[selected]) ? (raw[selected] as Loose) : {};
  // The process environment wins over `vars` (an operator's override); both are plain data.
  const env: Record<string, string | undefined> = Object.create(null) as Record<string, string | undefined>;
  if (isMapping(entry.vars)) for (const [k, v] of Object.entries(entry.vars)) if (typeof v === "string") env[k] = v;
  for (const [k, v] of Object.entries(processEnv)) if (v !== undefined) env[k] = v;

  const urlRaw = typeof entry.url === "string" ? entry.url : "";
  const url = interpolateString(urlRaw, env);
  for (const p of url.problems) {
    diagnostics.push(diagnosticAt(index, valueOffset(index, ["environments", selected, "url"]), ["environments", selected, "url"], { code: p.code, message: p.message, hint: p.hint }));
  }
  const environment: FileEnvironment = {
    name: selected,
    url: url.value,
    ...(typeof entry.apiKey === "string" ? { apiKey: entry.apiKey } : {}),
    ...(typeof entry.apiSecretFile === "string" ? { apiSecretFile: entry.apiSecretFile } : {}),
    vars: env,
  };
  return { env, environment, excluded, diagnostics, fatal: false };
}

/**
 * The value to interpolate: `environments:` left out (its `vars` are literal, its credentials are
 * read later), and the rules of other environments as null (their variables need not be set here).
 */
export function interpolationInput(root: unknown, excluded: ReadonlySet<number>): unknown {
  if (!isMapping(root) || (root.environments === undefined && excluded.size === 0)) return root;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(root)) {
    if (k === "environments") continue;
    setOwn(out, k, k === "rules" && Array.isArray(v) && excluded.size > 0 ? v.map((r, i) => (excluded.has(i) ? null : r)) : v);
  }
  return out;
}

/** Puts back what interpolationInput left out, as written. */
export function restoreUninterpolated(root: unknown, interpolated: unknown, excluded: ReadonlySet<number>): unknown {
  if (!isMapping(root) || interpolated === root || !isMapping(interpolated)) return interpolated;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(root)) {
    if (k === "environments") setOwn(out, k, root[k]);
    else if (k === "rules" && Array.isArray(interpolated[k]) && Array.isArray(root[k])) {
      const raw = root[k] as unknown[];
      setOwn(out, k, (interpolated[k] as unknown[]).map((r, i) => (excluded.has(i) ? raw[i] : r)));
    } else setOwn(out, k, interpolated[k]);
  }
  return out;
}

/** Placeholder trunk ID for a `trunks:` name in the offline conflict check: never a real ID. */
export function trunkNamePlaceholder(name: string): string {
  return `${JSON.stringify(name)} (trunk name)`;
}

/** The environment names of a file's text, or undefined when it defines none or cannot be parsed (the load reports why). */
export function environmentNamesOfText(text: string, file: string): string[] | undefined {
  const parsed = parseYaml(text.replace(/^\uFEFF/, ""), file);
  return parsed.ok ? environmentNamesOf(parsed.value) : undefined;
}

/**
 * `validate` over every environment (SPEC §8): a problem found in every environment is reported
 * once as it is; one found in only some is reported once per environment, its message starting
 * with `environment NAME:`.
 */
export function mergeEnvironmentDiagnostics(perEnvironment: readonly { readonly name: string; readonly diagnostics: readonly Diagnostic[] }[]): Diagnostic[] {
  const key = (d: Diagnostic) => `${d.severity}:${d.line}:${d.column}:${d.code}:${d.path}:${d.message}`;
  const count = new Map<string, number>();
  for (const e of perEnvironment) for (const k of new Set(e.diagnostics.map(key))) count.set(k, (count.get(k) ?? 0) + 1);
  const out: Diagnostic[] = [];
  const shared = new Set<string>();
  for (const e of perEnvironment) {
    for (const d of e.diagnostics) {
      const k = key(d);
      if (count.get(k) === perEnvironment.length) {
        if (shared.has(k)) continue;
        shared.add(k);
        out.push(d);
      } else out.push({ ...d, message: `environment ${e.name}: ${d.message}` });
    }
  }
  return out;
}

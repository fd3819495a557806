// Pure. Unquoted mapping keys that a YAML reader would not take as the text written (SPEC §2):
// `007`, `0x1F`, `1e3`, `.inf` are numbers to YAML 1.2 (and would reach the server re-spelled as
// `7`, `31`, `1000`, `Infinity`), `~` and `null` are null, `true` is a boolean, and `yes`, `no`,
// `on`, `off` are booleans to YAML 1.1 readers (other tools of the same config repo). Both YAML
// paths (fast-yaml.ts bails on them, parse-yaml.ts reports them) use this one definition.

// Not the one-letter `y` / `n`: few readers take them as booleans, and they are plausible keys.
const YAML11_BOOL = /^(?:yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF)$/;
/** YAML 1.1 number forms the 1.2 core schema reads as text: `0b101`, `1_000`, `1:30` (base 60), `0777`. */
const YAML11_NUMBER = /^[-+]?(?:0b[01_]+|[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?|[0-9][0-9_]*_[0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?)$/;

/**
 * What YAML reads an unquoted key as when that is not the text itself ("a number", "a boolean",
 * "null"), or undefined for a key that is plain text. `resolved` is the key as the 1.2 core
 * schema resolved it.
 */
export function nonTextKey(raw: string, resolved: unknown): string | undefined {
  if (resolved === null) return "null";
  if (typeof resolved === "boolean") return "a boolean";
  if (typeof resolved === "number" || typeof resolved === "bigint") return "a number";
  if (YAML11_BOOL.test(raw)) return "a boolean (YAML 1.1)";
  if (YAML11_NUMBER.test(raw)) return "a number (YAML 1.1)";
  return undefined;
}

/** The hint for such a key: quote it. */
export function quoteKeyHint(raw: string): string {
  return `quote the key to keep it as text: \`"${raw}": ...\``;
}

// Pure. The server-state file (`export --format json`, `plan --against`, the emulator's --state):
// { "formatVersion": 1, "items": [SIPDispatchRuleInfo as the server emits it] }.
import { AppError, type RemoteRule } from "../model/index.js";
import { WireShapeError, decodeRuleInfoAt, encodeServerRuleInfo } from "./wire.js";

export const SERVER_STATE_FORMAT_VERSION = 1;
const HINT = "pass a file written by `sip-dispatch-sync export --format json` (or the emulator's --state file)";

/** Snake_case proto names with defaults emitted (livekit-sip-api.md §3.1), items sorted by ID. */
export function encodeServerState(rules: readonly RemoteRule[]): string {
  const items = [...rules].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map(encodeServerRuleInfo);
  return `${JSON.stringify({ formatVersion: SERVER_STATE_FORMAT_VERSION, items }, null, 2)}\n`;
}

/**
 * Reads a server-state file; snake or camel keys. A file without `formatVersion` is read as a
 * plain ListSIPDispatchRuleResponse (`lk sip dispatch list --json`). Throws AppError
 * "bad-state-file" with a hint on any problem; never returns a partial list.
 */
export function decodeServerState(text: string): readonly RemoteRule[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw fail(`not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw fail("expected a JSON object with formatVersion and items");
  const obj = json as Record<string, unknown>;
  const version = obj.formatVersion ?? obj.format_version;
  if (version !== undefined && version !== SERVER_STATE_FORMAT_VERSION) {
    throw fail(`formatVersion ${JSON.stringify(version)} is not supported (this version reads ${SERVER_STATE_FORMAT_VERSION})`);
  }
  const items = obj.items;
  if (!Array.isArray(items)) throw fail(items === undefined || items === null ? 'no "items" list' : '"items" is not a list');
  const seen = new Set<string>();
  return items.map((item, i) => {
    let rule: RemoteRule;
    try {
      rule = decodeRuleInfoAt(item, `items[${i}]`);
    } catch (err) {
      if (err instanceof WireShapeError) throw fail(err.message);
      throw err;
    }
    if (seen.has(rule.id)) throw fail(`items[${i}]: rule ID ${rule.id} appears twice`);
    seen.add(rule.id);
    return rule;
  });
}

function fail(message: string): AppError {
  return new AppError("bad-state-file", `server-state file: ${message}`, { hint: HINT });
}

// Reference copy of src/core/fingerprint.ts, for the property tests only. Not product code.
// The planner speed-up kept every other reference module as it was at commit 415d88c; the
// fingerprint's text was redefined afterwards (on purpose: JSON of normalizeRule's forms, whose
// key order is fixed, instead of a sorted-key copy of them), so this is the new definition in its
// plainest form, against which the chunked fast path is checked.
import { createHash } from "node:crypto";
import type { RemoteRule } from "../../../src/model/index.js";
import { normalizeRule } from "./normalize.js";
import { byId } from "./ownership.js";

/** `sha256:<hex>` of the JSON of the remote rules sorted by ID, each spec normalised. */
export function fingerprintRules(remote: readonly RemoteRule[]): string {
  const normalised = [...remote].sort(byId).map((r) => ({ id: r.id, spec: normalizeRule(r.spec) }));
  return `sha256:${createHash("sha256").update(JSON.stringify(normalised)).digest("hex")}`;
}

// Reference copy of src/core/fingerprint.ts as it was before the planner speed-up (commit 415d88c), kept
// unchanged so that the property tests can check the fast planner against it. Not product code.
// Pure (hashing only; node:crypto is the one allowed import in core). Fingerprint of a server
// state, so that `apply PLAN.json` can refuse a plan made from a server that changed since.
import { createHash } from "node:crypto";
import type { RemoteRule } from "../../../src/model/index.js";
import { canonicalJson } from "./canonical-json.js";
import { normalizeRule } from "./normalize.js";
import { byId } from "./ownership.js";

/** `sha256:<hex>` over the canonical remote rules sorted by ID: independent of list order and key order. */
export function fingerprintRules(remote: readonly RemoteRule[]): string {
  const canonical = [...remote].sort(byId).map((r) => ({ id: r.id, spec: normalizeRule(r.spec) }));
  return `sha256:${createHash("sha256").update(canonicalJson(canonical)).digest("hex")}`;
}

// Pure (hashing only; node:crypto is the one allowed import in core). Fingerprint of a server
// state, so that `apply PLAN.json` can refuse a plan made from a server that changed since.
import { createHash } from "node:crypto";
import type { RemoteRule } from "../model/index.js";
import { canonicalForm, canonicalJson, isUnusual } from "./canonical-json.js";
import { normalizeRule } from "./normalize.js";
import { byId, type NormalizedRemote } from "./ownership.js";

/** `sha256:<hex>` over the canonical remote rules sorted by ID: independent of list order and key order. */
export function fingerprintRules(remote: readonly RemoteRule[]): string {
  return fingerprintNormalized([...remote].sort(byId).map((rule) => ({ rule, spec: normalizeRule(rule.spec) })));
}

/** fingerprintRules for rules already sorted by ID and normalised. */
export function fingerprintNormalized(sorted: readonly NormalizedRemote[]): string {
  return sha256(canonicalJson(sorted.map((r) => ({ id: r.rule.id, spec: r.spec }))));
}

/**
 * fingerprintRules(remote) from `sorted`: the remote rules sorted by ID, each spec from
 * normalizeRuleSorted (already in canonical key order, so JSON.stringify needs no sorted copy).
 */
export function fingerprintSortedForms(sorted: readonly NormalizedRemote[], remote: readonly RemoteRule[]): string {
  let text: string;
  try {
    text = JSON.stringify(sorted.map((r) => ({ id: idForm(r.rule.id), spec: r.spec })));
  } catch (e) {
    if (!isUnusual(e)) throw e;
    return fingerprintRules(remote);
  }
  return sha256(text);
}

function idForm(id: unknown): unknown {
  return typeof id === "object" && id !== null ? canonicalForm(id) : id;
}

function sha256(text: string): string {
  return `sha256:${createHash("sha256").update(text).digest("hex")}`;
}

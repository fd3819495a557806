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
  // The text of JSON.stringify(sorted.map(({ rule, spec }) => ({ id, spec }))), made one rule at a
  // time and hashed in pieces of about 64 KB: no wrapper object per rule and no copy of the whole
  // text (1.6 MB for 10,000 rules), which in a plan of 10,000 rules cost a scavenge of its own.
  const hash = createHash("sha256");
  let piece = "[";
  try {
    for (let i = 0; i < sorted.length; i++) {
      const r = sorted[i] as NormalizedRemote;
      const spec = JSON.stringify(r.spec) as string | undefined;
      // Anything but a string ID and a spec with a JSON text: the whole-array form says what it is.
      if (typeof r.rule.id !== "string" || spec === undefined) return fingerprintWhole(sorted, remote);
      piece += `${i === 0 ? "" : ","}{"id":${JSON.stringify(r.rule.id)},"spec":${spec}}`;
      if (piece.length >= 65_536) {
        hash.update(piece);
        piece = "";
      }
    }
  } catch (e) {
    if (!isUnusual(e)) throw e;
    return fingerprintRules(remote);
  }
  hash.update(`${piece}]`);
  return `sha256:${hash.digest("hex")}`;
}

/** The same text as fingerprintSortedForms, as one JSON.stringify of the whole array. */
function fingerprintWhole(sorted: readonly NormalizedRemote[], remote: readonly RemoteRule[]): string {
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

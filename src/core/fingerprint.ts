// Pure (hashing only; node:crypto is the one allowed import in core). Fingerprint of a server
// state, so that `apply PLAN.json` can refuse a plan made from a server that changed since.
//
// A plan is shared (PR comments, CI artifacts, logs), so its fingerprint must not let anyone
// recover a secret, even a 4-digit pin by trying all 10,000 (SPEC §3). Two forms:
// - keyed (a live server: plan, apply): HMAC-SHA256 with a key derived from the API secret, over
//   the server's rules with their secrets and over the secrets of the file's rules. Without the
//   API secret nothing can be tried; with it, a saved plan binds the pins and credentials it was
//   made with (`apply PLAN.json` with another pin is stale).
// - unkeyed (no API secret: `plan --against`, and the daemon's log): SHA-256 over the rules with
//   every secret replaced by "(sensitive)". It holds no secret at all, so it binds none: such a
//   plan never equals a keyed one, and `apply` refuses it as stale.
import { createHash, createHmac, type Hash, type Hmac } from "node:crypto";
import type { DesiredRule, RemoteRule } from "../model/index.js";
import { maskSpec, secretsOf } from "./mask-secrets.js";
import { normalizeRule } from "./normalize.js";
import { byId, type NormalizedRemote } from "./ownership.js";

/** What a fingerprint is keyed with: the API secret of the server the plan was made against. */
export interface FingerprintKey {
  readonly apiSecret: string;
}

/** The HMAC key: derived from the API secret for this one use (the secret itself signs tokens). */
export function fingerprintHmacKey(apiSecret: string): Buffer {
  return createHmac("sha256", apiSecret).update("sip-dispatch-sync/plan-fingerprint/v1").digest();
}

/**
 * `sha256:<hex>` over JSON.stringify([{ id, spec: normalizeRule(spec) }, ...]) of the remote rules
 * sorted by ID: independent of list order and of the order of keys in the server's answer
 * (normalizeRule writes every object's keys in one fixed order, and maps in sorted order).
 */
export function fingerprintRules(remote: readonly RemoteRule[], key?: FingerprintKey, desired: readonly DesiredRule[] = []): string {
  return fingerprintNormalized([...remote].sort(byId).map((rule) => ({ rule, spec: normalizeRule(rule.spec) })), key, desired);
}

/** Rules per JSON.stringify call: pieces of about 40 KB, not one text of the whole state. */
const CHUNK = 256;

/** fingerprintRules for rules already sorted by ID and normalised. */
export function fingerprintNormalized(sorted: readonly NormalizedRemote[], key?: FingerprintKey, desired: readonly DesiredRule[] = []): string {
  const hash: Hash | Hmac = key === undefined ? createHash("sha256") : createHmac("sha256", fingerprintHmacKey(key.apiSecret));
  // The text of the whole array, made and hashed a chunk at a time: the array's text is the
  // chunks' texts without their brackets, joined by commas. No copy of the whole text (1.3 MB for
  // 10,000 rules) and no string per rule.
  if (sorted.length === 0) hash.update("[]");
  for (let start = 0; start < sorted.length; start += CHUNK) {
    const end = Math.min(start + CHUNK, sorted.length);
    const chunk = new Array<{ id: string; spec: unknown }>(end - start);
    for (let i = start; i < end; i++) {
      const r = sorted[i] as NormalizedRemote;
      chunk[i - start] = { id: r.rule.id, spec: key === undefined ? maskSpec(r.spec) : r.spec };
    }
    const text = JSON.stringify(chunk);
    hash.update(start === 0 ? "[" : ",");
    hash.update(text.slice(1, -1));
    if (end === sorted.length) hash.update("]");
  }
  if (key !== undefined) {
    // The file's secrets, by rule: a plan applies the pins it was made with, or nothing.
    const bound: [string, [string, unknown][]][] = [];
    for (const rule of desired) {
      const secrets = secretsOf(rule.spec);
      if (secrets.length > 0) bound.push([rule.spec.name, secrets]);
    }
    hash.update("\u0000secrets:");
    hash.update(JSON.stringify(bound));
  }
  return `sha256:${hash.digest("hex")}`;
}

// Reference copy of src/core/fingerprint.ts, for the property tests only. Not product code.
// The planner speed-up kept every other reference module as it was at commit 415d88c; the
// fingerprint's text was redefined afterwards (on purpose: JSON of normalizeRule's forms, whose
// key order is fixed, instead of a sorted-key copy of them), so this is the new definition in its
// plainest form, against which the chunked fast path is checked.
import { createHash } from "node:crypto";
import type { RemoteRule, RuleSpec } from "../../../src/model/index.js";
import { normalizeRule } from "./normalize.js";
import { byId } from "./ownership.js";

const EGRESS_SECRETS = ["accesskey", "secret", "sessiontoken", "assumeroleexternalid", "credentials", "accountkey", "password", "signingkey"];
const VARIANTS = ["direct", "individual", "callee"] as const;
const plain = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

/** Egress credentials (any depth, either spelling) as "(sensitive)". */
function maskEgress(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskEgress);
  if (!plain(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const secret = EGRESS_SECRETS.includes(k.replaceAll("_", "").toLowerCase()) && v !== undefined && v !== null && v !== "";
    Object.defineProperty(out, k, { value: secret ? "(sensitive)" : maskEgress(v), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Issue #13: the unkeyed fingerprint holds no secret: variant pins and egress credentials as "(sensitive)". */
function masked(spec: RuleSpec): RuleSpec {
  const out: Record<string, unknown> = { ...spec };
  for (const kind of VARIANTS) {
    const v = spec[kind];
    if (v?.pin !== undefined && v.pin !== "") out[kind] = { ...v, pin: "(sensitive)" };
  }
  const rc = spec.roomConfig as Record<string, unknown> | undefined;
  if (rc?.egress !== undefined) out.roomConfig = { ...rc, egress: maskEgress(rc.egress) };
  return out as unknown as RuleSpec;
}

/** `sha256:<hex>` of the JSON of the remote rules sorted by ID, each spec normalised, secrets masked. */
export function fingerprintRules(remote: readonly RemoteRule[]): string {
  const normalised = [...remote].sort(byId).map((r) => ({ id: r.id, spec: masked(normalizeRule(r.spec)) }));
  return `sha256:${createHash("sha256").update(JSON.stringify(normalised)).digest("hex")}`;
}

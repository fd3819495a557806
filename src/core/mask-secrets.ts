// Pure. Secrets in a rule: the variant's `pin`, and every credential inside `roomConfig.egress`
// (livekit-sip-api.md §2.6: fields marked SENSITIVITY_SECRET, plus the webhook signing key).
// They are replaced by "(sensitive)" in any rule or value that leaves the process (SPEC §3): only
// the request sent to the server carries them.
import { RULE_KINDS, type JsonValue, type RuleSpec } from "../model/index.js";
import { isPlainObject } from "./canonical-json.js";

export const SENSITIVE = "(sensitive)";

/**
 * Egress fields that hold credentials, compared without `_` and case (so both the file's
 * camelCase and the server's snake_case): S3Upload / AliOSSUpload `access_key`, `secret`,
 * `session_token`, `assume_role_external_id`; GCPUpload `credentials`; AzureBlobUpload
 * `account_key`; ProxyConfig `password`; WebhookConfig `signing_key`.
 */
const EGRESS_SECRET_FIELDS: ReadonlySet<string> = new Set(["accesskey", "secret", "sessiontoken", "assumeroleexternalid", "credentials", "accountkey", "password", "signingkey"]);

/** Whether an egress field name holds a credential. */
export function isEgressSecretField(key: string): boolean {
  return EGRESS_SECRET_FIELDS.has(key.replaceAll("_", "").toLowerCase());
}

/** A secret that is set: a non-empty value (a proto3 default "" is no secret). */
function isSet(v: unknown): boolean {
  return v !== undefined && v !== null && v !== "";
}

/** `value` (an egress message or any part of it) with every credential replaced by "(sensitive)". */
export function maskEgress(value: unknown): unknown {
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const m = maskEgress(value[i]);
      if (m !== value[i]) out ??= value.slice();
      if (out !== undefined) out[i] = m;
    }
    return out ?? value;
  }
  if (!isPlainObject(value)) return value;
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const v = value[key];
    const m = isEgressSecretField(key) && isSet(v) ? SENSITIVE : maskEgress(v);
    if (m !== v) out ??= { ...value };
    if (out !== undefined) Object.defineProperty(out, key, { value: m, enumerable: true, writable: true, configurable: true });
  }
  return out ?? value;
}

/** The credentials of an egress value as [path, value] pairs, in document order. */
export function egressSecrets(value: unknown, path = ""): [string, unknown][] {
  const out: [string, unknown][] = [];
  const visit = (v: unknown, p: string): void => {
    if (Array.isArray(v)) v.forEach((x, i) => visit(x, `${p}[${i}]`));
    else if (isPlainObject(v))
      for (const key of Object.keys(v)) {
        const child = `${p}.${key}`;
        if (isEgressSecretField(key) && isSet(v[key])) out.push([child, v[key]]);
        else visit(v[key], child);
      }
  };
  visit(value, path);
  return out;
}

/** Every secret of a rule as [path, value]: its pin, then the egress credentials. */
export function secretsOf(spec: RuleSpec): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const kind of RULE_KINDS) {
    const pin = spec[kind]?.pin;
    if (pin !== undefined && pin !== "") out.push([`${kind}.pin`, pin]);
  }
  const egress = (spec.roomConfig as { egress?: unknown } | undefined)?.egress;
  if (egress !== undefined) for (const s of egressSecrets(egress, "roomConfig.egress")) out.push(s);
  return out;
}

/** A copy of the spec with every non-empty pin and egress credential replaced by "(sensitive)". */
export function maskSpec(spec: RuleSpec): RuleSpec {
  let out: RuleSpec = spec;
  for (const kind of RULE_KINDS) {
    const variant = spec[kind];
    if (variant?.pin !== undefined && variant.pin !== "") out = { ...out, [kind]: { ...variant, pin: SENSITIVE } };
  }
  const roomConfig = spec.roomConfig as (Record<string, unknown> & { egress?: unknown }) | undefined;
  if (roomConfig?.egress !== undefined) {
    const masked = maskEgress(roomConfig.egress);
    if (masked !== roomConfig.egress) out = { ...out, roomConfig: { ...roomConfig, egress: masked } as RuleSpec["roomConfig"] };
  }
  return out;
}

/** Masks the `pin` of a variant object (a diff value at path `direct` / `individual` / `callee`). */
export function maskVariantValue(value: JsonValue | undefined): JsonValue | undefined {
  if (!isPlainObject(value)) return value;
  const pin = value.pin;
  return typeof pin === "string" && pin !== "" ? { ...value, pin: SENSITIVE } : value;
}

/**
 * A field change at `path` (a diff path such as `roomConfig.egress.tracks.s3.secret`) with the
 * egress credentials in its values masked, and whether a credential differs between them.
 * Values outside `roomConfig` are returned as they are.
 */
export function maskEgressChange(path: string, before: unknown, after: unknown): { before: unknown; after: unknown; sensitive: boolean } {
  if (path !== "roomConfig" && !path.startsWith("roomConfig.egress")) return { before, after, sensitive: false };
  if (path.startsWith("roomConfig.egress")) {
    const last = /\.([A-Za-z_]+)$/.exec(path)?.[1];
    if (last !== undefined && isEgressSecretField(last)) {
      return { before: isSet(before) ? SENSITIVE : before, after: isSet(after) ? SENSITIVE : after, sensitive: true };
    }
  }
  const secrets = (v: unknown) => JSON.stringify(egressSecrets(v));
  return { before: maskEgress(before), after: maskEgress(after), sensitive: secrets(before) !== secrets(after) };
}

// Reference copy of src/core/mask-secrets.ts as it was before the planner speed-up (commit 415d88c), kept
// unchanged so that the property tests can check the fast planner against it. Not product code.
// Pure. Replaces pins with "(sensitive)" in any rule or value that leaves the process (SPEC §3:
// pins appear masked in every output except the request sent to the server).
import { RULE_KINDS, type JsonValue, type RuleSpec } from "../../../src/model/index.js";
import { isPlainObject } from "./canonical-json.js";

export const SENSITIVE = "(sensitive)";

/** A copy of the spec with every non-empty pin replaced by "(sensitive)". */
export function maskSpec(spec: RuleSpec): RuleSpec {
  let out: RuleSpec = spec;
  for (const kind of RULE_KINDS) {
    const variant = spec[kind];
    if (variant?.pin !== undefined && variant.pin !== "") out = { ...out, [kind]: { ...variant, pin: SENSITIVE } };
  }
  return out;
}

/** Masks the `pin` of a variant object (a diff value at path `direct` / `individual` / `callee`). */
export function maskVariantValue(value: JsonValue | undefined): JsonValue | undefined {
  if (!isPlainObject(value)) return value;
  const pin = value.pin;
  return typeof pin === "string" && pin !== "" ? { ...value, pin: SENSITIVE } : value;
}

// Pure. The JSON Schema validators of the rules file, compiled by ajv from
// schemas/dispatch-rules.schema.json. `npm run build` replaces the emitted dist/ copy of this
// module with ajv standalone code of the same schemas (scripts/after-build.mjs), so the built CLI
// does not load or run the ajv compiler at start-up; from source (vitest) they compile here.
//
// Two validators of one schema (issue 19: start-up of `validate` on 1,000 rules). The egress
// definitions (`roomConfig.egress`, generated from the protocol's messages) are about two thirds
// of the compiled code, and almost no rules file uses them: the *core* validator is the schema
// with `$defs.egress` accepting anything. It gives the full schema's answer, errors and all, for
// any value without a `rules[i].roomConfig.egress` (the one place that reaches `$defs.egress`);
// check-schema.ts picks the full validator otherwise (needsFullValidator). The built full
// validator is loaded only then.
import { Ajv2020 } from "ajv/dist/2020.js";
// eslint-disable-next-line no-restricted-imports -- schemas/ is not a src folder: the JSON file is the format's single source
import schema from "../../schemas/dispatch-rules.schema.json" with { type: "json" };

/** One ajv error (verbose: parentSchema and data are set). */
export interface SchemaError {
  readonly instancePath: string;
  readonly schemaPath: string;
  readonly keyword: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly message?: string;
  readonly parentSchema?: Readonly<Record<string, unknown>>;
  readonly data?: unknown;
}

export interface SchemaValidator {
  (data: unknown): boolean;
  errors?: readonly SchemaError[] | null;
}

/** The options the build step must use too (scripts/after-build.mjs). */
export const AJV_OPTIONS = { allErrors: true, verbose: true, strict: true, strictRequired: false, allowUnionTypes: true } as const;

/** The `roomConfig` key whose values only the full validator checks. */
export const FULL_ONLY_KEY = "egress";

/**
 * The schema for the core validator: `$defs.egress` accepts anything and the definitions only it
 * used (`egress.*`) are gone. Used by the build step too.
 */
export function coreSchemaOf(full: { readonly $defs: Readonly<Record<string, unknown>> }): Record<string, unknown> {
  const defs: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(full.$defs)) {
    if (!name.startsWith(`${FULL_ONLY_KEY}.`)) defs[name] = def;
  }
  defs[FULL_ONLY_KEY] = { description: "Checked by the full validator only (src/rules-file/validator.ts)." };
  return { ...full, $defs: defs };
}

let core: SchemaValidator | undefined;
let full: SchemaValidator | undefined;

/** The schema without the egress definitions: valid only for a value without `rules[i].roomConfig.egress`. */
export function getCoreValidator(): SchemaValidator {
  core ??= new Ajv2020(AJV_OPTIONS).compile(coreSchemaOf(schema)) as unknown as SchemaValidator;
  return core;
}

/** The whole schema. */
export function getFullValidator(): SchemaValidator {
  full ??= new Ajv2020(AJV_OPTIONS).compile(schema) as unknown as SchemaValidator;
  return full;
}

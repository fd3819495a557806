// Pure. The JSON Schema validator of the rules file, compiled once by ajv from
// schemas/dispatch-rules.schema.json. `npm run build` replaces the emitted dist/ copy of this
// module with ajv standalone code of the same schema (scripts/after-build.mjs), so the built CLI
// does not load or run the ajv compiler at start-up; from source (vitest) it compiles here.
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

let compiled: SchemaValidator | undefined;

export function getValidator(): SchemaValidator {
  compiled ??= new Ajv2020(AJV_OPTIONS).compile(schema) as unknown as SchemaValidator;
  return compiled;
}

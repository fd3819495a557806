// Types of scripts/gen-egress-schema.mjs for the test that checks the committed schema.
export declare function egressDefs(): Promise<Record<string, unknown>>;
export declare function withEgressDefs(schemaText: string, defs: Record<string, unknown>): string;

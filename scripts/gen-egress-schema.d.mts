// Types of scripts/gen-egress-schema.mjs for the test that checks the committed schema.
export declare function egressDefs(): Promise<Record<string, unknown>>;
export declare function withEgressDefs(schemaText: string, defs: Record<string, unknown>): string;
export interface EgressFieldTable {
  readonly messages: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly enums: Readonly<Record<string, readonly string[]>>;
}
export declare function egressFieldTable(): Promise<EgressFieldTable>;
export declare function renderEgressFields(table: EgressFieldTable): string;

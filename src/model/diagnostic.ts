// Pure types. A problem found in a rules file, as data (STYLE §8.6); rendering lives in render/.

export type DiagnosticSeverity = "error" | "warning";

export interface Diagnostic {
  /** Stable kebab-case code, e.g. "unknown-key", "duplicate-name", "rule-conflict". */
  readonly code: string;
  readonly severity: DiagnosticSeverity;
  readonly message: string;
  /** What to do next; names the key, flag or file. */
  readonly hint?: string;
  readonly file: string;
  /** 1-based; 0 when the problem has no position (e.g. unreadable file). */
  readonly line: number;
  /** 1-based; 0 when unknown. */
  readonly column: number;
  /** Dotted path in toDotPath form, e.g. `rules[3].individual.roomPrefix`; "" for the document. */
  readonly path: string;
  /** Other places involved (e.g. the first of two duplicate names). */
  readonly related?: readonly { readonly file: string; readonly line: number; readonly column: number; readonly path: string }[];
}

/** `["rules", 3, "individual"]` -> `rules[3].individual`. */
export function toDotPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? seg : `.${seg}`;
  }
  return out;
}

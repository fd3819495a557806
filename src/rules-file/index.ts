// Pure surface of the rules-file module (readRulesFile is its one I/O function): dispatch-rules.yaml
// -> DesiredState or every Diagnostic.
export { loadRulesText, MAX_FILE_BYTES, type LoadOptions, type LoadResult } from "./load-rules-text.js";
export { readRulesFile } from "./read-rules-file.js";
export { interpolateString, type Env } from "./interpolate.js";
export { SERVER_OWNED_FIELDS } from "./check-schema.js";
export { ALL_ENVIRONMENTS, environmentNamesOfText, mergeEnvironmentDiagnostics } from "./environments.js";
export { LINT_CODES, type LintCode } from "./lint-rules.js";
export { DEFAULT_MAX_FILE_BYTES, MAX_FILE_SIZE_ENV, MAX_FILE_SIZE_FLAG, fileTooLarge, formatBytes, parseByteSize, suggestedLimit } from "./file-limit.js";
export { createIncrementalLoader, type IncrementalLoader } from "./incremental-load.js";

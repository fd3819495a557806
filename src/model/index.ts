// Pure. The model's public surface: types and tiny helpers shared by every layer.
export * from "./rule.js";
export * from "./diagnostic.js";
export * from "./plan.js";
export * from "./errors.js";
export * from "./sip-client.js";
export { assertNever } from "./assert-never.js";
export * from "./conflict-key.js";
export * from "./display-text.js";
export * from "./plain-data.js";

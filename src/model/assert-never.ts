// Pure. Exhaustiveness guard for switches over unions (STYLE §8.5).
import { InternalError } from "./errors.js";

export function assertNever(value: never, what = "value"): never {
  throw new InternalError(`unexpected ${what}: ${JSON.stringify(value)}`);
}

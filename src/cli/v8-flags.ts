// Process wiring. What the run-time V8 flags of one-shot commands share (heap-growth.ts,
// optimizing-compiler.ts): the V8 version they are known for, whether the user already gave a
// flag of theirs, and setting one.
import type * as V8 from "node:v8";

/** The major version of a V8 version string ("11.3.244.8-node.38" -> 11; NaN when it is none). */
export function v8Major(v8Version: string): number {
  return Number(v8Version.split(".")[0]);
}

/** Whether a flag matching `pattern` is on Node's command line or in NODE_OPTIONS: the user's choice wins. */
export function flagGiven(pattern: RegExp, execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  return [...execArgv, nodeOptions ?? ""].some((a) => pattern.test(a));
}

/** Sets a V8 flag for the rest of the process (V8 reads most of them when it next needs them). */
export function setV8Flag(flag: string): void {
  (process.getBuiltinModule("node:v8") as typeof V8).setFlagsFromString(flag);
}

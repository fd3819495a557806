// Pure. Parses the duration flags (`10s`, `300ms`, `1m`, `1h`, `1.5s`) into milliseconds.
import { UsageError } from "../model/index.js";

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!m) {
    throw new UsageError(`--${flag}: "${text}" is not a duration`, `write a number with a unit: 300ms, 10s, 1m, 1h`);
  }
  return Math.round(Number(m[1]) * (UNITS[m[2] as string] as number));
}

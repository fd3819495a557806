// Pure. Text that came from outside (a server's answer, a rule name, a file) made safe to print:
// terminal escapes, bidi overrides, zero-width and line-breaking characters become visible `\u{..}`
// escapes (they cannot clear a terminal, reorder a line or start a forged `::error` line in CI), and
// long text is cut (a 5 MB error message must not become a 5 MB log line or /readyz body).

/**
 * Characters that are not printable on one line: C0/C1 controls (Cc), format characters such as
 * bidi overrides and zero-width spaces/joiners (Cf), line and paragraph separators (Zl, Zp) and
 * lone surrogates (Cs).
 */
export const UNPRINTABLE_CHAR = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
const UNPRINTABLE_ALL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

/** Default cut for text shown from a server: enough for any real message. */
export const MAX_SHOWN_CHARS = 500;

/** `U+001B`-style name of a character, for messages. */
export function codePointName(ch: string): string {
  return `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
}

/**
 * `text` on one line with every unprintable character escaped as `\u{1b}` and, past `max`
 * characters (UTF-16 units), cut with a note of how much was left out.
 */
export function safeText(text: string, max: number = MAX_SHOWN_CHARS): string {
  const cut = text.length > max ? text.slice(0, max) : text;
  const shown = escapeUnprintable(cut);
  return text.length > max ? `${shown}… (${text.length - max} more characters)` : shown;
}

/** `text` with every unprintable character as `\u{..}` (JSON.stringify leaves Cf, Zl, Zp as they are). */
export function escapeUnprintable(text: string): string {
  return UNPRINTABLE_CHAR.test(text) ? text.replace(UNPRINTABLE_ALL, (ch) => `\\u{${(ch.codePointAt(0) ?? 0).toString(16)}}`) : text;
}

/** JSON.stringify(value) with the unprintable characters it leaves raw escaped too: one safe line. */
export function jsonLine(value: unknown): string {
  return escapeUnprintable(JSON.stringify(value) ?? String(value));
}

/**
 * JSON.stringify(value, null, space) with the characters it leaves raw that are not printable
 * (bidi overrides, zero-width, U+2028/9) written as `\uXXXX` escapes: the same JSON value, and
 * safe to show in a terminal or CI log.
 */
export function safeJson(value: unknown, space?: number): string {
  const text = JSON.stringify(value, null, space);
  if (text === undefined || !UNPRINTABLE_CHAR.test(text)) return text ?? "";
  return text.replace(UNPRINTABLE_ALL, (ch) => {
    // Line breaks of the layout stay (inside strings JSON.stringify has escaped them already).
    if (ch === "\n") return ch;
    let out = "";
    for (let k = 0; k < ch.length; k++) out += `\\u${ch.charCodeAt(k).toString(16).padStart(4, "0")}`;
    return out;
  });
}

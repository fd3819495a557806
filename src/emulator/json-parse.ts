// Pure. A strict JSON reader that keeps every object member, duplicates included, so the
// decoder can reject what protojson rejects (livekit-sip-api.md §3.1: the same field twice is a
// `duplicate field` error) — JSON.parse would silently keep the last one.

export type JsonNode =
  | { readonly k: "obj"; readonly entries: readonly (readonly [string, JsonNode])[] }
  | { readonly k: "arr"; readonly items: readonly JsonNode[] }
  | { readonly k: "str"; readonly v: string }
  | { readonly k: "num"; readonly raw: string }
  | { readonly k: "bool"; readonly v: boolean }
  | { readonly k: "null" };

export class JsonSyntaxError extends Error {}

/** Go's encoding/json limit; deeper input is an error, never a stack overflow. */
const MAX_DEPTH = 10_000;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * Reads the first JSON value of `text`. Like the server's `json.Decoder.Decode` into a
 * RawMessage, anything after that first value is not read (derived from the generated Twirp
 * handler, livekit-sip-api.md §3.1). Throws JsonSyntaxError on empty or invalid input.
 */
export function parseFirstJsonValue(text: string): JsonNode {
  let i = 0;
  const ws = (): void => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else return;
    }
  };
  const fail = (what: string): never => {
    throw new JsonSyntaxError(`${what} at offset ${i}`);
  };
  const str = (): string => {
    // Caller checked the opening quote.
    i++;
    let out = "";
    let start = i;
    for (;;) {
      if (i >= text.length) fail("unterminated string");
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(start, i);
        i++;
        return out;
      }
      if (c < 0x20) fail("control character in string");
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += text.slice(start, i);
      const e = text[i + 1];
      i += 2;
      switch (e) {
        case '"': out += '"'; break;
        case "\\": out += "\\"; break;
        case "/": out += "/"; break;
        case "b": out += "\b"; break;
        case "f": out += "\f"; break;
        case "n": out += "\n"; break;
        case "r": out += "\r"; break;
        case "t": out += "\t"; break;
        case "u": {
          const code = hex4(text, i) ?? fail("bad \\u escape");
          i += 4;
          if (code >= 0xd800 && code < 0xdc00 && text[i] === "\\" && text[i + 1] === "u") {
            const low = hex4(text, i + 2);
            if (low !== undefined && low >= 0xdc00 && low < 0xe000) {
              out += String.fromCharCode(code, low);
              i += 6;
              break;
            }
          }
          // A lone surrogate decodes to U+FFFD, as Go's decoders do.
          out += code >= 0xd800 && code < 0xe000 ? "\ufffd" : String.fromCharCode(code);
          break;
        }
        default:
          fail("bad escape");
      }
      start = i;
    }
  };
  const value = (depth: number): JsonNode => {
    if (depth > MAX_DEPTH) fail("exceeded max depth");
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const entries: (readonly [string, JsonNode])[] = [];
      ws();
      if (text[i] === "}") {
        i++;
        return { k: "obj", entries };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail("expected a member name");
        const key = str();
        ws();
        if (text[i] !== ":") fail("expected ':'");
        i++;
        entries.push([key, value(depth + 1)]);
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return { k: "obj", entries };
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      const items: JsonNode[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return { k: "arr", items };
      }
      for (;;) {
        items.push(value(depth + 1));
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return { k: "arr", items };
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return { k: "str", v: str() };
    if (text.startsWith("true", i)) {
      i += 4;
      return { k: "bool", v: true };
    }
    if (text.startsWith("false", i)) {
      i += 5;
      return { k: "bool", v: false };
    }
    if (text.startsWith("null", i)) {
      i += 4;
      return { k: "null" };
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m && m[0] !== "" && m[0] !== "-") {
      i += m[0].length;
      return { k: "num", raw: m[0] };
    }
    return fail(i >= text.length ? "unexpected end of input" : "unexpected character");
  };
  try {
    return value(0);
  } catch (err) {
    // A stack overflow on deep nesting is still just bad input.
    if (err instanceof RangeError) throw new JsonSyntaxError("nesting too deep");
    throw err;
  }
}

function hex4(text: string, at: number): number | undefined {
  const h = text.slice(at, at + 4);
  return /^[0-9a-fA-F]{4}$/.test(h) ? parseInt(h, 16) : undefined;
}

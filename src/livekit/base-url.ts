// Pure. LIVEKIT_URL (ws/wss/http/https) -> the HTTP base URL the Twirp paths are appended to.
import { UsageError, jsonLine } from "../model/index.js";

const SCHEMES: Readonly<Record<string, string>> = { "ws:": "http:", "wss:": "https:", "http:": "http:", "https:": "https:" };
const EXAMPLE = "e.g. wss://my-project.livekit.cloud or http://127.0.0.1:7880";

/**
 * The Node SDK replaces a leading `ws` with `http` and silently drops any path
 * (livekit-sip-api.md §1 "LIVEKIT_URL -> HTTP base URL"); the Go SDK keeps the path. Rather than
 * guess which one the user meant, a path, query, fragment or user info is an error.
 */
export function resolveBaseUrl(url: string): string {
  const text = url.trim();
  if (text === "") throw new UsageError("the LiveKit URL is empty", `set --url or LIVEKIT_URL, ${EXAMPLE}`);
  const shown = jsonLine(redactUserInfo(text));
  if (text.includes("\\")) {
    // URL parsers read `\` as `/` in http(s) and ws(s) URLs, so `http://a\@b` is host a, not b:
    // a URL that reads two ways is refused rather than shown with one host and used with another.
    throw new UsageError(`LiveKit URL ${shown} contains a backslash`, `remove it; write the URL with forward slashes only, ${EXAMPLE}`);
  }
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    throw new UsageError(`LiveKit URL ${shown} has no scheme`, `start it with ws://, wss://, http:// or https://, ${EXAMPLE}`);
  }
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new UsageError(`LiveKit URL ${shown} is not a valid URL`, `pass the server's base URL, ${EXAMPLE}`);
  }
  const scheme = SCHEMES[parsed.protocol];
  if (scheme === undefined) {
    throw new UsageError(`LiveKit URL ${shown} has the unsupported scheme "${parsed.protocol.slice(0, -1)}"`, `use ws://, wss://, http:// or https://, ${EXAMPLE}`);
  }
  if (parsed.username !== "" || parsed.password !== "") {
    throw new UsageError(`LiveKit URL ${shown} contains user info`, "remove the user:password@ part; credentials go in LIVEKIT_API_KEY / LIVEKIT_API_SECRET");
  }
  if ((parsed.pathname !== "/" && parsed.pathname !== "") || parsed.search !== "" || parsed.hash !== "") {
    throw new UsageError(
      `LiveKit URL ${shown} has a path, query or fragment`,
      `pass only scheme, host and port (the API lives at /twirp/livekit.SIP/ on that host), ${EXAMPLE}`,
    );
  }
  if (parsed.host === "") throw new UsageError(`LiveKit URL ${shown} has no host`, `pass the server's base URL, ${EXAMPLE}`);
  return `${scheme}//${parsed.host}`;
}

function redactUserInfo(text: string): string {
  // User info ends at the authority's end: `/`, `\`, `?` or `#` come after it, never inside.
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/\\?#@]*@/i, "$1***@");
}

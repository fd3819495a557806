// The livekit folder's public surface: the SipClient over HTTP, its token, base URL, retry
// policy, and the wire mapping (the only code that knows protobuf field names).
export { createSipClient, isUpdateUnsupported, type ApiCallEvent, type HttpSipClient, type RetryWaitEvent, type SipClientOptions } from "./sip-client.js";
export { resolveBaseUrl } from "./base-url.js";
export { createAccessToken } from "./access-token.js";
export { DEFAULT_RETRY, type RetryPolicy } from "./retry.js";
export { encodeRuleInfo, decodeRuleInfo } from "./wire.js";
export { encodeServerState, decodeServerState } from "./server-state.js";
export { createNodeTransport, type Transport, type TransportInit, type TransportResponse } from "./http-transport.js";
export { versionFloor, versionFloorText, formatVersion, compareVersions, UPDATE_SINCE, type ServerVersion, type VersionFloor } from "./server-version.js";

// Pure. The protobuf schema of the dispatch-rule API as data, transcribed from
// livekit-sip-api.md §2.2–§2.6 (livekit/protocol@d74e7cdb). Fields are listed in declaration
// order, which is the order protojson writes keys in (§3.1).
import { InternalError } from "../model/index.js";

export type ScalarType = "string" | "bool" | "int32" | "uint32" | "double";
export interface EnumDesc {
  readonly name: string;
  /** Value names by number; index = number for every enum in this API. */
  readonly values: readonly string[];
}
export type FieldType =
  | { readonly t: "scalar"; readonly s: ScalarType }
  | { readonly t: "enum"; readonly e: EnumDesc }
  | { readonly t: "message"; readonly m: string }
  | { readonly t: "timestamp" }
  | { readonly t: "duration" };
/** `optional` = proto3 optional (presence tracked, omitted when unset). */
export type FieldLabel = "single" | "repeated" | "map" | "optional";

export interface FieldDesc {
  readonly name: string;
  readonly json: string;
  readonly type: FieldType;
  readonly label: FieldLabel;
  /** Name of the (real) oneof this field belongs to. */
  readonly oneof?: string;
}
export interface MessageDesc {
  readonly name: string;
  readonly fields: readonly FieldDesc[];
  readonly byKey: ReadonlyMap<string, FieldDesc>;
}

const e = (name: string, values: readonly string[]): EnumDesc => ({ name, values });
export const SIP_MEDIA_ENCRYPTION = e("SIPMediaEncryption", ["SIP_MEDIA_ENCRYPT_DISABLE", "SIP_MEDIA_ENCRYPT_ALLOW", "SIP_MEDIA_ENCRYPT_REQUIRE"]);
const SIP_HEADER_OPTIONS = e("SIPHeaderOptions", ["SIP_NO_HEADERS", "SIP_X_HEADERS", "SIP_ALL_HEADERS"]);
const SIP_TRUNK_KIND = e("SIPTrunkInfo.TrunkKind", ["TRUNK_LEGACY", "TRUNK_INBOUND", "TRUNK_OUTBOUND"]);
const SIP_TRANSPORT = e("SIPTransport", ["SIP_TRANSPORT_AUTO", "SIP_TRANSPORT_UDP", "SIP_TRANSPORT_TCP", "SIP_TRANSPORT_TLS"]);
const JOB_RESTART_POLICY = e("JobRestartPolicy", ["JRP_ON_FAILURE", "JRP_NEVER"]);
const AUDIO_MIXING = e("AudioMixing", ["DEFAULT_MIXING", "DUAL_CHANNEL_AGENT", "DUAL_CHANNEL_ALTERNATE"]);
const ENCODING_OPTIONS_PRESET = e("EncodingOptionsPreset", [
  "H264_720P_30", "H264_720P_60", "H264_1080P_30", "H264_1080P_60", "PORTRAIT_H264_720P_30",
  "PORTRAIT_H264_720P_60", "PORTRAIT_H264_1080P_30", "PORTRAIT_H264_1080P_60", "PASSTHROUGH",
]);
const ENCODED_FILE_TYPE = e("EncodedFileType", ["DEFAULT_FILETYPE", "MP4", "OGG", "MP3"]);
const STREAM_PROTOCOL = e("StreamProtocol", ["DEFAULT_PROTOCOL", "RTMP", "SRT", "WEBSOCKET"]);
const SEGMENTED_FILE_PROTOCOL = e("SegmentedFileProtocol", ["DEFAULT_SEGMENTED_FILE_PROTOCOL", "HLS_PROTOCOL"]);
const SEGMENTED_FILE_SUFFIX = e("SegmentedFileSuffix", ["INDEX", "TIMESTAMP"]);
const IMAGE_FILE_SUFFIX = e("ImageFileSuffix", ["IMAGE_SUFFIX_INDEX", "IMAGE_SUFFIX_TIMESTAMP", "IMAGE_SUFFIX_NONE_OVERWRITE"]);
const AUDIO_CODEC = e("AudioCodec", ["DEFAULT_AC", "OPUS", "AAC", "AC_MP3"]);
const VIDEO_CODEC = e("VideoCodec", ["DEFAULT_VC", "H264_BASELINE", "H264_MAIN", "H264_HIGH", "VP8"]);
const IMAGE_CODEC = e("ImageCodec", ["IC_DEFAULT", "IC_JPEG"]);

/** protoc's json_name: drop underscores and upper-case the letter after each. */
export function jsonNameOf(protoName: string): string {
  return protoName.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()).replace(/_/g, "");
}

type Spec = readonly [name: string, type: FieldType, label?: FieldLabel, oneof?: string];
const STR: FieldType = { t: "scalar", s: "string" };
const BOOL: FieldType = { t: "scalar", s: "bool" };
const I32: FieldType = { t: "scalar", s: "int32" };
const U32: FieldType = { t: "scalar", s: "uint32" };
const F64: FieldType = { t: "scalar", s: "double" };
const TS: FieldType = { t: "timestamp" };
const DUR: FieldType = { t: "duration" };
const en = (x: EnumDesc): FieldType => ({ t: "enum", e: x });
const msg = (m: string): FieldType => ({ t: "message", m });
const upload = (o: string): Spec[] => [
  ["s3", msg("S3Upload"), "single", o],
  ["gcp", msg("GCPUpload"), "single", o],
  ["azure", msg("AzureBlobUpload"), "single", o],
  ["aliOSS", msg("AliOSSUpload"), "single", o],
];

const SPECS: Readonly<Record<string, readonly Spec[]>> = {
  // §2.2
  SIPDispatchRuleDirect: [["room_name", STR], ["pin", STR]],
  SIPDispatchRuleIndividual: [["room_prefix", STR], ["pin", STR], ["no_randomness", BOOL]],
  SIPDispatchRuleCallee: [["room_prefix", STR], ["pin", STR], ["randomize", BOOL]],
  SIPDispatchRule: [
    ["dispatch_rule_direct", msg("SIPDispatchRuleDirect"), "single", "rule"],
    ["dispatch_rule_individual", msg("SIPDispatchRuleIndividual"), "single", "rule"],
    ["dispatch_rule_callee", msg("SIPDispatchRuleCallee"), "single", "rule"],
  ],
  CreateSIPDispatchRuleRequest: [
    ["dispatch_rule", msg("SIPDispatchRuleInfo")],
    ["rule", msg("SIPDispatchRule")],
    ["trunk_ids", STR, "repeated"],
    ["hide_phone_number", BOOL],
    ["inbound_numbers", STR, "repeated"],
    ["name", STR],
    ["metadata", STR],
    ["attributes", STR, "map"],
    ["room_preset", STR],
    ["room_config", msg("RoomConfiguration")],
  ],
  UpdateSIPDispatchRuleRequest: [
    ["sip_dispatch_rule_id", STR],
    ["replace", msg("SIPDispatchRuleInfo"), "single", "action"],
    ["update", msg("SIPDispatchRuleUpdate"), "single", "action"],
  ],
  SIPDispatchRuleInfo: [
    ["sip_dispatch_rule_id", STR],
    ["rule", msg("SIPDispatchRule")],
    ["trunk_ids", STR, "repeated"],
    ["hide_phone_number", BOOL],
    ["inbound_numbers", STR, "repeated"],
    ["numbers", STR, "repeated"],
    ["name", STR],
    ["metadata", STR],
    ["attributes", STR, "map"],
    ["room_preset", STR],
    ["room_config", msg("RoomConfiguration")],
    ["media", msg("SIPMediaConfig")],
    ["krisp_enabled", BOOL],
    ["media_encryption", en(SIP_MEDIA_ENCRYPTION)],
    ["created_at", TS],
    ["updated_at", TS],
  ],
  SIPDispatchRuleUpdate: [
    ["trunk_ids", msg("ListUpdate")],
    ["rule", msg("SIPDispatchRule")],
    ["name", STR, "optional"],
    ["metadata", STR, "optional"],
    ["attributes", STR, "map"],
    ["media_encryption", en(SIP_MEDIA_ENCRYPTION), "optional"],
    ["media", msg("SIPMediaConfig")],
  ],
  ListSIPDispatchRuleRequest: [
    ["page", msg("Pagination")],
    ["dispatch_rule_ids", STR, "repeated"],
    ["trunk_ids", STR, "repeated"],
  ],
  ListSIPDispatchRuleResponse: [["items", msg("SIPDispatchRuleInfo"), "repeated"]],
  DeleteSIPDispatchRuleRequest: [["sip_dispatch_rule_id", STR]],
  // §11.1: inbound trunks (livekit/protocol livekit_sip.proto, declaration order).
  SIPInboundTrunkInfo: [
    ["sip_trunk_id", STR],
    ["name", STR],
    ["metadata", STR],
    ["numbers", STR, "repeated"],
    ["allowed_addresses", STR, "repeated"],
    ["allowed_numbers", STR, "repeated"],
    ["auth_username", STR],
    ["auth_password", STR],
    ["auth_realm", STR],
    ["headers", STR, "map"],
    ["headers_to_attributes", STR, "map"],
    ["attributes_to_headers", STR, "map"],
    ["include_headers", en(SIP_HEADER_OPTIONS)],
    ["ringing_timeout", DUR],
    ["max_call_duration", DUR],
    ["krisp_enabled", BOOL],
    ["media_encryption", en(SIP_MEDIA_ENCRYPTION)],
    ["media", msg("SIPMediaConfig")],
    ["created_at", TS],
    ["updated_at", TS],
  ],
  CreateSIPInboundTrunkRequest: [["trunk", msg("SIPInboundTrunkInfo")]],
  ListSIPInboundTrunkRequest: [
    ["page", msg("Pagination")],
    ["trunk_ids", STR, "repeated"],
    ["numbers", STR, "repeated"],
  ],
  ListSIPInboundTrunkResponse: [["items", msg("SIPInboundTrunkInfo"), "repeated"]],
  DeleteSIPTrunkRequest: [["sip_trunk_id", STR]],
  // DeleteSIPTrunk answers with the legacy trunk message.
  SIPTrunkInfo: [
    ["sip_trunk_id", STR],
    ["kind", en(SIP_TRUNK_KIND)],
    ["inbound_addresses", STR, "repeated"],
    ["outbound_address", STR],
    ["outbound_number", STR],
    ["transport", en(SIP_TRANSPORT)],
    ["inbound_numbers_regex", STR, "repeated"],
    ["inbound_numbers", STR, "repeated"],
    ["inbound_username", STR],
    ["inbound_password", STR],
    ["outbound_username", STR],
    ["outbound_password", STR],
    ["name", STR],
    ["metadata", STR],
  ],
  // §2.3
  SIPCodec: [["name", STR], ["rate", U32]],
  SIPMediaConfig: [
    ["only_listed_codecs", BOOL],
    ["codecs", msg("SIPCodec"), "repeated"],
    ["encryption", en(SIP_MEDIA_ENCRYPTION), "optional"],
    ["media_timeout", DUR, "optional"],
  ],
  // §2.4
  Pagination: [["after_id", STR], ["limit", I32]],
  ListUpdate: [["set", STR, "repeated"], ["add", STR, "repeated"], ["remove", STR, "repeated"], ["clear", BOOL]],
  // §2.5
  RoomConfiguration: [
    ["name", STR],
    ["empty_timeout", U32],
    ["departure_timeout", U32],
    ["max_participants", U32],
    ["metadata", STR],
    ["egress", msg("RoomEgress")],
    ["min_playout_delay", U32],
    ["max_playout_delay", U32],
    ["sync_streams", BOOL],
    ["agents", msg("RoomAgentDispatch"), "repeated"],
    ["tags", STR, "map"],
  ],
  RoomEgress: [
    ["room", msg("RoomCompositeEgressRequest")],
    ["participant", msg("AutoParticipantEgress")],
    ["tracks", msg("AutoTrackEgress")],
  ],
  RoomAgentDispatch: [
    ["agent_name", STR],
    ["metadata", STR],
    ["restart_policy", en(JOB_RESTART_POLICY)],
    ["deployment", STR],
    ["attributes", STR, "map"],
  ],
  // §2.6
  RoomCompositeEgressRequest: [
    ["room_name", STR],
    ["layout", STR],
    ["audio_only", BOOL],
    ["audio_mixing", en(AUDIO_MIXING)],
    ["video_only", BOOL],
    ["custom_base_url", STR],
    ["file", msg("EncodedFileOutput"), "single", "output"],
    ["stream", msg("StreamOutput"), "single", "output"],
    ["segments", msg("SegmentedFileOutput"), "single", "output"],
    ["preset", en(ENCODING_OPTIONS_PRESET), "single", "options"],
    ["advanced", msg("EncodingOptions"), "single", "options"],
    ["file_outputs", msg("EncodedFileOutput"), "repeated"],
    ["stream_outputs", msg("StreamOutput"), "repeated"],
    ["segment_outputs", msg("SegmentedFileOutput"), "repeated"],
    ["image_outputs", msg("ImageOutput"), "repeated"],
    ["webhooks", msg("WebhookConfig"), "repeated"],
  ],
  AutoParticipantEgress: [
    ["preset", en(ENCODING_OPTIONS_PRESET), "single", "options"],
    ["advanced", msg("EncodingOptions"), "single", "options"],
    ["file_outputs", msg("EncodedFileOutput"), "repeated"],
    ["segment_outputs", msg("SegmentedFileOutput"), "repeated"],
  ],
  AutoTrackEgress: [["filepath", STR], ["disable_manifest", BOOL], ...upload("output")],
  EncodingOptions: [
    ["width", I32], ["height", I32], ["depth", I32], ["framerate", I32],
    ["audio_codec", en(AUDIO_CODEC)], ["audio_bitrate", I32], ["audio_frequency", I32],
    ["video_codec", en(VIDEO_CODEC)], ["video_bitrate", I32], ["key_frame_interval", F64],
    ["audio_quality", I32], ["video_quality", I32],
  ],
  EncodedFileOutput: [["file_type", en(ENCODED_FILE_TYPE)], ["filepath", STR], ["disable_manifest", BOOL], ...upload("output")],
  StreamOutput: [["protocol", en(STREAM_PROTOCOL)], ["urls", STR, "repeated"]],
  SegmentedFileOutput: [
    ["protocol", en(SEGMENTED_FILE_PROTOCOL)], ["filename_prefix", STR], ["playlist_name", STR],
    ["live_playlist_name", STR], ["segment_duration", U32], ["filename_suffix", en(SEGMENTED_FILE_SUFFIX)],
    ["disable_manifest", BOOL], ...upload("output"),
  ],
  ImageOutput: [
    ["capture_interval", U32], ["width", I32], ["height", I32], ["filename_prefix", STR],
    ["filename_suffix", en(IMAGE_FILE_SUFFIX)], ["image_codec", en(IMAGE_CODEC)], ["disable_manifest", BOOL],
    ...upload("output"),
  ],
  S3Upload: [
    ["access_key", STR], ["secret", STR], ["session_token", STR], ["assume_role_arn", STR],
    ["assume_role_external_id", STR], ["region", STR], ["endpoint", STR], ["bucket", STR],
    ["force_path_style", BOOL], ["metadata", STR, "map"], ["tagging", STR], ["content_disposition", STR],
    ["proxy", msg("ProxyConfig")],
  ],
  GCPUpload: [["credentials", STR], ["bucket", STR], ["proxy", msg("ProxyConfig")]],
  AzureBlobUpload: [["account_name", STR], ["account_key", STR], ["container_name", STR]],
  AliOSSUpload: [["access_key", STR], ["secret", STR], ["region", STR], ["endpoint", STR], ["bucket", STR]],
  ProxyConfig: [["url", STR], ["username", STR], ["password", STR]],
  WebhookConfig: [["url", STR], ["signing_key", STR], ["filter_params", msg("FilterParams")]],
  FilterParams: [["include_events", STR, "repeated"], ["exclude_events", STR, "repeated"]],
};

function build(name: string, specs: readonly Spec[]): MessageDesc {
  const fields = specs.map(([n, type, label, oneof]): FieldDesc => ({
    name: n,
    json: jsonNameOf(n),
    type,
    label: label ?? "single",
    ...(oneof === undefined ? {} : { oneof }),
  }));
  const byKey = new Map<string, FieldDesc>();
  // protojson looks a key up by JSON name first, then by proto name (§3.1).
  for (const f of fields) byKey.set(f.json, f);
  for (const f of fields) if (!byKey.has(f.name)) byKey.set(f.name, f);
  return { name, fields, byKey };
}

export const MESSAGES: ReadonlyMap<string, MessageDesc> = new Map(Object.entries(SPECS).map(([n, s]) => [n, build(n, s)]));

export function messageDesc(name: string): MessageDesc {
  const d = MESSAGES.get(name);
  if (d === undefined) throw new InternalError(`emulator: no descriptor for ${name}`);
  return d;
}

/** A server older than v1.9.0 has no `dispatch_rule` on Create (§6): the key is an unknown field there. */
export const LEGACY_CREATE_REQUEST: MessageDesc = build(
  "CreateSIPDispatchRuleRequest",
  (SPECS.CreateSIPDispatchRuleRequest ?? []).filter(([n]) => n !== "dispatch_rule"),
);

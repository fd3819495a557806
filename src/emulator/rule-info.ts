// Pure. The stored SIPDispatchRuleInfo (canonical snake_case form, see decode.ts) and the
// server's per-rule logic on it: Validate(), Upgrade(), ListUpdate, the conflict key
// (livekit-sip-api.md §2.7, §5.2, §5.3). Written from the spec, independent of src/model's
// conflict key on purpose: a shared bug would hide itself.
import type { Canonical, CanonicalMessage } from "./decode.js";
import { setOwn } from "./decode.js";
import { SIP_MEDIA_ENCRYPTION, messageDesc } from "./descriptors.js";

export interface RuleVariantMsg {
  readonly pin: string;
  readonly room_name?: string;
  readonly room_prefix?: string;
}
export interface DispatchRuleMsg {
  readonly dispatch_rule_direct?: RuleVariantMsg;
  readonly dispatch_rule_individual?: RuleVariantMsg;
  readonly dispatch_rule_callee?: RuleVariantMsg;
}
export interface CodecMsg {
  readonly name: string;
  readonly rate: number;
}
export interface MediaMsg {
  readonly only_listed_codecs: boolean;
  readonly codecs: readonly CodecMsg[];
  readonly encryption?: string | number;
  readonly media_timeout?: string;
}
export interface ListUpdateMsg {
  readonly set: readonly string[];
  readonly add: readonly string[];
  readonly remove: readonly string[];
  readonly clear: boolean;
}
export interface RuleInfo {
  readonly sip_dispatch_rule_id: string;
  readonly rule: DispatchRuleMsg | null;
  readonly trunk_ids: readonly string[];
  readonly hide_phone_number: boolean;
  readonly inbound_numbers: readonly string[];
  readonly numbers: readonly string[];
  readonly name: string;
  readonly metadata: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly room_preset: string;
  readonly room_config: CanonicalMessage | null;
  readonly media: MediaMsg | null;
  readonly krisp_enabled: boolean;
  readonly media_encryption: string | number;
  readonly created_at: string | null;
  readonly updated_at: string | null;
}
export interface RuleUpdateMsg {
  readonly trunk_ids: ListUpdateMsg | null;
  readonly rule: DispatchRuleMsg | null;
  readonly name?: string;
  readonly metadata?: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly media_encryption?: string | number;
  readonly media: MediaMsg | null;
}

const DISABLE = SIP_MEDIA_ENCRYPTION.values[0] ?? "SIP_MEDIA_ENCRYPT_DISABLE";
const INFO_DESC = messageDesc("SIPDispatchRuleInfo");
const MEDIA_DESC = messageDesc("SIPMediaConfig");

/** Rebuilds an object with a descriptor's key order (spread keeps old positions, new keys go last). */
function ordered<T>(fields: readonly { readonly name: string }[], value: Record<string, Canonical | undefined>): T {
  const out: Record<string, Canonical> = {};
  for (const f of fields) {
    const v = value[f.name];
    if (v !== undefined) setOwn(out, f.name, v);
  }
  // Fields outside the descriptor (the "newer server" mode keeps them) follow the known ones.
  for (const key of Object.keys(value)) {
    const v = value[key];
    if (v !== undefined && !Object.hasOwn(out, key) && !fields.some((f) => f.name === key)) setOwn(out, key, v);
  }
  return out as T;
}

export function withInfo(info: RuleInfo, patch: Partial<Record<keyof RuleInfo, Canonical>>): RuleInfo {
  return ordered<RuleInfo>(INFO_DESC.fields, { ...(info as unknown as Record<string, Canonical>), ...patch });
}

/** A SIPDispatchRuleInfo with every field at its default. */
export function emptyInfo(): RuleInfo {
  return {
    sip_dispatch_rule_id: "", rule: null, trunk_ids: [], hide_phone_number: false, inbound_numbers: [], numbers: [],
    name: "", metadata: "", attributes: {}, room_preset: "", room_config: null, media: null, krisp_enabled: false,
    media_encryption: DISABLE, created_at: null, updated_at: null,
  };
}

// --- Validate() (§5.2, §5.3) ---

const MAX_MEDIA_TIMEOUT_SECONDS = 600; // MaxSIPMediaTimeout = 10 * time.Minute

export function validateMedia(media: MediaMsg | null): string | undefined {
  if (media === null) return undefined;
  for (const c of media.codecs) {
    if (c.name === "") return "missing codec name";
    if (/[ \t\n\r]/.test(c.name)) return "invalid codec name";
    if (c.name.includes("/")) return "codec name must not contain '/'";
  }
  if (media.media_timeout !== undefined) {
    const negative = media.media_timeout.startsWith("-");
    if (negative && media.media_timeout !== "-0s") return "media_timeout must not be negative";
    const seconds = Number(media.media_timeout.replace(/^-/, "").replace(/s$/, ""));
    if (!negative && seconds > MAX_MEDIA_TIMEOUT_SECONDS) return "media_timeout must not exceed 10m0s";
  }
  return undefined;
}

/** SIPDispatchRuleInfo.Validate(). */
export function validateInfo(info: RuleInfo): string | undefined {
  if (info.rule === null) return "missing rule";
  return validateMedia(info.media);
}

/** ListUpdate.Validate(). */
export function validateListUpdate(u: ListUpdateMsg | null): string | undefined {
  if (u === null) return undefined;
  const change = u.set.length + u.add.length + u.remove.length > 0;
  if (!u.clear && !change) return "unsupported list update operation";
  if (u.clear && change) return "cannot clear and change the list at the same time";
  if (u.set.length > 0 && u.add.length + u.remove.length > 0) return "cannot set and change the list at the same time";
  for (const list of [u.set, u.add, u.remove]) if (list.includes("")) return "empty element in the list";
  return undefined;
}

/** SIPDispatchRuleUpdate.Validate(): the list update, then the media (§5.3). */
export function validateRuleUpdate(u: RuleUpdateMsg): string | undefined {
  return validateListUpdate(u.trunk_ids) ?? validateMedia(u.media);
}

// --- Upgrade() and the update semantics ---

/**
 * SIPDispatchRuleInfo.Upgrade() (§2.7): `media` becomes non-null, and a legacy
 * `media_encryption` other than DISABLE fills an unset `media.encryption`.
 */
export function upgrade(info: RuleInfo): RuleInfo {
  const media = info.media ?? { only_listed_codecs: false, codecs: [] };
  const fill = media.encryption === undefined && info.media_encryption !== DISABLE && info.media_encryption !== 0;
  const next = fill ? ordered<MediaMsg>(MEDIA_DESC.fields, { ...(media as unknown as Record<string, Canonical>), encryption: info.media_encryption }) : media;
  return next === info.media ? info : withInfo(info, { media: next as unknown as Canonical });
}

/** applyListUpdate: clear -> empty; set -> replace; else remove (first match) then add (no duplicates). */
export function applyListUpdate(list: readonly string[], u: ListUpdateMsg | null): readonly string[] {
  if (u === null) return list;
  if (u.clear) return [];
  if (u.set.length > 0) return [...u.set];
  const out = [...list];
  for (const v of u.remove) {
    const i = out.indexOf(v);
    if (i >= 0) out.splice(i, 1);
  }
  for (const v of u.add) if (!out.includes(v)) out.push(v);
  return out;
}

/** SIPDispatchRuleUpdate.Apply on a copy of the stored rule (§5.3); validation is the caller's. */
export function applyRuleUpdate(info: RuleInfo, u: RuleUpdateMsg): RuleInfo {
  const attributes: Record<string, string> = { ...info.attributes };
  for (const [k, v] of Object.entries(u.attributes)) {
    // applyMapDiff: "" deletes the key.
    if (v !== "") setOwn(attributes, k, v);
    else delete attributes[k];
  }
  const sortedAttributes: Record<string, string> = {};
  for (const k of Object.keys(attributes).sort()) setOwn(sortedAttributes, k, attributes[k] ?? "");
  let next = withInfo(info, {
    trunk_ids: applyListUpdate(info.trunk_ids, u.trunk_ids),
    rule: (u.rule ?? info.rule) as unknown as Canonical,
    name: u.name ?? info.name,
    metadata: u.metadata ?? info.metadata,
    attributes: sortedAttributes,
    media: (u.media ?? info.media) as unknown as Canonical,
    media_encryption: u.media_encryption ?? info.media_encryption,
  });
  next = upgrade(next);
  // "downgrade to a legacy field": media_encryption mirrors media.encryption after an update.
  return withInfo(next, { media_encryption: next.media?.encryption ?? DISABLE });
}

// --- the conflict key (§5.2) ---

const NUMBER_LIKE = /^\+?[\d\- ()]+$/;

/** livekit NormalizeNumber: strip spaces, '-', '(' and ')' from number-like strings and prefix '+'. */
export function normalizeNumber(num: string): string {
  if (num === "" || !NUMBER_LIKE.test(num)) return num;
  const stripped = num.replace(/[ \-()]/g, "");
  return stripped.startsWith("+") ? stripped : `+${stripped}`;
}

/** GetPinAndRoom's pin; undefined when no variant is set ("unsupported SIP Dispatch Rule"). */
export function pinOf(info: RuleInfo): string | undefined {
  const r = info.rule;
  const variant = r?.dispatch_rule_direct ?? r?.dispatch_rule_individual ?? r?.dispatch_rule_callee;
  if (variant !== undefined) return variant.pin;
  // A rule type only a newer server knows ("newer server" mode keeps it): its pin, if it has one.
  if (r === null || r === undefined) return undefined;
  for (const v of Object.values(r as Record<string, unknown>)) {
    if (typeof v === "object" && v !== null) return typeof (v as { pin?: unknown }).pin === "string" ? (v as { pin: string }).pin : "";
  }
  return undefined;
}

/**
 * Every (pin, trunk, inbound number, number) tuple of a rule in the validator's loop order, with
 * repeats kept: the validator checks a rule against itself too, so a rule listing the same trunk
 * twice (or "+1 555" and "1555") conflicts with itself.
 */
export function conflictKeys(info: RuleInfo): string[] | undefined {
  const pin = pinOf(info);
  if (pin === undefined) return undefined;
  const orWildcard = (l: readonly string[]) => (l.length === 0 ? [""] : l);
  const keys: string[] = [];
  for (const trunk of orWildcard(info.trunk_ids)) {
    for (const inbound of orWildcard(info.inbound_numbers)) {
      for (const number of orWildcard(info.numbers)) {
        keys.push(JSON.stringify([pin, trunk, normalizeNumber(inbound), normalizeNumber(number)]));
      }
    }
  }
  return keys;
}

// Pure. What the server holds that this version does not manage (SPEC §4, livekit-sip-api.md
// §3.1, §5.3): the listed rule's raw JSON is kept beside its RuleSpec, and an update's `replace`
// body is that raw rule with the managed fields overlaid, so a field added by a newer server (top
// level, in roomConfig, in an agent, in the rule type, in media) is never cleared by `replace`.
// Also lists those fields ("kept") for the plan.

import { setOwn } from "../model/index.js";
import { EGRESS_MESSAGES, EGRESS_ROOT } from "./egress-fields.js";

type Obj = Readonly<Record<string, unknown>>;

/** How a known field is carried by the overlay. */
type Field =
  | { readonly k: "leaf" }
  /** Server-owned (created_at, updated_at): carried from the listed rule as it is. */
  | { readonly k: "server" }
  /** The rule's ID: never sent inside `replace` (it is in the request, §5.3). */
  | { readonly k: "drop" }
  | { readonly k: "msg"; readonly m: Msg }
  /** A oneof member message: emitted only when the managed rule chooses it. */
  | { readonly k: "variant"; readonly m: Msg }
  /** A list of messages matched by an identifying field, else by position (no key: by position only). */
  | { readonly k: "list"; readonly m: Msg; readonly key: string | undefined };

interface Msg {
  /** Proto (snake_case) name -> how it is carried. */
  readonly fields: ReadonlyMap<string, Field>;
  /** JSON (camelCase) name -> proto name, for reading raw keys in either spelling. */
  readonly byCamel: ReadonlyMap<string, string>;
  /** Unknown keys are dropped, not carried (a oneof holder: an unknown key may be another variant). */
  readonly dropUnknown: boolean;
  /** The file's name of each field, for "kept" paths. */
  readonly fileName: ReadonlyMap<string, string>;
}

function camelOf(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function msg(fields: Readonly<Record<string, Field>>, opts: { dropUnknown?: boolean; fileNames?: Readonly<Record<string, string>> } = {}): Msg {
  const map = new Map(Object.entries(fields));
  const byCamel = new Map<string, string>();
  const fileName = new Map<string, string>();
  for (const snake of map.keys()) {
    byCamel.set(camelOf(snake), snake);
    fileName.set(snake, opts.fileNames?.[snake] ?? camelOf(snake));
  }
  return { fields: map, byCamel, dropUnknown: opts.dropUnknown ?? false, fileName };
}

const LEAF: Field = { k: "leaf" };
const DIRECT = msg({ room_name: LEAF, pin: LEAF });
const INDIVIDUAL = msg({ room_prefix: LEAF, pin: LEAF, no_randomness: LEAF });
const CALLEE = msg({ room_prefix: LEAF, pin: LEAF, randomize: LEAF });
const RULE = msg(
  { dispatch_rule_direct: { k: "variant", m: DIRECT }, dispatch_rule_individual: { k: "variant", m: INDIVIDUAL }, dispatch_rule_callee: { k: "variant", m: CALLEE } },
  { dropUnknown: true, fileNames: { dispatch_rule_direct: "direct", dispatch_rule_individual: "individual", dispatch_rule_callee: "callee" } },
);
/**
 * roomConfig.egress (RoomEgress and every message it reaches), from the generated field table
 * (egress-fields.ts, derived from the protocol's descriptors at gen time): unknown keys are carried
 * at every level (issue #12). A message field is emitted only when the file sets it (a variant):
 * an egress output or upload the file removed is not recreated from its unknown keys, and two
 * members of one oneof are never sent. Lists (outputs, webhooks) are matched by position.
 */
function egressMsg(name: string): Msg {
  const fields: Record<string, Field> = {};
  for (const [proto, kind] of Object.entries(EGRESS_MESSAGES[name] ?? {})) {
    if (kind === "" || kind === "map" || kind.startsWith("enum ")) fields[proto] = LEAF;
    else if (kind.startsWith("[]")) fields[proto] = { k: "list", m: egressMsg(kind.slice(2)), key: undefined };
    else fields[proto] = { k: "variant", m: egressMsg(kind) };
  }
  return msg(fields);
}
const EGRESS = egressMsg(EGRESS_ROOT);
const AGENT = msg({ agent_name: LEAF, metadata: LEAF, restart_policy: LEAF, deployment: LEAF, attributes: LEAF });
const ROOM_CONFIG = msg({
  name: LEAF, empty_timeout: LEAF, departure_timeout: LEAF, max_participants: LEAF, metadata: LEAF,
  // egress: the file's, with unknown keys of the listed one carried at every level.
  egress: { k: "variant", m: EGRESS }, min_playout_delay: LEAF, max_playout_delay: LEAF, sync_streams: LEAF,
  agents: { k: "list", m: AGENT, key: "agent_name" }, tags: LEAF,
});
const CODEC = msg({ name: LEAF, rate: LEAF });
const MEDIA = msg({ only_listed_codecs: LEAF, codecs: { k: "list", m: CODEC, key: "name" }, encryption: LEAF, media_timeout: LEAF });
const INFO = msg({
  sip_dispatch_rule_id: { k: "drop" },
  rule: { k: "msg", m: RULE },
  trunk_ids: LEAF, hide_phone_number: LEAF, inbound_numbers: LEAF, numbers: LEAF, name: LEAF, metadata: LEAF,
  attributes: LEAF, room_preset: LEAF,
  room_config: { k: "msg", m: ROOM_CONFIG },
  media: { k: "msg", m: MEDIA },
  krisp_enabled: LEAF, media_encryption: LEAF,
  created_at: { k: "server" }, updated_at: { k: "server" },
}, { fileNames: { rule: "" } });

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The proto name of a raw key in `m`, or undefined for a key this version does not know. */
function knownName(m: Msg, key: string): string | undefined {
  return m.fields.has(key) ? key : m.byCamel.get(key);
}

/** A value that says something: not null, "", 0, false, [] or an object of such values. */
export function meaningful(v: unknown): boolean {
  if (v === null || v === undefined || v === "" || v === 0 || v === false) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isObj(v)) {
    for (const k in v) if (Object.hasOwn(v, k) && meaningful(v[k])) return true;
    return false;
  }
  return true;
}

/** The spelling-independent identity of an unknown key (`future_flag` and `futureFlag` are one field). */
function identity(key: string): string {
  return camelOf(key);
}

/** The raw value of a known field under either spelling; null counts as absent. */
function rawField(raw: Obj | undefined, m: Msg, snake: string): unknown {
  if (raw === undefined) return undefined;
  const a = raw[snake];
  if (a !== undefined && a !== null) return a;
  const camel = camelOf(snake);
  if (camel === snake) return undefined;
  const b = raw[camel];
  return b === null ? undefined : b;
}

function overlayMsg(raw: Obj | undefined, managed: Obj | undefined, m: Msg): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const seen = new Set<string>();
  if (raw !== undefined) {
    for (const key of Object.keys(raw)) {
      const known = knownName(m, key);
      if (known === undefined) {
        if (m.dropUnknown) continue;
        // One field under two spellings would be rejected as `malformed` (§3.1): keep the first
        // that holds a value (null is unset, §3.1; keptFields lists the same one).
        const id = identity(key);
        if (seen.has(id) || raw[key] === null || raw[key] === undefined) continue;
        seen.add(id);
        setOwn(out, key, raw[key]);
      } else if ((m.fields.get(known) as Field).k === "server") {
        if (seen.has(known)) continue;
        seen.add(known);
        if (raw[key] !== null) setOwn(out, key, raw[key]);
      }
    }
  }
  for (const [snake, f] of m.fields) {
    const camel = camelOf(snake);
    const mv = managed?.[camel];
    switch (f.k) {
      case "leaf":
        if (mv !== undefined) out[camel] = mv;
        break;
      case "server":
      case "drop":
        break;
      case "variant": {
        if (mv === undefined) break;
        const rv = rawField(raw, m, snake);
        out[camel] = overlayMsg(isObj(rv) ? rv : undefined, isObj(mv) ? mv : {}, f.m);
        break;
      }
      case "msg": {
        const rv = rawField(raw, m, snake);
        const sub = overlayMsg(isObj(rv) ? rv : undefined, isObj(mv) ? mv : undefined, f.m);
        if (mv !== undefined || meaningful(sub)) out[camel] = sub;
        break;
      }
      case "list": {
        if (!Array.isArray(mv)) break;
        const rv = rawField(raw, m, snake);
        const rawItems = Array.isArray(rv) ? rv.filter(isObj) : [];
        const used = new Set<number>();
        out[camel] = mv.map((item: unknown, i: number) => {
          const managedItem = isObj(item) ? item : {};
          const base = matchItem(rawItems, managedItem, i, f.key, used);
          return overlayMsg(base, managedItem, f.m);
        });
        break;
      }
    }
  }
  return out;
}

/** The listed item a managed list item continues: same position and same key, else the first unused with that key. */
function matchItem(items: readonly Obj[], managed: Obj, i: number, key: string | undefined, used: Set<number>): Obj | undefined {
  if (key === undefined) {
    if (i >= items.length || used.has(i)) return undefined;
    used.add(i);
    return items[i];
  }
  const want = managed[camelOf(key)] ?? "";
  const keyOf = (o: Obj) => o[key] ?? o[camelOf(key)] ?? "";
  const at = items[i];
  if (at !== undefined && !used.has(i) && keyOf(at) === want) {
    used.add(i);
    return at;
  }
  const j = items.findIndex((o, n) => !used.has(n) && keyOf(o) === want);
  if (j < 0) return undefined;
  used.add(j);
  return items[j];
}

/**
 * The `replace` body: the listed rule `raw` with the managed encoding (camelCase, as encodeRuleInfo
 * writes it) overlaid. Fields this version knows come from `managed` only (absent = cleared, as
 * the file says); every other field of the listed rule is carried unchanged, in the spelling the
 * server used, and never twice (§3.1: the same field under both spellings is `malformed`).
 */
export function overlayReplace(raw: Obj | undefined, managed: Obj): Record<string, unknown> {
  return overlayMsg(raw, managed, INFO);
}

/**
 * The fields of a listed rule this version does not manage and that hold a value: the plan lists
 * them as "kept". Paths use the file's names for known parents and the server's spelling for the
 * unknown key (`roomConfig.agents[0].future_option`).
 */
export function keptFields(raw: Obj): string[] {
  const out: string[] = [];
  walkKept(raw, INFO, "", out);
  return out;
}

function walkKept(raw: Obj, m: Msg, path: string, out: string[]): void {
  // One field the server sent under both spellings is one field (issue #12): listed once, as
  // overlayMsg carries it (an unknown field: its first spelling that is not null; a known
  // message: the proto name's value first, as rawField reads it).
  let seen: Set<string> | undefined;
  // for-in, not Object.keys: this runs on every listed rule, and most hold no unknown key.
  for (const key in raw) {
    if (!Object.hasOwn(raw, key)) continue;
    const known = knownName(m, key);
    const value = raw[key];
    if (value === null || value === undefined) continue;
    if (known === undefined) {
      const id = identity(key);
      seen ??= new Set();
      if (seen.has(id)) continue;
      seen.add(id);
    } else if (known !== key && raw[known] !== null && raw[known] !== undefined) continue;
    if (known === undefined) {
      // Server text: a key that is not a plain identifier is shown quoted (no control characters in a plan).
      if (m.dropUnknown || !meaningful(value)) continue;
      const shown = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(key) ? key : JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}…` : key);
      out.push(path === "" ? shown : `${path}.${shown}`);
      continue;
    }
    const f = m.fields.get(known) as Field;
    if (f.k === "leaf" || f.k === "server" || f.k === "drop" || value === null || typeof value !== "object") continue;
    const name = m.fileName.get(known) as string;
    const sub = name === "" ? path : path === "" ? name : `${path}.${name}`;
    if ((f.k === "msg" || f.k === "variant") && isObj(value)) walkKept(value, f.m, sub, out);
    else if (f.k === "list" && Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (isObj(item)) walkKept(item, f.m, `${sub}[${i}]`, out);
      }
    }
  }
}

// Pure. The inbound-trunk table and its three methods (livekit-sip-api.md §11.1): List with the
// server's filters (`trunk_ids` membership; `numbers` normalised, trunks without numbers match
// every number) and paging (sorted by ID, everything after `after_id`, §5.4);
// CreateSIPInboundTrunk and DeleteSIPTrunk (the server has no DeleteSIPInboundTrunk) for tests
// and demos. Trunk passwords are stored and listed as a server does: the emulator is the server.
import { normalizeNumber } from "../model/index.js";
import type { Canonical, CanonicalMessage } from "./decode.js";
import { decodeMessage } from "./decode.js";
import { messageDesc } from "./descriptors.js";
import { fail, type TwirpFailure } from "./errors.js";
import { parseFirstJsonValue } from "./json-parse.js";

/** A stored SIPInboundTrunkInfo in the emulator's canonical form (snake_case, defaults present). */
export type TrunkInfo = CanonicalMessage & { readonly sip_trunk_id: string; readonly name: string; readonly numbers: readonly string[] };

export type TrunkResult = { readonly ok: true; readonly body: string; readonly changed: boolean } | { readonly ok: false; readonly failure: TwirpFailure };

export class TrunkStore {
  private readonly byId = new Map<string, { readonly info: TrunkInfo; readonly json: string }>();

  get size(): number {
    return this.byId.size;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  put(info: TrunkInfo): void {
    this.byId.set(info.sip_trunk_id, { info, json: JSON.stringify(info) });
  }

  delete(id: string): TrunkInfo | undefined {
    const rec = this.byId.get(id);
    this.byId.delete(id);
    return rec?.info;
  }

  clear(): void {
    this.byId.clear();
  }

  /** Sorted by ID (strings.Compare order for ASCII IDs). */
  sorted(): TrunkInfo[] {
    return [...this.byId.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((id) => (this.byId.get(id) as { info: TrunkInfo }).info);
  }

  jsonOf(id: string): string | undefined {
    return this.byId.get(id)?.json;
  }
}

/** Canonical SIPInboundTrunkInfo of any JSON value (snake or camel keys); throws DecodeError. */
export function decodeTrunkInfo(item: unknown): TrunkInfo {
  return decodeMessage(parseFirstJsonValue(JSON.stringify(item) ?? ""), messageDesc("SIPInboundTrunkInfo")) as TrunkInfo;
}

export interface TrunkCallContext {
  readonly trunks: TrunkStore;
  readonly newTrunkId: () => string;
  /** Test-only cap on List answers, as for rules (EmulatorFeatures.pageSize). */
  readonly pageSize: number | undefined;
}

const invalid = (msg: string): TrunkResult => ({ ok: false, failure: fail("invalid_argument", msg) });

/** ListSIPInboundTrunkRequest.Filter (livekit/protocol livekit/sip.go), then sorted paging. */
export function listTrunks(req: CanonicalMessage, ctx: TrunkCallContext): TrunkResult {
  const page = req.page as { after_id: string; limit: number } | null;
  const ids = req.trunk_ids as readonly string[];
  const numbers = (req.numbers as readonly string[]).map(normalizeNumber);
  const idSet = ids.length === 0 ? undefined : new Set(ids);
  const keep = (t: TrunkInfo) =>
    (idSet === undefined || idSet.has(t.sip_trunk_id)) &&
    (numbers.length === 0 || t.numbers.length === 0 || t.numbers.some((n) => numbers.includes(normalizeNumber(n))));
  const cap = ctx.pageSize;
  const max = cap === undefined ? Infinity : page !== null && page.limit > 0 ? Math.min(page.limit, cap) : cap;
  const afterId = page?.after_id ?? "";
  const out: string[] = [];
  for (const t of ctx.trunks.sorted()) {
    if (out.length >= max) break;
    if (afterId !== "" && t.sip_trunk_id <= afterId) continue;
    if (keep(t)) out.push(ctx.trunks.jsonOf(t.sip_trunk_id) ?? "{}");
  }
  return { ok: true, body: `{"items":[${out.join(",")}]}`, changed: false };
}

/** CreateSIPInboundTrunk: a new ST_ ID; the request must not carry one (messages derived, UNCONFIRMED). */
export function createTrunk(req: CanonicalMessage, ctx: TrunkCallContext): TrunkResult {
  const trunk = req.trunk as TrunkInfo | null;
  if (trunk === null) return invalid("trunk info is required");
  if (trunk.sip_trunk_id !== "") return invalid("trunk ID must be empty");
  let id = ctx.newTrunkId();
  while (ctx.trunks.has(id)) id = ctx.newTrunkId();
  const info = { ...trunk, sip_trunk_id: id } as TrunkInfo;
  ctx.trunks.put(info);
  return { ok: true, body: ctx.trunks.jsonOf(id) ?? "{}", changed: true };
}

/** DeleteSIPTrunk: answers with the deleted trunk as the legacy SIPTrunkInfo (AsTrunkInfo, derived). */
export function deleteTrunk(req: CanonicalMessage, ctx: TrunkCallContext): TrunkResult {
  const id = req.sip_trunk_id as string;
  if (id === "") return invalid("trunk ID is required");
  const info = ctx.trunks.delete(id);
  if (info === undefined) return { ok: false, failure: fail("not_found", "requested sip trunk does not exist") };
  const legacy: Record<string, Canonical> = {
    sip_trunk_id: info.sip_trunk_id,
    kind: "TRUNK_INBOUND",
    inbound_addresses: info.allowed_addresses ?? [],
    outbound_number: info.numbers[0] ?? "",
    inbound_numbers: info.allowed_numbers ?? [],
    inbound_username: info.auth_username ?? "",
    inbound_password: info.auth_password ?? "",
    name: info.name,
    metadata: info.metadata ?? "",
  };
  const body = JSON.stringify(decodeMessage(parseFirstJsonValue(JSON.stringify(legacy)), messageDesc("SIPTrunkInfo")));
  return { ok: true, body, changed: true };
}

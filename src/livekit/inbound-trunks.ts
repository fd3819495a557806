// Pure over an injected call. ListSIPInboundTrunk, every page (SPEC §8, livekit-sip-api.md
// §11.1, paging as §5.4), kept apart from the dispatch-rule client: the answer carries trunk
// passwords (auth_password), user names and headers in clear. Each item is reduced to its ID
// and name as it is decoded; nothing else is kept, and no message quotes a value of the answer.
import type { InboundTrunk } from "../model/index.js";
import { WireShapeError } from "./wire.js";

/** One List call: the parsed JSON object of a 2xx answer, or throws ApiError. */
export type ListCall = (request: unknown, signal: AbortSignal | undefined) => Promise<Readonly<Record<string, unknown>>>;

/** A guard against a server that keeps inventing IDs; far beyond any real trunk count. */
const MAX_PAGES = 1_000;

function field(obj: Readonly<Record<string, unknown>>, snake: string, camel: string): unknown {
  return Object.hasOwn(obj, snake) ? obj[snake] : Object.hasOwn(obj, camel) ? obj[camel] : undefined;
}

/** `items[i]` -> {id, name}; the rest of the item (credentials included) is never read. */
export function decodeTrunkItems(json: Readonly<Record<string, unknown>>): InboundTrunk[] {
  const items = json.items;
  // protojson omits an empty repeated field when asked to; the server emits `"items": []`.
  if (items === undefined) return [];
  if (!Array.isArray(items)) throw new WireShapeError("items", "not a list");
  return items.map((item: unknown, i) => {
    if (item === null || typeof item !== "object" || Array.isArray(item)) throw new WireShapeError(`items[${i}]`, "not a SIPInboundTrunkInfo object");
    const obj = item as Readonly<Record<string, unknown>>;
    const id = field(obj, "sip_trunk_id", "sipTrunkId");
    const name = field(obj, "name", "name") ?? "";
    if (typeof id !== "string" || id === "") throw new WireShapeError(`items[${i}].sip_trunk_id`, "missing or not a string");
    if (typeof name !== "string") throw new WireShapeError(`items[${i}].name`, "not a string");
    return { id, name };
  });
}

/**
 * Page size asked for. SPEC §8 budgets one List round trip per environment: a page shorter than
 * the limit asked for is the last one, so a project with fewer trunks than this costs exactly one
 * call (the open-source server answers everything after `after_id` at once, §5.4). A full page is
 * followed by the next (`after_id` = its last ID), so a server that caps pages at any size of at
 * least this many is still read completely: a name held by two trunks on different pages is
 * still found ambiguous.
 */
export const TRUNK_PAGE_LIMIT = 100;

/**
 * Every inbound trunk, sorted by ID: `page: {limit}`, then `afterId` = the last ID while pages
 * come back full; ends at a short page or one that brings no new ID (a server before paging
 * repeats all).
 */
export async function listAllInboundTrunks(call: ListCall, pageLimit: number = TRUNK_PAGE_LIMIT, signal?: AbortSignal): Promise<InboundTrunk[]> {
  const byId = new Map<string, InboundTrunk>();
  let afterId = "";
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const request = { page: afterId === "" ? { limit: pageLimit } : { afterId, limit: pageLimit } };
    const trunks = decodeTrunkItems(await call(request, signal));
    const fresh = trunks.filter((t) => !byId.has(t.id));
    for (const t of fresh) byId.set(t.id, t);
    const last = trunks[trunks.length - 1];
    if (fresh.length === 0 || last === undefined || trunks.length < pageLimit) return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    afterId = last.id;
  }
  throw new WireShapeError("", `paging did not end after ${MAX_PAGES} pages`);
}

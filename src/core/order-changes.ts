// Pure. Orders changes so that one that frees a conflict key runs before one that takes it
// (livekit-sip-api.md §5.2: the server rejects a rule sharing a (pin, trunk, inbound number,
// number) key with another, and does not lock between check and write). Operations whose keys do
// not meet carry no ordering between them and may run at the same time.
import {
  InternalError,
  conflictKeyIds,
  pinOf,
  type Change,
  type Operation,
  type Schedule,
  type RuleSpec,
  type ScheduledOperation,
  type UpdateChange,
} from "../model/index.js";
import { compareStrings } from "./canonical-json.js";

type Kind = "delete" | "update" | "create";
const KIND_RANK: Readonly<Record<Kind, number>> = { delete: 0, update: 1, create: 2 };

interface Draft {
  readonly change: number;
  readonly kind: Kind;
  readonly operation: Operation;
  readonly frees: ReadonlySet<string>;
  readonly takes: ReadonlySet<string>;
  readonly keys: readonly string[];
  /** Set when this draft is the create half of a recreate: the index of its delete half. */
  readonly afterDraft?: number;
}

function minus(a: ReadonlySet<string>, b: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  for (const k of a) if (!b.has(k)) out.add(k);
  return out;
}

/** Conflict key ids of a spec; one call of orderChanges asks for the same spec several times. */
type KeyIds = (spec: RuleSpec) => readonly string[];

function keyIdsMemo(): KeyIds {
  const memo = new Map<RuleSpec, readonly string[]>();
  return (spec) => {
    let ids = memo.get(spec);
    if (ids === undefined) {
      ids = conflictKeyIds(spec);
      memo.set(spec, ids);
    }
    return ids;
  };
}

const NO_KEYS: ReadonlySet<string> = new Set<string>();

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** True when the fields conflict keys are made of (conflictKeysOf) are the same, so are the keys. */
function sameKeyFields(a: RuleSpec, b: RuleSpec): boolean {
  return sameList(a.trunkIds, b.trunkIds) && sameList(a.inboundNumbers, b.inboundNumbers) && sameList(a.numbers, b.numbers) && pinOf(a) === pinOf(b);
}

/** Keys an in-place update gives up and keys it newly takes; keys it keeps need no ordering. */
function updateKeys(c: UpdateChange, keyIds: KeyIds): { frees: ReadonlySet<string>; takes: ReadonlySet<string> } {
  // The usual update (room, metadata, ...) keeps its keys: nothing to order.
  if (sameKeyFields(c.current, c.desired)) return { frees: NO_KEYS, takes: NO_KEYS };
  const current = new Set(keyIds(c.current));
  const desired = new Set(keyIds(c.desired));
  return { frees: minus(current, desired), takes: minus(desired, current) };
}

/** Strongly connected components (Tarjan) of a graph given as adjacency lists. */
function stronglyConnected(size: number, next: readonly (readonly number[])[]): number[][] {
  const index: number[] = new Array<number>(size).fill(-1);
  const low: number[] = new Array<number>(size).fill(0);
  const onStack: boolean[] = new Array<boolean>(size).fill(false);
  const stack: number[] = [];
  const out: number[][] = [];
  let counter = 0;
  const visit = (v: number): void => {
    index[v] = low[v] = counter++;
    stack.push(v);
    onStack[v] = true;
    for (const w of next[v] ?? []) {
      if (index[w] === -1) {
        visit(w);
        low[v] = Math.min(low[v] ?? 0, low[w] ?? 0);
      } else if (onStack[w]) {
        low[v] = Math.min(low[v] ?? 0, index[w] ?? 0);
      }
    }
    if (low[v] === index[v]) {
      const component: number[] = [];
      for (;;) {
        const w = stack.pop() as number;
        onStack[w] = false;
        component.push(w);
        if (w === v) break;
      }
      out.push(component);
    }
  };
  for (let v = 0; v < size; v++) if (index[v] === -1) visit(v);
  return out;
}

/**
 * Indexes of in-place updates that must become delete + create because their keys form a cycle
 * (rule A takes a key B gives up while B takes one A gives up, e.g. two rules swapping pins).
 * Creates only take and deletes only free, so only updates can form a cycle; turning one update
 * of each cycle into delete (frees everything) + create (takes everything) breaks it. The update
 * picked is the first by name then ID, so the choice is deterministic.
 */
export function keyCycleRecreates(changes: readonly Change[], keyIds: KeyIds = keyIdsMemo()): Set<number> {
  const recreate = new Set<number>();
  type Node = { readonly change: number; readonly c: UpdateChange; readonly frees: ReadonlySet<string>; readonly takes: ReadonlySet<string> };
  const all: Node[] = [];
  changes.forEach((c, i) => {
    if (c.action === "update" && c.method === "replace") all.push({ change: i, c, ...updateKeys(c, keyIds) });
  });
  for (;;) {
    const nodes = all.filter((n) => !recreate.has(n.change));
    const freers = new Map<string, number[]>();
    nodes.forEach((n, i) => {
      for (const k of n.frees) {
        const list = freers.get(k);
        if (list === undefined) freers.set(k, [i]);
        else list.push(i);
      }
    });
    const next: number[][] = nodes.map(() => []);
    let edges = 0;
    nodes.forEach((n, t) => {
      for (const k of n.takes) {
        for (const f of freers.get(k) ?? []) {
          if (f !== t) {
            next[f]?.push(t);
            edges += 1;
          }
        }
      }
    });
    // Without an edge there is no cycle.
    if (edges === 0) return recreate;
    const picks = stronglyConnected(nodes.length, next)
      .filter((scc) => scc.length > 1)
      .map((scc) => {
        const members = scc.map((i) => nodes[i] as Node);
        members.sort((a, b) => compareStrings(a.c.name, b.c.name) || compareStrings(a.c.id, b.c.id));
        return (members[0] as Node).change;
      });
    if (picks.length === 0) return recreate;
    for (const p of picks) recreate.add(p);
  }
}

function draftsOf(changes: readonly Change[], recreate: ReadonlySet<number>, keyIds: KeyIds): Draft[] {
  const drafts: Draft[] = [];
  const none = new Set<string>();
  changes.forEach((c, i) => {
    switch (c.action) {
      case "create": {
        const keys = keyIds(c.desired);
        drafts.push({ change: i, kind: "create", operation: { op: "create", name: c.name, spec: c.desired }, frees: none, takes: new Set(keys), keys });
        return;
      }
      case "delete": {
        const keys = keyIds(c.current);
        const operation: Operation = c.keptId === undefined ? { op: "delete", name: c.name, id: c.id } : { op: "delete", name: c.name, id: c.id, confirm: c.keptId };
        drafts.push({ change: i, kind: "delete", operation, frees: new Set(keys), takes: none, keys });
        return;
      }
      case "update": {
        if (c.method === "recreate" || recreate.has(i)) {
          const freed = keyIds(c.current);
          const taken = keyIds(c.desired);
          drafts.push({ change: i, kind: "delete", operation: { op: "delete", name: c.name, id: c.id }, frees: new Set(freed), takes: none, keys: freed });
          drafts.push({
            change: i,
            kind: "create",
            // The create half of a recreate carries what the listed rule held (SPEC §4).
            operation: c.base === undefined ? { op: "create", name: c.name, spec: c.desired } : { op: "create", name: c.name, spec: c.desired, base: c.base },
            frees: none,
            takes: new Set(taken),
            keys: taken,
            afterDraft: drafts.length - 1,
          });
          return;
        }
        const { frees, takes } = updateKeys(c, keyIds);
        // Keys of the same fields are the same list (conflictKeyIds has no repeats).
        const keys = sameKeyFields(c.current, c.desired) ? [...keyIds(c.current)] : [...new Set([...keyIds(c.current), ...keyIds(c.desired)])];
        drafts.push({ change: i, kind: "update", operation: c.base === undefined ? { op: "update", name: c.name, id: c.id, spec: c.desired } : { op: "update", name: c.name, id: c.id, spec: c.desired, base: c.base }, frees, takes, keys });
        return;
      }
    }
  });
  return drafts;
}

/**
 * Deletes that repair a conflict already on the server (duplicates left by a crash or a race,
 * or two changed rules that share a key now). While such a conflict exists the server rejects
 * every create (it validates all stored pairs) and possibly updates (livekit-sip-api.md §5.2,
 * §5.3), so every create and update waits for these deletes.
 */
function repairDeletes(changes: readonly Change[], drafts: readonly Draft[], keyIds: KeyIds): number[] {
  const holders = new Map<string, number>();
  changes.forEach((c) => {
    if (c.action === "create") return;
    for (const k of keyIds(c.current)) holders.set(k, (holders.get(k) ?? 0) + 1);
  });
  const out: number[] = [];
  drafts.forEach((d, i) => {
    if (d.kind !== "delete") return;
    const change = changes[d.change];
    const duplicate = change?.action === "delete" && change.reason === "duplicate";
    if (duplicate || [...d.frees].some((k) => (holders.get(k) ?? 0) > 1)) out.push(i);
  });
  return out;
}

/** Draft rank (kind, change, draft index), as one comparison. */
function rankBefore(drafts: readonly Draft[], i: number, j: number): boolean {
  const a = drafts[i] as Draft;
  const b = drafts[j] as Draft;
  const ka = KIND_RANK[a.kind];
  const kb = KIND_RANK[b.kind];
  if (ka !== kb) return ka < kb;
  if (a.change !== b.change) return a.change < b.change;
  return i < j;
}

/** A binary min-heap of draft indexes by rank. */
class ReadyQueue {
  private readonly heap: number[] = [];
  private readonly less: (i: number, j: number) => boolean;
  constructor(less: (i: number, j: number) => boolean) {
    this.less = less;
  }
  get size(): number {
    return this.heap.length;
  }
  push(v: number): void {
    const h = this.heap;
    let i = h.length;
    h.push(v);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent] as number;
      if (!this.less(v, p)) break;
      h[i] = p;
      i = parent;
    }
    h[i] = v;
  }
  pop(): number | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined || h.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && this.less(h[r] as number, h[l] as number) ? r : l;
      if (!this.less(h[c] as number, last)) break;
      h[i] = h[c] as number;
      i = c;
    }
    h[i] = last;
    return top;
  }
}

/**
 * The operations of a plan with their ordering constraints: an operation that takes a key runs
 * after every operation that frees it; the create half of a recreate runs after its delete.
 * Deterministic; operations are listed in an order that satisfies every constraint (deletes
 * first, then updates, then creates, each by change index, as far as the constraints allow).
 */
export function orderChanges(changes: readonly Change[]): Schedule {
  const keyIds = keyIdsMemo();
  const recreate = keyCycleRecreates(changes, keyIds);
  const drafts = draftsOf(changes, recreate, keyIds);
  const freers = new Map<string, number[]>();
  drafts.forEach((f, fi) => {
    for (const k of f.frees) {
      const list = freers.get(k);
      if (list === undefined) freers.set(k, [fi]);
      else list.push(fi);
    }
  });
  const before: Set<number>[] = drafts.map(() => new Set<number>());
  drafts.forEach((d, t) => {
    const preds = before[t] as Set<number>;
    if (d.afterDraft !== undefined) preds.add(d.afterDraft);
    for (const k of d.takes) for (const fi of freers.get(k) ?? []) if (fi !== t) preds.add(fi);
  });
  const repairs = repairDeletes(changes, drafts, keyIds);
  if (repairs.length > 0) {
    drafts.forEach((d, t) => {
      if (d.kind !== "delete") for (const r of repairs) before[t]?.add(r);
    });
  }

  // Kahn's algorithm, always taking the ready draft of lowest (kind, change, draft) rank.
  const waiting: number[] = before.map((b) => b.size);
  const successors: number[][] = drafts.map(() => []);
  before.forEach((preds, t) => {
    for (const p of preds) successors[p]?.push(t);
  });
  const ready = new ReadyQueue((i, j) => rankBefore(drafts, i, j));
  waiting.forEach((n, i) => {
    if (n === 0) ready.push(i);
  });
  const position: number[] = new Array<number>(drafts.length).fill(-1);
  const order: number[] = [];
  while (order.length < drafts.length) {
    const best = ready.pop();
    if (best === undefined) throw new InternalError("the operation order has a cycle after breaking key cycles");
    position[best] = order.length;
    order.push(best);
    for (const s of successors[best] ?? []) {
      const left = (waiting[s] as number) - 1;
      waiting[s] = left;
      if (left === 0) ready.push(s);
    }
  }

  const operations: ScheduledOperation[] = order.map((di, index) => {
    const d = drafts[di] as Draft;
    return {
      index,
      change: d.change,
      operation: d.operation,
      after: [...(before[di] ?? [])].map((p) => position[p] as number).sort((a, b) => a - b),
      keys: [...d.keys].sort(compareStrings),
    };
  });
  return { operations };
}

// Reference copy of src/core/order-changes.ts as it was before the planner speed-up (commit 415d88c), kept
// unchanged so that the property tests can check the fast planner against it. Not product code.
// Pure. Orders changes so that one that frees a conflict key runs before one that takes it
// (livekit-sip-api.md §5.2: the server rejects a rule sharing a (pin, trunk, inbound number,
// number) key with another, and does not lock between check and write). Operations whose keys do
// not meet carry no ordering between them and may run at the same time.
import {
  InternalError,
  conflictKeyIds,
  type Change,
  type Operation,
  type Schedule,
  type ScheduledOperation,
  type UpdateChange,
} from "../../../src/model/index.js";
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
  return new Set([...a].filter((k) => !b.has(k)));
}

/** Keys an in-place update gives up and keys it newly takes; keys it keeps need no ordering. */
function updateKeys(c: UpdateChange): { frees: Set<string>; takes: Set<string> } {
  const current = new Set(conflictKeyIds(c.current));
  const desired = new Set(conflictKeyIds(c.desired));
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
export function keyCycleRecreates(changes: readonly Change[]): Set<number> {
  const recreate = new Set<number>();
  for (;;) {
    const nodes: { readonly change: number; readonly c: UpdateChange; readonly frees: Set<string>; readonly takes: Set<string> }[] = [];
    changes.forEach((c, i) => {
      if (c.action === "update" && c.method === "replace" && !recreate.has(i)) nodes.push({ change: i, c, ...updateKeys(c) });
    });
    const freers = new Map<string, number[]>();
    nodes.forEach((n, i) => {
      for (const k of n.frees) freers.set(k, [...(freers.get(k) ?? []), i]);
    });
    const next: number[][] = nodes.map(() => []);
    nodes.forEach((n, t) => {
      for (const k of n.takes) for (const f of freers.get(k) ?? []) if (f !== t) next[f]?.push(t);
    });
    const picks = stronglyConnected(nodes.length, next)
      .filter((scc) => scc.length > 1)
      .map((scc) => {
        const members = scc.map((i) => nodes[i] as (typeof nodes)[number]);
        members.sort((a, b) => compareStrings(a.c.name, b.c.name) || compareStrings(a.c.id, b.c.id));
        return (members[0] as (typeof nodes)[number]).change;
      });
    if (picks.length === 0) return recreate;
    for (const p of picks) recreate.add(p);
  }
}

function draftsOf(changes: readonly Change[], recreate: ReadonlySet<number>): Draft[] {
  const drafts: Draft[] = [];
  const none = new Set<string>();
  changes.forEach((c, i) => {
    switch (c.action) {
      case "create": {
        const keys = conflictKeyIds(c.desired);
        drafts.push({ change: i, kind: "create", operation: { op: "create", name: c.name, spec: c.desired }, frees: none, takes: new Set(keys), keys });
        return;
      }
      case "delete": {
        const keys = conflictKeyIds(c.current);
        drafts.push({ change: i, kind: "delete", operation: { op: "delete", name: c.name, id: c.id, ...(c.keptId === undefined ? {} : { confirm: c.keptId }) }, frees: new Set(keys), takes: none, keys });
        return;
      }
      case "update": {
        if (c.method === "recreate" || recreate.has(i)) {
          const freed = conflictKeyIds(c.current);
          const taken = conflictKeyIds(c.desired);
          drafts.push({ change: i, kind: "delete", operation: { op: "delete", name: c.name, id: c.id }, frees: new Set(freed), takes: none, keys: freed });
          drafts.push({
            change: i,
            kind: "create",
            operation: { op: "create", name: c.name, spec: c.desired },
            frees: none,
            takes: new Set(taken),
            keys: taken,
            afterDraft: drafts.length - 1,
          });
          return;
        }
        const { frees, takes } = updateKeys(c);
        const keys = [...new Set([...conflictKeyIds(c.current), ...conflictKeyIds(c.desired)])];
        drafts.push({ change: i, kind: "update", operation: { op: "update", name: c.name, id: c.id, spec: c.desired }, frees, takes, keys });
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
function repairDeletes(changes: readonly Change[], drafts: readonly Draft[]): Set<number> {
  const holders = new Map<string, number>();
  changes.forEach((c) => {
    if (c.action === "create") return;
    for (const k of conflictKeyIds(c.current)) holders.set(k, (holders.get(k) ?? 0) + 1);
  });
  const out = new Set<number>();
  drafts.forEach((d, i) => {
    if (d.kind !== "delete") return;
    const change = changes[d.change];
    const duplicate = change?.action === "delete" && change.reason === "duplicate";
    if (duplicate || [...d.frees].some((k) => (holders.get(k) ?? 0) > 1)) out.add(i);
  });
  return out;
}

/**
 * The operations of a plan with their ordering constraints: an operation that takes a key runs
 * after every operation that frees it; the create half of a recreate runs after its delete.
 * Deterministic; operations are listed in an order that satisfies every constraint (deletes
 * first, then updates, then creates, each by change index, as far as the constraints allow).
 */
export function orderChanges(changes: readonly Change[]): Schedule {
  const recreate = keyCycleRecreates(changes);
  const drafts = draftsOf(changes, recreate);
  const before: Set<number>[] = drafts.map(() => new Set<number>());
  drafts.forEach((d, t) => {
    if (d.afterDraft !== undefined) before[t]?.add(d.afterDraft);
    for (const k of d.takes) drafts.forEach((f, fi) => {
      if (fi !== t && f.frees.has(k)) before[t]?.add(fi);
    });
  });
  const repairs = repairDeletes(changes, drafts);
  drafts.forEach((d, t) => {
    if (d.kind !== "delete") for (const r of repairs) before[t]?.add(r);
  });

  // Kahn's algorithm, always taking the ready draft of lowest (kind, change, draft) rank.
  const position = new Map<number, number>();
  const order: number[] = [];
  const rank = (i: number) => {
    const d = drafts[i] as Draft;
    return [KIND_RANK[d.kind], d.change, i] as const;
  };
  const remaining = new Set(drafts.map((_, i) => i));
  while (remaining.size > 0) {
    let best: number | undefined;
    for (const i of remaining) {
      if (![...(before[i] ?? [])].every((p) => position.has(p))) continue;
      if (best === undefined) best = i;
      else {
        const [a, b] = [rank(i), rank(best)];
        if (a[0] < b[0] || (a[0] === b[0] && (a[1] < b[1] || (a[1] === b[1] && a[2] < b[2])))) best = i;
      }
    }
    if (best === undefined) throw new InternalError("the operation order has a cycle after breaking key cycles");
    position.set(best, order.length);
    order.push(best);
    remaining.delete(best);
  }

  const operations: ScheduledOperation[] = order.map((di, index) => {
    const d = drafts[di] as Draft;
    return {
      index,
      change: d.change,
      operation: d.operation,
      after: [...(before[di] ?? [])].map((p) => position.get(p) as number).sort((a, b) => a - b),
      keys: [...d.keys].sort(compareStrings),
    };
  });
  return { operations };
}

// Test support (pure, in memory). Applies a Schedule's operations one by one to a simulated
// server that checks the dispatch-rule conflict rule the way LiveKit does on every write
// (livekit-sip-api.md §5.2 create: every stored pair plus the new rule; §5.3 update: the rules
// listed for the new trunk IDs, with the updated rule replaced), and lists rules back with every
// default filled in, like the wire decoder does.
import {
  conflictKeyIds,
  type Operation,
  type RemoteRule,
  type RuleSpec,
  type Schedule,
} from "../../src/model/index.js";
import { withServerDefaults } from "./builders.js";

/** The first pair of rules that share a conflict key, or undefined. */
export function findConflict(rules: readonly RemoteRule[]): readonly [RemoteRule, RemoteRule] | undefined {
  const seen = new Map<string, RemoteRule>();
  for (const r of rules) {
    for (const k of conflictKeyIds(r.spec)) {
      const other = seen.get(k);
      if (other !== undefined && other.id !== r.id) return [other, r];
      seen.set(k, r);
    }
  }
  return undefined;
}

/** ListSIPDispatchRule's trunk filter: rules with no trunks, or sharing one (livekit-sip-api.md §5.4). */
function listedFor(rules: readonly RemoteRule[], trunkIds: readonly string[] | undefined): RemoteRule[] {
  if (!trunkIds || trunkIds.length === 0) return [...rules];
  return rules.filter((r) => !r.spec.trunkIds || r.spec.trunkIds.length === 0 || r.spec.trunkIds.some((t) => trunkIds.includes(t)));
}

export type SimResult = { readonly ok: true } | { readonly ok: false; readonly error: string };

export class SimulatedServer {
  private readonly rules = new Map<string, RuleSpec>();
  private counter = 0;

  constructor(initial: readonly RemoteRule[] = []) {
    for (const r of initial) this.rules.set(r.id, r.spec);
  }

  /** Every rule, sorted by ID, in the decoder's default-filled form. */
  list(): RemoteRule[] {
    return [...this.rules.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([id, spec]) => ({ id, spec }));
  }

  apply(op: Operation): SimResult {
    switch (op.op) {
      case "create": {
        this.counter += 1;
        const id = `SDR_new${String(this.counter).padStart(9, "0")}`;
        const rule = { id, spec: withServerDefaults(op.spec) };
        const conflict = findConflict([...this.list(), rule]);
        if (conflict) return { ok: false, error: `create ${op.name}: conflict between ${conflict[0].id} and ${conflict[1].id}` };
        this.rules.set(id, rule.spec);
        return { ok: true };
      }
      case "update": {
        if (!this.rules.has(op.id)) return { ok: false, error: `update ${op.name}: ${op.id} not found` };
        const spec = withServerDefaults(op.spec);
        const seen = listedFor(this.list(), op.spec.trunkIds).map((r) => (r.id === op.id ? { id: op.id, spec } : r));
        const conflict = findConflict(seen);
        if (conflict) return { ok: false, error: `update ${op.name}: conflict between ${conflict[0].id} and ${conflict[1].id}` };
        this.rules.set(op.id, spec);
        return { ok: true };
      }
      case "delete":
        this.rules.delete(op.id);
        return { ok: true };
    }
  }
}

/** A small deterministic PRNG (mulberry32), so orders are reproducible from a fast-check seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random order the schedule allows: each step picks any operation whose `after` are all done. */
export function randomValidOrder(schedule: Schedule, random: () => number): number[] {
  const done = new Set<number>();
  const order: number[] = [];
  while (order.length < schedule.operations.length) {
    const ready = schedule.operations.filter((s) => !done.has(s.index) && s.after.every((a) => done.has(a)));
    if (ready.length === 0) throw new Error("schedule has an unsatisfiable ordering");
    const pick = ready[Math.floor(random() * ready.length)] as (typeof ready)[number];
    done.add(pick.index);
    order.push(pick.index);
  }
  return order;
}

/** Applies the schedule in the given order; stops at the first rejected operation. */
export function runSchedule(server: SimulatedServer, schedule: Schedule, order: readonly number[]): SimResult {
  for (const i of order) {
    const s = schedule.operations[i];
    if (s === undefined) return { ok: false, error: `no operation ${i}` };
    const result = server.apply(s.operation);
    if (!result.ok) return result;
  }
  return { ok: true };
}

// Pure. A string -> non-negative integer table for the planner's hot loops (rule names, conflict
// keys of 10,000 rules). On Node 20 a Map.set costs about four times this table's insert (V8
// grows and rehashes its ordered tables in runtime calls); lookups cost about the same. Open
// addressing with linear probing over an Int32Array; the keys themselves are kept to compare.
// Before the JIT has compiled it (the first plan of a process) the hash loop is interpreted and a
// Map is a few ms faster on 2,000 names; the steady state (watch, large files) is what this serves.

/** FNV-1a over the UTF-16 code units. */
function hashOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h;
}

const EMPTY = -1;

function checkValue(value: number): void {
  if (value < 0 || !Number.isInteger(value)) throw new RangeError(`StringIndex values are non-negative integers, not ${value}`);
}

export class StringIndex {
  /** Slot -> position in keys/values, or EMPTY. Its length is a power of two, at least twice the entries. */
  private table: Int32Array;
  private readonly keys: string[] = [];
  private readonly values: number[] = [];

  /** `expected`: how many keys will be added (the table is sized for it; more are fine). */
  constructor(expected = 8) {
    let size = 16;
    while (size < expected * 2) size *= 2;
    this.table = new Int32Array(size).fill(EMPTY);
  }

  get size(): number {
    return this.keys.length;
  }

  /** The value stored for `key`, or -1 when there is none. */
  get(key: string): number {
    const at = this.table[this.slotOf(key)] as number;
    return at === EMPTY ? -1 : (this.values[at] as number);
  }

  /** Stores `value` (>= 0) for `key` when the key is new and returns -1; else returns the stored value and changes nothing. */
  add(key: string, value: number): number {
    checkValue(value);
    const slot = this.slotOf(key);
    const at = this.table[slot] as number;
    if (at !== EMPTY) return this.values[at] as number;
    this.table[slot] = this.keys.length;
    this.keys.push(key);
    this.values.push(value);
    if (this.keys.length * 2 > this.table.length) this.grow();
    return -1;
  }

  /** Replaces the value of a key already present (add it first). */
  set(key: string, value: number): void {
    checkValue(value);
    const at = this.table[this.slotOf(key)] as number;
    if (at === EMPTY) throw new RangeError("StringIndex.set of a key that was never added");
    this.values[at] = value;
  }

  /** The slot holding `key`, or the empty slot where it would go (linear probing). */
  private slotOf(key: string): number {
    const table = this.table;
    const mask = table.length - 1;
    let slot = hashOf(key) & mask;
    for (;;) {
      const at = table[slot] as number;
      if (at === EMPTY || this.keys[at] === key) return slot;
      slot = (slot + 1) & mask;
    }
  }

  private grow(): void {
    const table = new Int32Array(this.table.length * 2).fill(EMPTY);
    const mask = table.length - 1;
    for (let at = 0; at < this.keys.length; at++) {
      let slot = hashOf(this.keys[at] as string) & mask;
      while (table[slot] !== EMPTY) slot = (slot + 1) & mask;
      table[slot] = at;
    }
    this.table = table;
  }
}

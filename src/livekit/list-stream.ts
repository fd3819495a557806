// No I/O (the kept bytes are deflated on libuv's thread pool): a List answer decoded as its bytes arrive (issue 19, "plan at the cost of a
// list"). The whole answer of 100,000 rules is about 100 MB of snake_case JSON; read as one text
// and JSON.parse'd, the body, its text and its parsed tree (several times the text) were all alive
// at once. Here a small splitter finds each item of `{"items":[{...},{...}], ...}` in the byte
// chunks (honouring strings and escapes), and each item is JSON.parse'd alone, handed on and
// dropped: what stays is the caller's decoding of it and the item's bytes (RawArena, compact and
// outside the JS heap), parsed again only when someone reads the rule's `raw`.
//
// The splitter is sure of only one shape: optional whitespace, `{`, the key `"items"` written
// plainly, `:`, `[`. Anything else at the top (another key first, an escaped key, a BOM-less
// non-object...) is collected whole and JSON.parse'd at the end, exactly as before. After the
// array, the rest of the object is checked by JSON.parse too; a later duplicate `"items"` wins, as
// it does in JSON.parse, so the caller is told to use that value instead.

import type * as Zlib from "node:zlib";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const HEAD = Buffer.from('"items"', "latin1");
/** The most bytes looked at before deciding whether the answer has the plain shape. */
const MAX_HEAD = 4096;

function isWs(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/**
 * The bytes of listed items, copied into slabs outside the JS heap (no object per item, no
 * garbage collector work). A full slab is deflated in the background (libuv's thread pool, level
 * 1: listed rules repeat their keys and defaults, 100,000 of them shrink about 20 times), and
 * inflated again only when a rule's `raw` is read: the plan reads the rules it updates only.
 * A small listing (under `packFrom` bytes) is never packed: it would only pay for loading zlib.
 */
export class RawArena {
  readonly #slabSize: number;
  readonly #packFrom: number;
  #slab: Slab | undefined;
  /** Slabs not packed yet, while the listing is under `packFrom`. */
  #waiting: Slab[] = [];
  readonly #packing = new Set<Promise<void>>();
  /** Bytes held as they arrived, and deflated (what they cost once packed). */
  #plain = 0;
  #packed = 0;
  /**
   * Slab buffers whose bytes are deflated, for the next slabs. A new buffer is fresh memory: its
   * pages are faulted in as the items are copied (at 100,000 rules, about 80 ms of a plan), and
   * the old one lingers until the garbage collector frees it (tens of MB of a plan's peak RSS).
   */
  readonly #free: Buffer[] = [];
  /** Slab buffers allocated (for tests and measurements). */
  #allocated = 0;
  constructor(slabSize = 1024 * 1024, packFrom = 8 * 1024 * 1024) {
    this.#slabSize = slabSize;
    this.#packFrom = packFrom;
  }
  /**
   * Copies the items of one chunk in a single copy of the bytes from the first one's start to the
   * last one's end (`bounds`: start, end, start, end, ... in `buf`), and returns where each is.
   */
  addItems(buf: Buffer, bounds: readonly number[]): RawBytes[] {
    const from = bounds[0] as number;
    const length = (bounds[bounds.length - 1] as number) - from;
    const at = this.add([buf.subarray(from, from + length)], length);
    const out: RawBytes[] = [];
    for (let k = 0; k < bounds.length; k += 2) out.push(at.part((bounds[k] as number) - from, (bounds[k + 1] as number) - from));
    return out;
  }
  /** Copies the pieces (one item's bytes, in order) and returns where they are. */
  add(pieces: readonly Buffer[], length: number): RawBytes {
    let slab = this.#slab;
    if (slab === undefined || slab.used + length > slab.size) {
      if (length > this.#slabSize / 4) {
        // A large item gets a slab of its own (a shared slab is not wasted on it).
        const own = new Slab(Buffer.allocUnsafeSlow(length), length);
        own.append(pieces);
        this.#plain += length;
        this.#full(own);
        return new RawBytes(own, 0, length);
      }
      if (slab !== undefined) this.#full(slab);
      slab = new Slab(this.#buffer(), this.#slabSize);
      this.#slab = slab;
    }
    const start = slab.used;
    slab.append(pieces);
    this.#plain += length;
    return new RawBytes(slab, start, slab.used);
  }
  /** The listing is complete: the last slab is packed too. */
  seal(): void {
    if (this.#slab !== undefined) this.#full(this.#slab);
    this.#slab = undefined;
  }
  /** Resolves once every slab packed so far is deflated (for tests and measurements). */
  async packed(): Promise<void> {
    await Promise.all([...this.#packing]);
  }
  /** The kept bytes: still as they arrived, and deflated. */
  stats(): { readonly plain: number; readonly packed: number } {
    return { plain: this.#plain, packed: this.#packed };
  }
  /** Slab buffers allocated so far (a packed slab's buffer is used again). */
  allocatedSlabs(): number {
    return this.#allocated;
  }
  #buffer(): Buffer {
    const reused = this.#free.pop();
    if (reused !== undefined) return reused;
    this.#allocated++;
    return Buffer.allocUnsafeSlow(this.#slabSize);
  }
  /** A slab that takes no more items: packed once the listing is large enough to pay for it. */
  #full(slab: Slab): void {
    if (this.#plain + this.#packed < this.#packFrom) {
      this.#waiting.push(slab);
      return;
    }
    for (const w of this.#waiting) this.#pack(w);
    this.#waiting = [];
    this.#pack(slab);
  }
  #pack(slab: Slab): void {
    const done = slab.pack().then((packed) => {
      this.#packing.delete(done);
      if (packed === undefined) return;
      this.#plain -= slab.used;
      this.#packed += packed.size;
      if (packed.buffer.length === this.#slabSize && this.#free.length < MAX_FREE_SLABS) this.#free.push(packed.buffer);
    });
    this.#packing.add(done);
  }
}

/** Packed slabs' buffers kept for reuse: the slabs deflating at one time are a few (libuv's pool has 4 threads). */
const MAX_FREE_SLABS = 8;

/** The few slabs inflated last, for reads in list order (export --format json, the plan's updates). */
const inflated: { slab: Slab; bytes: Buffer }[] = [];
const INFLATED_KEPT = 4;

class Slab {
  readonly size: number;
  used = 0;
  #plain: Buffer | undefined;
  #packed: Buffer | undefined;
  #packing = false;
  /** `buffer`: at least `size` bytes, owned by the slab until it is packed. */
  constructor(buffer: Buffer, size: number) {
    this.size = size;
    this.#plain = buffer;
  }
  append(pieces: readonly Buffer[]): void {
    const plain = this.#plain as Buffer;
    for (const p of pieces) this.used += p.copy(plain, this.used);
  }
  /**
   * Deflates the slab in the background; until that is done (or when it fails) it stays as it is.
   * Resolves with the deflated size and the buffer the slab no longer reads (free for another
   * slab), or undefined when the slab stays as it is.
   */
  pack(): Promise<{ readonly size: number; readonly buffer: Buffer } | undefined> {
    const plain = this.#plain;
    if (plain === undefined || this.used === 0 || this.#packing) return Promise.resolve(undefined);
    this.#packing = true;
    // Loaded only for a listing that fills a slab; getBuiltinModule (not import): see http-transport.ts.
    const zlib = process.getBuiltinModule("node:zlib") as typeof Zlib;
    return new Promise<{ readonly size: number; readonly buffer: Buffer } | undefined>((resolve) => {
      zlib.deflateRaw(plain.subarray(0, this.used), { level: 1 }, (err, packed) => {
        // A failed deflate leaves the slab as it is.
        if (err !== null) return resolve(undefined);
        this.#packed = packed;
        this.#plain = undefined;
        resolve({ size: packed.length, buffer: plain });
      });
    });
  }
  text(start: number, end: number): string {
    if (this.#plain !== undefined) return this.#plain.toString("utf8", start, end);
    let hit = inflated.find((x) => x.slab === this);
    if (hit === undefined) {
      const zlib = process.getBuiltinModule("node:zlib") as typeof Zlib;
      hit = { slab: this, bytes: zlib.inflateRawSync(this.#packed as Buffer) };
      inflated.unshift(hit);
      if (inflated.length > INFLATED_KEPT) inflated.pop();
    }
    return hit.bytes.toString("utf8", start, end);
  }
}

/** One item's JSON bytes in a slab. */
export class RawBytes {
  readonly #slab: Slab;
  readonly #start: number;
  readonly #end: number;
  constructor(slab: Slab, start: number, end: number) {
    this.#slab = slab;
    this.#start = start;
    this.#end = end;
  }
  text(): string {
    return this.#slab.text(this.#start, this.#end);
  }
  /** The bytes from `start` to `end` of these. */
  part(start: number, end: number): RawBytes {
    return new RawBytes(this.#slab, this.#start + start, this.#start + end);
  }
}

/** What the splitter hands on for each item: its parsed value, its index, and its bytes, kept in the splitter's arena. */
export type ItemSink = (value: unknown, index: number, raw: RawBytes) => void;

export type ListStreamResult =
  /** The plain shape: every item went to the sink (`count` of them). */
  | { readonly kind: "items"; readonly count: number }
  /** Not the plain shape, or a later duplicate `items`: the whole answer, parsed (JSON.parse's value). */
  | { readonly kind: "json"; readonly json: unknown }
  /** Not valid JSON; `bytes` is the answer's size (for the message). */
  | { readonly kind: "invalid"; readonly bytes: number; readonly empty: boolean };

type Mode = "small" | "head" | "items" | "tail" | "whole" | "invalid";

/**
 * Answers up to this size are parsed whole, as before: JSON.parse of a few MB is native and fast,
 * where the splitter, a byte loop not yet optimised by V8 that early in a process, costs a small
 * plan tens of milliseconds (10,000 rules, 8 MB: +60 ms); the memory it saves only matters for
 * large answers (16 MiB: about 20,000 realistic rules).
 */
export const STREAM_FROM_BYTES = 16 * 1024 * 1024;

/**
 * Feed the answer's chunks (`push`), then `end()`. The sink runs synchronously inside `push`;
 * an exception from it propagates out of `push` (the caller stops reading).
 */
export class ListStream {
  readonly #sink: ItemSink;
  readonly #arena: RawArena;
  #mode: Mode;
  readonly #streamFrom: number;
  #bytes = 0;
  /** head / whole / tail mode: the chunks kept. */
  #kept: Buffer[] = [];
  #keptLength = 0;
  // items mode
  #depth = 0;
  #inString = false;
  #escape = false;
  /** Inside an item (its first byte seen). */
  #inItem = false;
  /** After `[` or `,`: an item must follow (`]` only right after `[`). */
  #expectItem = true;
  #afterOpen = true;
  readonly #pieces: Buffer[] = [];
  #pieceLength = 0;
  #count = 0;

  /**
   * `arena`: where the items' bytes are kept. `streamFrom`: the size from which the answer is
   * split as it arrives (smaller: parsed whole).
   */
  constructor(sink: ItemSink, arena: RawArena, streamFrom = STREAM_FROM_BYTES) {
    this.#sink = sink;
    this.#arena = arena;
    this.#streamFrom = streamFrom;
    this.#mode = streamFrom > 0 ? "small" : "head";
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#bytes += chunk.length;
    switch (this.#mode) {
      case "small":
        this.#kept.push(chunk);
        this.#keptLength += chunk.length;
        if (this.#keptLength >= this.#streamFrom) {
          this.#mode = "head";
          this.#decideHead();
        }
        return;
      case "head":
        this.#kept.push(chunk);
        this.#keptLength += chunk.length;
        this.#decideHead();
        return;
      case "items":
        this.#scan(chunk, 0);
        return;
      case "tail":
      case "whole":
        this.#kept.push(chunk);
        this.#keptLength += chunk.length;
        return;
      case "invalid":
        return;
    }
  }

  end(): ListStreamResult {
    const mode = this.#mode;
    if (mode === "invalid") return this.#invalid();
    if (mode === "small" || mode === "head" || mode === "whole") return this.#parseWhole();
    if (mode === "items") return this.#invalid(); // the array or the object never closed
    // tail: `, "k": v ... }` or `}`, checked by JSON.parse; a duplicate "items" wins as in JSON.parse.
    const tail = this.#keptText();
    let rest: unknown;
    try {
      rest = JSON.parse(`{"items":0${tail}`);
    } catch {
      return this.#invalid();
    }
    const trimmed = tail.replace(/^[ \t\r\n]+/, "");
    if (trimmed.startsWith(",")) {
      const others = JSON.parse(`{${trimmed.slice(1)}`) as Record<string, unknown>;
      if (Object.hasOwn(others, "items")) return { kind: "json", json: rest };
    }
    return { kind: "items", count: this.#count };
  }

  #invalid(): ListStreamResult {
    return { kind: "invalid", bytes: this.#bytes, empty: this.#bytes === 0 };
  }

  #keptText(): string {
    const all = this.#kept.length === 1 ? (this.#kept[0] as Buffer) : Buffer.concat(this.#kept, this.#keptLength);
    this.#kept = [];
    this.#keptLength = 0;
    return all.toString("utf8");
  }

  #parseWhole(): ListStreamResult {
    let text = this.#keptText();
    // As fetch's text(): a leading BOM is not part of the JSON.
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    try {
      return { kind: "json", json: JSON.parse(text) };
    } catch {
      return { kind: "invalid", bytes: this.#bytes, empty: text.length === 0 };
    }
  }

  /** Head mode: is the start `{ "items" : [` (whitespace anywhere, a leading BOM)? */
  #decideHead(): void {
    // Only the first bytes decide (MAX_HEAD and the chunk that crosses it): the 16 MB a large
    // answer keeps before it streams are scanned chunk by chunk, never copied into one buffer.
    const kept = this.#kept;
    let headChunks = 0;
    let headLength = 0;
    while (headChunks < kept.length && headLength <= MAX_HEAD) headLength += (kept[headChunks++] as Buffer).length;
    const head = headChunks === 1 ? (kept[0] as Buffer) : Buffer.concat(kept.slice(0, headChunks), headLength);
    let i = 0;
    if (head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) i = 3;
    else if (head.length < 3 && head[0] === 0xef) return this.#needMore(head);
    const skip = (): boolean => {
      while (i < head.length && isWs(head[i] as number)) i++;
      return i < head.length;
    };
    if (!skip()) return this.#needMore(head);
    if (head[i] !== OPEN_BRACE) return this.#whole();
    i++;
    if (!skip()) return this.#needMore(head);
    for (let k = 0; k < HEAD.length; k++, i++) {
      if (i >= head.length) return this.#needMore(head);
      if (head[i] !== HEAD[k]) return this.#whole();
    }
    if (!skip()) return this.#needMore(head);
    if (head[i] !== 0x3a) return this.#whole();
    i++;
    if (!skip()) return this.#needMore(head);
    if (head[i] !== OPEN_BRACKET) return this.#whole();
    i++;
    this.#mode = "items";
    this.#kept = [];
    this.#keptLength = 0;
    if (i < head.length) this.#scan(head, i);
    let k = headChunks;
    for (; k < kept.length && this.#mode === "items"; k++) this.#scan(kept[k] as Buffer, 0);
    // The array closed inside the kept chunks: the chunks after that one are the tail.
    if ((this.#mode as Mode) === "tail") {
      for (; k < kept.length; k++) {
        this.#kept.push(kept[k] as Buffer);
        this.#keptLength += (kept[k] as Buffer).length;
      }
    }
  }

  #needMore(head: Buffer): void {
    if (head.length > MAX_HEAD) this.#whole();
  }

  #whole(): void {
    this.#mode = "whole";
  }

  /**
   * Items mode: finds item extents in `buf` from `from`. The items that start and end in `buf`
   * are parsed and kept together (#flush); an item that began in an earlier chunk alone (#endItem).
   */
  #scan(buf: Buffer, from: number): void {
    const n = buf.length;
    let i = from;
    let itemStart = this.#inItem ? from : -1;
    // Items begun and ended in this chunk: start, end, start, end, ...
    const batch: number[] = [];
    if (this.#inString && this.#escape) {
      // The chunk before ended inside a string on a backslash: this byte is escaped.
      this.#escape = false;
      i++;
    }
    while (i < n) {
      if (this.#inString) {
        // To the string's closing quote, byte by byte: strings are short (keys, IDs, names), and
        // a call of buf.indexOf per string cost more than the bytes it skipped (about 40 % of the
        // scan at 100,000 rules).
        let c = 0;
        while (i < n) {
          c = buf[i] as number;
          if (c === QUOTE || c === BACKSLASH) break;
          i++;
        }
        if (i === n) break;
        if (c === BACKSLASH) {
          // An escape: the next byte is part of the string whatever it is (it may be in the next chunk).
          if (i + 1 === n) {
            this.#escape = true;
            break;
          }
          i += 2;
          continue;
        }
        this.#inString = false;
        i++;
        continue;
      }
      const b = buf[i] as number;
      if (!this.#inItem) {
        if (isWs(b)) {
          i++;
          continue;
        }
        // `[]`: no item was found, so the batch is empty.
        if (b === CLOSE_BRACKET && this.#afterOpen) return this.#closeArray(buf, i + 1);
        if (b === COMMA || b === CLOSE_BRACKET || b === CLOSE_BRACE || !this.#expectItem) {
          // The items before the break are handed on first, as they were found.
          this.#flush(buf, batch);
          return this.#fail();
        }
        this.#inItem = true;
        this.#expectItem = false;
        this.#afterOpen = false;
        itemStart = i;
      }
      if (b === QUOTE) {
        this.#inString = true;
      } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
        this.#depth++;
      } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        if (this.#depth === 0) {
          if (b === CLOSE_BRACE) {
            this.#flush(buf, batch);
            return this.#fail();
          }
          this.#itemEnds(buf, batch, itemStart, i);
          this.#flush(buf, batch);
          if (this.#mode !== "items") return;
          return this.#closeArray(buf, i + 1);
        }
        this.#depth--;
      } else if (b === COMMA && this.#depth === 0) {
        this.#itemEnds(buf, batch, itemStart, i);
        itemStart = -1;
        this.#expectItem = true;
        if (this.#mode !== "items") return;
      }
      i++;
    }
    this.#flush(buf, batch);
    if (this.#mode === "items" && this.#inItem && itemStart >= 0 && itemStart < n) {
      const piece = buf.subarray(itemStart, n);
      this.#pieces.push(piece);
      this.#pieceLength += piece.length;
    }
  }

  /** The item from `start` ends at `end` of `buf`: to the batch, or alone when it began in an earlier chunk. */
  #itemEnds(buf: Buffer, batch: number[], start: number, end: number): void {
    this.#inItem = false;
    if (this.#pieces.length === 0) {
      batch.push(start, end);
      return;
    }
    // Only the first item of a chunk can have begun earlier: the batch is empty here.
    this.#endItem(buf, start, end);
  }

  /**
   * The batch's items, parsed as one JSON array (one string and one parse for a chunk's items, not
   * one each) and kept with one copy. A single item, or a batch whose array is not JSON, goes item
   * by item: the items before a broken one are handed on, as they were before.
   */
  #flush(buf: Buffer, batch: number[]): void {
    const count = batch.length / 2;
    if (count === 0) return;
    if (count > 1) {
      let values: unknown;
      try {
        values = JSON.parse(`[${buf.toString("utf8", batch[0] as number, batch[batch.length - 1] as number)}]`);
      } catch {
        values = undefined;
      }
      if (Array.isArray(values) && values.length === count) {
        const raws = this.#arena.addItems(buf, batch);
        batch.length = 0;
        for (let k = 0; k < count; k++) {
          this.#sink(values[k], this.#count, raws[k] as RawBytes);
          this.#count++;
        }
        return;
      }
    }
    const bounds = batch.splice(0);
    for (let k = 0; k < bounds.length && this.#mode === "items"; k += 2) this.#endItem(buf, bounds[k] as number, bounds[k + 1] as number);
  }

  /**
   * One item: the pieces kept from earlier chunks, and `buf` from `start` to `end`. The scan's
   * state is the caller's (#itemEnds ends the item; a batch leaves the chunk's open item open).
   */
  #endItem(buf: Buffer, start: number, end: number): void {
    const last = buf.subarray(start, end);
    // One array for the scan's whole life, emptied after each item (the arena copies the bytes): a
    // new one per item gave the optimised #scan an array of a map it had not seen at every chunk
    // boundary, and it was thrown away (deoptimised) about once a chunk.
    const pieces = this.#pieces;
    pieces.push(last);
    const length = this.#pieceLength + last.length;
    this.#pieceLength = 0;
    const text = pieces.length === 1 ? last.toString("utf8") : Buffer.concat(pieces, length).toString("utf8");
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.#fail();
      return;
    }
    const raw = this.#arena.add(pieces, length);
    pieces.length = 0;
    this.#sink(value, this.#count, raw);
    this.#count++;
  }

  #closeArray(buf: Buffer, at: number): void {
    this.#mode = "tail";
    if (at < buf.length) {
      const rest = buf.subarray(at);
      this.#kept.push(rest);
      this.#keptLength += rest.length;
    }
  }

  #fail(): void {
    this.#mode = "invalid";
    this.#pieces.length = 0;
    this.#pieceLength = 0;
    this.#kept = [];
  }
}

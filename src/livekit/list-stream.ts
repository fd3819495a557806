// Pure (no I/O): a List answer decoded as its bytes arrive (issue 19, "plan at the cost of a
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
 * The bytes of listed items, copied into large slabs (outside the JS heap, no object per item):
 * 100,000 rules cost their bytes and no garbage collector work.
 */
export class RawArena {
  readonly #slabSize: number;
  #slab: Buffer | undefined;
  #used = 0;
  constructor(slabSize = 4 * 1024 * 1024) {
    this.#slabSize = slabSize;
  }
  /** Copies the pieces (one item's bytes, in order) and returns where they are. */
  add(pieces: readonly Buffer[], length: number): RawBytes {
    let slab = this.#slab;
    if (slab === undefined || this.#used + length > slab.length) {
      if (length > this.#slabSize / 4) {
        // A large item gets a buffer of its own (a slab is not wasted on it).
        const own = Buffer.allocUnsafeSlow(length);
        copyPieces(pieces, own, 0);
        return new RawBytes(own, 0, length);
      }
      slab = Buffer.allocUnsafeSlow(this.#slabSize);
      this.#slab = slab;
      this.#used = 0;
    }
    const start = this.#used;
    copyPieces(pieces, slab, start);
    this.#used += length;
    return new RawBytes(slab, start, start + length);
  }
}

function copyPieces(pieces: readonly Buffer[], target: Buffer, at: number): void {
  let pos = at;
  for (const p of pieces) pos += p.copy(target, pos);
}

/** One item's JSON bytes in a slab. */
export class RawBytes {
  readonly slab: Buffer;
  readonly start: number;
  readonly end: number;
  constructor(slab: Buffer, start: number, end: number) {
    this.slab = slab;
    this.start = start;
    this.end = end;
  }
  text(): string {
    return this.slab.toString("utf8", this.start, this.end);
  }
}

/** What the splitter hands on for each item: its parsed value, its index, and its bytes (pieces of the chunks, valid during the call only). */
export type ItemSink = (value: unknown, index: number, pieces: readonly Buffer[], length: number) => void;

export type ListStreamResult =
  /** The plain shape: every item went to the sink (`count` of them). */
  | { readonly kind: "items"; readonly count: number }
  /** Not the plain shape, or a later duplicate `items`: the whole answer, parsed (JSON.parse's value). */
  | { readonly kind: "json"; readonly json: unknown }
  /** Not valid JSON; `bytes` is the answer's size (for the message). */
  | { readonly kind: "invalid"; readonly bytes: number; readonly empty: boolean };

type Mode = "head" | "items" | "tail" | "whole" | "invalid";

/**
 * Feed the answer's chunks (`push`), then `end()`. The sink runs synchronously inside `push`;
 * an exception from it propagates out of `push` (the caller stops reading).
 */
export class ListStream {
  readonly #sink: ItemSink;
  #mode: Mode = "head";
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
  #pieces: Buffer[] = [];
  #pieceLength = 0;
  #count = 0;

  constructor(sink: ItemSink) {
    this.#sink = sink;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#bytes += chunk.length;
    switch (this.#mode) {
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
    if (mode === "head" || mode === "whole") return this.#parseWhole();
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
    const head = this.#kept.length === 1 ? (this.#kept[0] as Buffer) : Buffer.concat(this.#kept, this.#keptLength);
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
  }

  #needMore(head: Buffer): void {
    if (head.length > MAX_HEAD) this.#whole();
  }

  #whole(): void {
    this.#mode = "whole";
  }

  /** Items mode: finds item extents in `buf` from `from`. */
  #scan(buf: Buffer, from: number): void {
    const n = buf.length;
    let i = from;
    let itemStart = this.#inItem ? from : -1;
    while (i < n) {
      if (this.#inString) {
        if (this.#escape) {
          this.#escape = false;
          i++;
          continue;
        }
        const q = buf.indexOf(QUOTE, i);
        if (q === -1) {
          // The string goes on in the next chunk; an odd run of backslashes at the end escapes its first byte.
          let k = n - 1;
          while (k >= i && buf[k] === BACKSLASH) k--;
          this.#escape = (n - 1 - k) % 2 === 1;
          break;
        }
        let k = q - 1;
        while (k >= i && buf[k] === BACKSLASH) k--;
        i = q + 1;
        if ((q - 1 - k) % 2 === 0) this.#inString = false;
        continue;
      }
      const b = buf[i] as number;
      if (!this.#inItem) {
        if (isWs(b)) {
          i++;
          continue;
        }
        if (b === CLOSE_BRACKET && this.#afterOpen) {
          return this.#closeArray(buf, i + 1);
        }
        if (b === COMMA || b === CLOSE_BRACKET || b === CLOSE_BRACE || !this.#expectItem) return this.#fail();
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
          if (b === CLOSE_BRACE) return this.#fail();
          this.#endItem(buf, itemStart, i);
          if (this.#mode !== "items") return;
          return this.#closeArray(buf, i + 1);
        }
        this.#depth--;
      } else if (b === COMMA && this.#depth === 0) {
        this.#endItem(buf, itemStart, i);
        itemStart = -1;
        this.#expectItem = true;
        if (this.#mode !== "items") return;
      }
      i++;
    }
    if (this.#inItem && itemStart >= 0 && itemStart < n) {
      const piece = buf.subarray(itemStart, n);
      this.#pieces.push(piece);
      this.#pieceLength += piece.length;
    }
  }

  #endItem(buf: Buffer, start: number, end: number): void {
    const last = buf.subarray(start, end);
    let pieces: Buffer[];
    let length: number;
    if (this.#pieces.length === 0) {
      pieces = [last];
      length = last.length;
    } else {
      pieces = this.#pieces;
      pieces.push(last);
      length = this.#pieceLength + last.length;
    }
    this.#pieces = [];
    this.#pieceLength = 0;
    this.#inItem = false;
    const text = pieces.length === 1 ? last.toString("utf8") : Buffer.concat(pieces, length).toString("utf8");
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.#fail();
      return;
    }
    this.#sink(value, this.#count, pieces, length);
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
    this.#pieces = [];
    this.#kept = [];
  }
}

// Property (pure): the streamed List decoder (src/livekit/list-stream.ts) gives what JSON.parse of
// the whole answer gives — the same items, each item's kept bytes parsing back to the same value —
// for arbitrary chunkings (a chunk boundary anywhere: inside an escape, between the two halves of
// a surrogate pair's UTF-8 bytes, inside "items") and hostile strings (`]`, `}`, `,`, quotes and
// backslashes, unicode); and it says "invalid" exactly when JSON.parse throws.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ListStream, RawArena, type ListStreamResult } from "../../src/livekit/list-stream.js";

const NASTY = ["]", "}", "],", "},", "]}", '"', '\\"', "\\", "\\\\", '\\\\"', ",", "{", "[", '{"items":[', "\u00e9", "日本", "😀", "\u2028", "\ufeff", "\\u0022", "\n\t\r", "\u0000", "\ud800"];
const str = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 10 }) },
  { weight: 2, arbitrary: fc.array(fc.constantFrom(...NASTY), { maxLength: 5 }).map((xs) => xs.join("")) },
);
const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    str,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(str, tie("value"), { maxKeys: 4 }),
  ),
})).value;
const item = fc.oneof({ weight: 4, arbitrary: fc.dictionary(str, json, { maxKeys: 6 }) }, { weight: 1, arbitrary: json });
const ws = fc.constantFrom("", " ", "\n", "\r\n  ", "\t");

/** A List answer as text: the plain shape with whitespace anywhere, or other keys, first or after. */
const answer = fc
  .record({
    items: fc.array(item, { maxLength: 8 }),
    before: fc.option(fc.dictionary(str, json, { maxKeys: 2 }), { nil: undefined }),
    after: fc.option(fc.dictionary(str, json, { maxKeys: 2 }), { nil: undefined }),
    indent: fc.constantFrom(undefined, 0, 1, 2, "\t"),
    pad: fc.tuple(ws, ws, ws, ws, ws),
    bom: fc.boolean(),
  })
  .map(({ items, before, after, indent, pad, bom }) => {
    const body = JSON.stringify(items, null, indent);
    const others = (o: Record<string, unknown> | undefined) => (o === undefined ? [] : Object.entries(o).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`));
    const parts = [...others(before), `${pad[1]}"items"${pad[2]}:${pad[3]}${body}`, ...others(after)];
    return `${bom ? "\ufeff" : ""}${pad[0]}{${parts.join(",")}}${pad[4]}`;
  });

/** Cut points in the UTF-8 bytes. */
function chunked(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of [...at, bytes.length]) {
    out.push(bytes.subarray(prev, c));
    prev = c;
  }
  return out;
}

interface Outcome {
  readonly result: ListStreamResult;
  readonly items: unknown[];
  readonly kept: unknown[];
}

function stream(chunks: readonly Buffer[], arena: RawArena, streamFrom = 0): Outcome {
  const items: unknown[] = [];
  const kept: unknown[] = [];
  const s = new ListStream(
    (value, i, raw) => {
      expect(i).toBe(items.length);
      items.push(value);
      kept.push(JSON.parse(raw.text()));
    },
    arena,
    streamFrom,
  );
  for (const c of chunks) s.push(Buffer.from(c)); // a copy: the splitter must not rely on chunks staying put
  return { result: s.end(), items, kept };
}

/** The items JSON.parse finds (its value for "items"), or "invalid". */
function reference(text: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    return "invalid";
  }
  return { parsed };
}

function effective(o: Outcome): unknown {
  if (o.result.kind === "invalid") return "invalid";
  if (o.result.kind === "json") return { parsed: o.result.json };
  return { items: o.items };
}

function check(text: string, cuts: readonly number[], slab: number, streamFrom = 0): void {
  const bytes = Buffer.from(text, "utf8");
  const o = stream(chunked(bytes, cuts), new RawArena(slab), streamFrom);
  // What the old path parsed: the bytes decoded whole (a lone surrogate in `text` is U+FFFD there).
  const ref = reference(bytes.toString("utf8"));
  const got = effective(o);
  if (ref === "invalid") {
    expect(got).toBe("invalid");
    return;
  }
  expect(got).not.toBe("invalid");
  const parsed = (ref as { parsed: unknown }).parsed;
  if (o.result.kind === "items") {
    expect(o.items).toEqual((parsed as { items: unknown }).items);
    expect(o.result.count).toBe(o.items.length);
  } else {
    expect(got).toEqual(ref);
  }
  // Every kept item's bytes parse back to the value handed on.
  expect(o.kept).toEqual(o.items);
}

const cuts = fc.array(fc.nat(), { maxLength: 12 });
const slab = fc.constantFrom(16, 64, 4096);
/** Where splitting starts: at once, after a few bytes (mid-answer), or never (parsed whole). */
const streamFrom = fc.constantFrom(0, 0, 1, 7, 40, 1 << 30);

describe("the streamed List decoder equals JSON.parse of the whole answer", () => {
  it("gives the same items and raw values for any chunking of any answer", () => {
    fc.assert(
      fc.property(answer, cuts, slab, streamFrom, (text, c, s, from) => check(text, c, s, from)),
      { numRuns: 400 },
    );
  });

  it("streams the plain shape item by item (no fallback), even one byte at a time", () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 6 }), fc.constantFrom(undefined, 2), (items, indent) => {
        const text = `{"items":${JSON.stringify(items, null, indent)},"next_page_token":""}`;
        const bytes = Buffer.from(text, "utf8");
        const o = stream(chunked(bytes, Array.from({ length: bytes.length }, (_, i) => i)), new RawArena(32));
        expect(o.result.kind).toBe("items");
        expect(o.items).toEqual(items);
        expect(o.kept).toEqual(items);
      }),
      { numRuns: 200 },
    );
  });

  it('says "invalid" exactly when JSON.parse throws, for damaged answers', () => {
    const damaged = fc
      .tuple(answer, fc.nat(), fc.constantFrom("", "]", "}", ",", '"', "\\", "[", "{", "x", " ", "]}", ",]", "1"), fc.boolean())
      .map(([text, at, insert, cut]) => {
        const p = at % (text.length + 1);
        return cut ? text.slice(0, p) : text.slice(0, p) + insert + text.slice(p);
      });
    fc.assert(
      fc.property(damaged, cuts, streamFrom, (text, c, from) => check(text, c, 64, from)),
      { numRuns: 600 },
    );
  });

  it("a later duplicate items key wins, as in JSON.parse", () => {
    const text = '{"items":[{"a":1}],"items":[{"b":"]}"}]}';
    const o = stream(chunked(Buffer.from(text), [3, 11, 20]), new RawArena());
    expect(o.result).toEqual({ kind: "json", json: { items: [{ b: "]}" }] } });
  });

  it("hostile strings split at every byte: escapes, brackets in strings, a surrogate pair's UTF-8 bytes", () => {
    const items = [{ s: 'a\\"]},[{', t: "😀\u00e9\\", u: "\\\\" }, ["]", "}", { k: "\\u005d" }], '"', 1.5e-7, null];
    const text = JSON.stringify({ items });
    const bytes = Buffer.from(text, "utf8");
    for (let cut = 0; cut <= bytes.length; cut++) {
      const o = stream(chunked(bytes, [cut]), new RawArena(16));
      expect(o.result.kind).toBe("items");
      expect(o.items).toEqual(items);
      expect(o.kept).toEqual(items);
    }
  });

  it("kept bytes read back the same once their slabs are deflated, in any order of reading", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(item, { minLength: 1, maxLength: 40 }), fc.constantFrom(64, 256, 4096), fc.func(fc.integer()), async (items, size, order) => {
        const arena = new RawArena(size, 0);
        const kept = items.map((v) => {
          const bytes = Buffer.from(JSON.stringify(v), "utf8");
          // Split in two pieces, as an item across two chunks arrives.
          const cut = bytes.length >> 1;
          return arena.add([bytes.subarray(0, cut), bytes.subarray(cut)], bytes.length);
        });
        arena.seal();
        await arena.packed();
        expect(arena.stats().plain).toBe(0);
        expect(arena.stats().packed).toBeGreaterThan(0);
        const idx = items.map((_, i) => i).sort((a, b) => order(a) - order(b));
        for (const i of idx) expect(JSON.parse((kept[i] as ReturnType<RawArena["add"]>).text())).toEqual(items[i]);
      }),
      { numRuns: 100 },
    );
  });

  it("an answer past the head's size, kept in many chunks before it streams, is split chunk by chunk", () => {
    const items = Array.from({ length: 150 }, (_, i) => ({ id: `SDR_${i}`, s: "a]},\\\"".repeat(i % 7), n: i }));
    for (const after of [`,"other":"${"x".repeat(3000)}"`, `,"items":[{"again":1}],"z":"${"y".repeat(3000)}"`]) {
      const bytes = Buffer.from(`{"items":${JSON.stringify(items)}${after}}`);
      // The array ends past MAX_HEAD (4096 bytes), and the answer switches to streaming only near its end.
      expect(`{"items":${JSON.stringify(items)}`.length).toBeGreaterThan(4096 + 200);
      const cutsAt = Array.from({ length: Math.floor(bytes.length / 97) }, (_, i) => (i + 1) * 97);
      for (const from of [bytes.length - 50, 5000, 4097]) {
        const o = stream(chunked(bytes, cutsAt), new RawArena(), from);
        const ref = JSON.parse(bytes.toString()) as { items: unknown };
        if (after.includes('"items"')) expect(o.result).toEqual({ kind: "json", json: ref });
        else {
          expect(o.result).toEqual({ kind: "items", count: items.length });
          expect(o.items).toEqual(items);
          expect(o.kept).toEqual(items);
        }
      }
    }
  });

  it("a packed slab's buffer holds later items, and every item still reads back", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(item, { minLength: 1, maxLength: 12 }), { minLength: 2, maxLength: 5 }), async (batches) => {
        const arena = new RawArena(64, 0);
        const kept: { value: unknown; raw: ReturnType<RawArena["add"]> }[] = [];
        for (const batch of batches) {
          for (const v of batch) {
            const bytes = Buffer.from(JSON.stringify(v), "utf8");
            kept.push({ value: v, raw: arena.add([bytes], bytes.length) });
          }
          arena.seal();
          // The batch's slabs are deflated before the next batch: their buffers are free then.
          await arena.packed();
        }
        // Items written into a reused buffer do not overwrite the packed ones, nor the reverse.
        for (const k of kept) expect(JSON.parse(k.raw.text())).toEqual(k.value);
        expect(arena.stats().plain).toBe(0);
      }),
      { numRuns: 100 },
    );
  });

  it("slab buffers are reused: a long listing packed as it goes allocates a few, not one per slab", async () => {
    const arena = new RawArena(512, 0);
    // About 75 bytes: a shared slab's item (a quarter of the slab or less), six to a slab.
    const item = Buffer.from(JSON.stringify({ sip_dispatch_rule_id: "SDR_x", name: "n".repeat(40) }));
    const kept: ReturnType<RawArena["add"]>[] = [];
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 6; i++) kept.push(arena.add([item], item.length));
      await arena.packed();
    }
    arena.seal();
    await arena.packed();
    // 300 items fill about 50 slabs.
    expect(item.length).toBeLessThanOrEqual(512 / 4);
    expect(arena.allocatedSlabs()).toBeLessThanOrEqual(4);
    for (const k of kept) expect(k.text()).toBe(item.toString());
  });

  it("a listing under the packing threshold is never deflated (no zlib for a small server)", async () => {
    const arena = new RawArena(64, 1024);
    const item = Buffer.from(JSON.stringify({ sip_dispatch_rule_id: "SDR_x", name: "n".repeat(20) }));
    const small = Array.from({ length: 10 }, () => arena.add([item], item.length));
    arena.seal();
    await arena.packed();
    expect(arena.stats()).toEqual({ plain: 10 * item.length, packed: 0 });
    const more = Array.from({ length: 30 }, () => arena.add([item], item.length));
    arena.seal();
    await arena.packed();
    // Past the threshold, the waiting slabs are packed too.
    expect(arena.stats().plain).toBe(0);
    for (const k of [...small, ...more]) expect(k.text()).toBe(item.toString());
  });

  it("an answer smaller than the threshold is parsed whole; a larger one is split from the threshold on", () => {
    const items = Array.from({ length: 50 }, (_, i) => ({ i, s: "x]}".repeat(i) }));
    const bytes = Buffer.from(JSON.stringify({ items }));
    const whole = stream(chunked(bytes, [100, 200, 300]), new RawArena(), bytes.length + 1);
    expect(whole.result).toEqual({ kind: "json", json: { items } });
    expect(whole.items).toEqual([]);
    const split = stream(chunked(bytes, [100, 200, 300]), new RawArena(), 150);
    expect(split.result).toEqual({ kind: "items", count: 50 });
    expect(split.items).toEqual(items);
  });

  it("an unclosed array or object, a trailing comma or stray bytes after the object are invalid", () => {
    for (const text of ['{"items":[{"a":1}', '{"items":[{"a":1}]', '{"items":[1,]}', '{"items":[,1]}', '{"items":[1]}x', '{"items":[1]]}', '{"items":[{]}]}', '{"items":[1 2]}', ""]) {
      expect(stream([Buffer.from(text)], new RawArena()).result.kind, text).toBe("invalid");
    }
  });
});

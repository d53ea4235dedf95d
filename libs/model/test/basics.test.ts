import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BOS_ID, CharTokenizer, EOS_ID, Rng, UNK_ID, mobyDickPassages } from "../src/index.ts";

describe("CharTokenizer", () => {
  it("round-trips any text made of fitted characters, with reserved ids for pad/bos/eos/unk", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "grapheme" }), { minLength: 1, maxLength: 5 }), (texts) => {
        const tok = CharTokenizer.fit(texts);
        for (const t of texts) expect(tok.decode(tok.encode(t))).toBe(t);
        expect(tok.vocabSize).toBe(new Set(texts.flatMap((t) => [...t])).size + 4);
      }),
    );
  });

  it("is independent of text order, maps unseen characters to UNK and survives JSON", () => {
    const a = CharTokenizer.fit(["hello", "world"]);
    const b = CharTokenizer.fit(["world", "hello"]);
    expect(a.characters).toEqual(b.characters);
    expect(a.encode("hez")).toEqual([...a.encode("he"), UNK_ID]);
    expect(CharTokenizer.fromJSON(JSON.parse(JSON.stringify(a.toJSON()))).encode("world")).toEqual(a.encode("world"));
  });

  it("frames examples with BOS/EOS and drops EOS when truncating", () => {
    const tok = CharTokenizer.fit(["abc"]);
    expect(tok.encodeExample("abc")).toEqual([BOS_ID, ...tok.encode("abc"), EOS_ID]);
    expect(tok.encodeExample("abc", 3)).toEqual([BOS_ID, ...tok.encode("ab")]);
  });
});

describe("Rng", () => {
  it("is repeatable from a seed and resumes exactly from its state", () => {
    const a = Rng.fromSeed(42, "shuffle");
    const first = Array.from({ length: 5 }, () => a.nextUint32());
    const saved = a.state;
    const rest = Array.from({ length: 5 }, () => a.nextUint32());
    const b = Rng.fromSeed(42, "shuffle");
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(first);
    const c = Rng.fromState(saved);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).toEqual(rest);
    expect(Rng.fromSeed(42, "init").nextUint32()).not.toBe(first[0]);
  });

  it("draws permutations, bounded integers and floats in range", () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 200 }), (seed, n) => {
        const rng = Rng.fromSeed(seed);
        expect([...rng.permutation(n)].sort((x, y) => x - y)).toEqual([...Array(n).keys()]);
        const k = rng.nextInt(n);
        expect(k >= 0 && k < n && Number.isInteger(k)).toBe(true);
        const f = rng.nextFloat();
        expect(f >= 0 && f < 1).toBe(true);
      }),
    );
  });
});

describe("the bundled Moby-Dick corpus", () => {
  const passages = mobyDickPassages();

  it("has thousands of passages of bounded length with unique, stable ids", () => {
    expect(passages.length).toBeGreaterThan(5000);
    expect(new Set(passages.map((p) => p.id)).size).toBe(passages.length);
    expect(passages.every((p) => p.text.length >= 100 && p.text.length <= 240)).toBe(true);
    expect(passages[0]!.id).toBe("moby-dick/etymology/p000");
    expect(passages.find((p) => p.id === "moby-dick/ch001/p000")!.text.startsWith("Call me Ishmael.")).toBe(true);
  });

  it("splits about 10 % into validation, deterministically", () => {
    const share = passages.filter((p) => p.split === "validation").length / passages.length;
    expect(share).toBeGreaterThan(0.08);
    expect(share).toBeLessThan(0.12);
    expect(mobyDickPassages()).toEqual(passages);
  });

  it("limits to a sample spread over the whole book, in book order", () => {
    const some = mobyDickPassages({ limit: 300 });
    expect(some).toHaveLength(300);
    const index = new Map(passages.map((p, i) => [p.id, i]));
    const positions = some.map((p) => index.get(p.id)!);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(positions.at(-1)! - positions[0]!).toBeGreaterThan(passages.length * 0.9);
  });
});

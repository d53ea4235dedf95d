import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { BLOCK_SIZE, BlockCellsBuilder } from "../src/services/dynamics-store.ts";

describe("BlockCellsBuilder", () => {
  test("groups cells by (epoch, block), sorted, NaN where the chunk has no cell", () => {
    const N = BLOCK_SIZE * 2 + 5;
    const b = new BlockCellsBuilder(N);
    expect(b.set(N - 1, 1, 0.5, 1)).toBe(true);
    expect(b.set(3, 1, 1.5, 0)).toBe(true);
    expect(b.set(BLOCK_SIZE, 0, 2.5, 0.25)).toBe(true);
    expect(b.set(0, 0, 0, 0)).toBe(true);
    const groups = b.sorted();
    expect(groups.map((g) => [g.epoch, g.block, g.loss.length, g.count])).toEqual([
      [0, 0, BLOCK_SIZE, 1],
      [0, 1, BLOCK_SIZE, 1],
      [1, 0, BLOCK_SIZE, 1],
      [1, 2, 5, 1],
    ]);
    expect(groups[3]!.loss[4]).toBe(0.5);
    expect(groups[2]!.acc[3]).toBe(0);
    expect(Number.isNaN(groups[2]!.loss[2]!)).toBe(true);
    expect(Number.isNaN(groups[2]!.acc[2]!)).toBe(true);
  });

  test("a repeated (ordinal, epoch) is refused and leaves the first value", () => {
    const b = new BlockCellsBuilder(10);
    expect(b.set(7, 2, 1, 1)).toBe(true);
    expect(b.set(7, 1, 2, 1)).toBe(true);
    expect(b.set(7, 2, 3, 0)).toBe(false);
    const [e1, e2] = b.sorted();
    expect([e1!.loss[7], e2!.loss[7], e2!.count]).toEqual([2, 1, 1]);
  });

  test("any set of finite cells round-trips; exactly the repeats are refused", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 * BLOCK_SIZE }),
        fc.array(fc.record({ o: fc.nat(), e: fc.nat({ max: 4 }), loss: fc.float({ min: 0, noNaN: true, noDefaultInfinity: true }) }), { maxLength: 200 }),
        (N, raw) => {
          const b = new BlockCellsBuilder(N);
          const seen = new Map<string, number>();
          for (const { o, e, loss } of raw) {
            const ordinal = o % N;
            const fresh = !seen.has(`${ordinal}:${e}`);
            expect(b.set(ordinal, e, loss, 0.5)).toBe(fresh);
            if (fresh) seen.set(`${ordinal}:${e}`, loss);
          }
          let count = 0;
          const wrong: string[] = [];
          for (const g of b.sorted()) {
            count += g.count;
            for (let i = 0; i < g.loss.length; i++) {
              const expected = seen.get(`${g.block * BLOCK_SIZE + i}:${g.epoch}`);
              const ok = expected === undefined ? Number.isNaN(g.loss[i]!) : Object.is(g.loss[i], Math.fround(expected));
              if (!ok) wrong.push(`${g.block * BLOCK_SIZE + i}:${g.epoch}`);
            }
          }
          expect(wrong).toEqual([]);
          expect(count).toBe(seen.size);
        },
      ),
      { numRuns: 50 },
    );
  });
});

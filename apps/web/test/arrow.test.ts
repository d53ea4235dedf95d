import { describe, expect, it } from "vitest";
import { DataMapFormatError, decodeDataMapArrow, type DataMapColumns } from "../src/data-map/arrow";
import { countByQuadrant, prepareDataMap, samePoints } from "../src/data-map/model";
import { API_ORDER, TEN, dataMapFile } from "./arrow-fixture";

const f32 = (xs: number[]) => Array.from(Float32Array.from(xs));

describe("Arrow data-map file → prepared map", () => {
  it("reads the API's layout: floats, dictionary codes, canary bits, thresholds and run id", () => {
    const bytes = dataMapFile(TEN, { runId: "run-42", thresholds: { difficulty: 1.25, memorization: 0.3, source: "fixed" } });
    const columns = decodeDataMapArrow(bytes);
    expect(columns.runId).toBe("run-42");
    expect(columns.count).toBe(10);
    expect(columns.ids).toBeNull();
    expect(columns.thresholds).toEqual({ difficulty: 1.25, memorization: 0.3, source: "fixed" });
    expect(columns.quadrantNames).toEqual(API_ORDER);

    const map = prepareDataMap(columns);
    expect(map.count).toBe(10);
    expect(map.runId).toBe("run-42");
    expect(Array.from(map.difficulty)).toEqual([0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5]);
    expect(Array.from(map.memorization)).toEqual(f32([0, 0.2, 0.4, 0, 0.2, 0.4, 0, 0.2, 0.4, 0]));
    // Quadrant of point i is API_ORDER[(i + 2) % 4]: codes 2, 3, 0, 1, …
    expect(Array.from(map.quadrant)).toEqual([2, 3, 0, 1, 2, 3, 0, 1, 2, 3]);
    expect(countByQuadrant(map.quadrant, 4)).toEqual([2, 2, 3, 3]);
    expect(map.canaryIndices).toEqual([1, 7, 8]);
    expect(Array.from(map.isCanary)).toEqual([0, 1, 0, 0, 0, 0, 0, 1, 1, 0]);
    expect(map.thresholds.difficulty).toBe(1.25);
    expect(map.memorizationStep).toBeCloseTo(0.2, 6);
    expect(map.jitter).toHaveLength(10);
  });

  it("uses the file's buffer for one record batch (no copy of the floats or codes)", () => {
    const bytes = dataMapFile(TEN);
    const columns = decodeDataMapArrow(bytes);
    expect(columns.difficulty).toBeInstanceOf(Float32Array);
    expect(columns.difficulty.buffer).toBe(bytes.buffer);
    expect(columns.memorization.buffer).toBe(bytes.buffer);
    expect(columns.quadrant.buffer).toBe(bytes.buffer);
    // The codes' buffer is padded past the last row: the column is cut to the row count.
    expect(columns.quadrant).toHaveLength(10);
    const map = prepareDataMap(columns);
    expect(map.difficulty).toBe(columns.difficulty);
  });

  it("keeps the dictionary's own order: codes index into the names as the file lists them", () => {
    const dictionary = ["NOISY_OUTLIER", "HOTSPOT_MEMORIZED", "STABLE_EASY", "AMBIGUOUS_HARD"];
    const map = prepareDataMap(decodeDataMapArrow(dataMapFile(TEN, { dictionary })));
    expect(map.quadrantNames).toEqual(dictionary);
    // HOTSPOT_MEMORIZED (point 0) is code 1 here, NOISY_OUTLIER (point 1) code 0, STABLE_EASY 2, AMBIGUOUS_HARD 3.
    expect(Array.from(map.quadrant)).toEqual([1, 0, 2, 3, 1, 0, 2, 3, 1, 0]);
    TEN.forEach((p, i) => expect(map.quadrantNames[map.quadrant[i]!]).toBe(p.quadrant));
    const counts = countByQuadrant(map.quadrant, 4);
    expect(Object.fromEntries(map.quadrantNames.map((name, q) => [name, counts[q]]))).toEqual({
      STABLE_EASY: 2,
      AMBIGUOUS_HARD: 2,
      HOTSPOT_MEMORIZED: 3,
      NOISY_OUTLIER: 3,
    });
  });

  it("concatenates several record batches (canary bits repacked across batch boundaries)", () => {
    const map = prepareDataMap(decodeDataMapArrow(dataMapFile(TEN, { batchSize: 3 })));
    expect(map.count).toBe(10);
    expect(Array.from(map.difficulty)).toEqual([0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5]);
    expect(Array.from(map.quadrant)).toEqual([2, 3, 0, 1, 2, 3, 0, 1, 2, 3]);
    expect(map.canaryIndices).toEqual([1, 7, 8]);
  });

  it("reads the canary bits from a bit offset", () => {
    // Bits 3.. of 0b1010_0000, 0b0000_0001: points 2, 4 and 5 are canaries.
    const columns: DataMapColumns = {
      runId: null,
      count: 6,
      difficulty: new Float32Array(6),
      memorization: new Float32Array(6),
      quadrant: new Uint8Array(6),
      quadrantNames: ["STABLE_EASY"],
      canaryBits: Uint8Array.of(0b1010_0000, 0b0000_0001),
      canaryBitOffset: 3,
      thresholds: { difficulty: 1, memorization: 0.5, source: "fixed" },
      memorizationSignal: null,
      ids: null,
    };
    expect(prepareDataMap(columns).canaryIndices).toEqual([2, 4, 5]);
  });

  it("gives example ids by point, from one or several batches, and never one out of range", () => {
    for (const batchSize of [undefined, 4]) {
      const { ids, count } = decodeDataMapArrow(dataMapFile(TEN, { ids: true, batchSize }));
      expect(ids).not.toBeNull();
      expect(ids!.count).toBe(count);
      TEN.forEach((p, i) => expect(ids!.get(i)).toBe(p.id));
      expect(ids!.pick([9, 0, 4])).toEqual([TEN[9]!.id, TEN[0]!.id, TEN[4]!.id]);
      expect(() => ids!.get(10)).toThrow(RangeError);
      expect(() => ids!.get(-1)).toThrow(RangeError);
    }
  });

  it("the file with ids holds the same points as the one without", () => {
    const map = prepareDataMap(decodeDataMapArrow(dataMapFile(TEN)));
    expect(samePoints(map, decodeDataMapArrow(dataMapFile(TEN, { ids: true })))).toBe(true);
    // Another dictionary order, same points.
    expect(samePoints(map, decodeDataMapArrow(dataMapFile(TEN, { ids: true, dictionary: [...API_ORDER].reverse() })))).toBe(true);
    // A re-scored run: one point moved, a canary flag or a quadrant changed, or another run.
    const moved = TEN.map((p, i) => (i === 6 ? { ...p, memorization: 0.6 } : p));
    expect(samePoints(map, decodeDataMapArrow(dataMapFile(moved, { ids: true })))).toBe(false);
    const flag = TEN.map((p, i) => (i === 9 ? { ...p, canary: true } : p));
    expect(samePoints(map, decodeDataMapArrow(dataMapFile(flag, { ids: true })))).toBe(false);
    const requadrant = TEN.map((p, i) => (i === 0 ? { ...p, quadrant: "STABLE_EASY" } : p));
    expect(samePoints(map, decodeDataMapArrow(dataMapFile(requadrant, { ids: true })))).toBe(false);
    expect(samePoints(map, decodeDataMapArrow(dataMapFile(TEN.slice(0, 9), { ids: true })))).toBe(false);
    expect(samePoints(map, decodeDataMapArrow(dataMapFile(TEN, { ids: true, runId: "run-2" })))).toBe(false);
  });

  it("reads which signal the memorization column is (gdc.memorizationSignal); null when the file does not say", () => {
    expect(prepareDataMap(decodeDataMapArrow(dataMapFile(TEN))).memorizationSignal).toBe("excessLossDrop");
    expect(decodeDataMapArrow(dataMapFile(TEN, { memorizationSignal: "forgetFrequency" })).memorizationSignal).toBe("forgetFrequency");
    expect(decodeDataMapArrow(dataMapFile(TEN, { memorizationSignal: null })).memorizationSignal).toBeNull();
  });

  it("refuses files it cannot draw", () => {
    expect(() => decodeDataMapArrow(dataMapFile(TEN, { format: "gdc.data-map/2" }))).toThrow(DataMapFormatError);
    expect(() => decodeDataMapArrow(new Uint8Array([1, 2, 3]))).toThrow();
  });

  it("reads an empty map", () => {
    const map = prepareDataMap(decodeDataMapArrow(dataMapFile([])));
    expect(map.count).toBe(0);
    expect(map.canaryIndices).toEqual([]);
    expect(map.memorizationStep).toBe(0);
  });
});

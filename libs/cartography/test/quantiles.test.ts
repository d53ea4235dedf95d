import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lowerQuantile, medianOfFloat32 } from "../src/index.ts";
import { maxBefore, minFrom, selectKth } from "../src/quantiles.ts";
import { numpyMedian } from "./reference.ts";

const floats = fc.array(fc.float({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 300 }).map((xs) => Float32Array.from(xs));

describe("order statistics", () => {
  it("medianOfFloat32 (radix select) equals numpy.median", () => {
    fc.assert(
      fc.property(floats, (values) => {
        expect(medianOfFloat32(values)).toBe(numpyMedian(values));
      }),
      { numRuns: 500 },
    );
    expect(medianOfFloat32(Float32Array.of(-1, -3, 2, 0))).toBe(-0.5);
    expect(medianOfFloat32(Float32Array.of(4))).toBe(4);
  });

  it("selectKth puts the k-th smallest at k with smaller values before and larger after", () => {
    fc.assert(
      fc.property(floats, fc.nat(), (values, seed) => {
        const k = seed % values.length;
        const sorted = Float32Array.from(values).sort();
        const copy = values.slice();
        expect(selectKth(copy, k)).toBe(sorted[k]);
        expect(maxBefore(copy, k)).toBeLessThanOrEqual(copy[k]!);
        expect(minFrom(copy, k + 1)).toBeGreaterThanOrEqual(copy[k]!);
      }),
      { numRuns: 500 },
    );
  });

  it("lowerQuantile is sorted[ceil(q·n) − 1], ties and all", () => {
    const tenths = Float64Array.from({ length: 10 }, (_, i) => i + 1);
    expect(lowerQuantile(tenths, 0.5)).toBe(5);
    expect(lowerQuantile(tenths, 0.7)).toBe(7); // 0.7 × 10 is 7.000000000000001 in floating point
    expect(lowerQuantile(tenths, 0.9)).toBe(9);
    expect(lowerQuantile(tenths, 0.91)).toBe(10);
    expect(lowerQuantile(tenths, 0)).toBe(1);
    expect(lowerQuantile(tenths, 1)).toBe(10);
    expect(lowerQuantile([0, 0, 0, 0.5, 1], 0.5)).toBe(0);
    expect(lowerQuantile([3, 1, 2], 0.5)).toBe(2);
  });
});

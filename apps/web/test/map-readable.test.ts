// The map's governance filter, quadrant marker shapes and robust axes (issue 15): pure parts.
import { describe, expect, it } from "vitest";
import { describeGovernance, GOVERNANCE_FLAGS, GOVERNANCE_STYLE, governanceMask, passesGovernanceFilter } from "../src/data-map/governance";
import { markerOffsets, QUADRANT_STYLE } from "../src/data-map/palette";
import { fitView, pointsOutside, robustView, sampledQuantiles } from "../src/data-map/scales";

describe("governance filter", () => {
  const { PENDING, APPROVED, REJECTED, PRUNED } = GOVERNANCE_FLAGS;
  it("shows all, any state, none, or the points carrying one flag (also among several)", () => {
    const flags = Uint8Array.of(0, PENDING, APPROVED, REJECTED | PENDING, PRUNED);
    expect(governanceMask(flags, "ALL")).toBeNull();
    expect([...governanceMask(flags, "ANY")!]).toEqual([0, 1, 1, 1, 1]);
    expect([...governanceMask(flags, "NONE")!]).toEqual([1, 0, 0, 0, 0]);
    expect([...governanceMask(flags, "PENDING")!]).toEqual([0, 1, 0, 1, 0]);
    expect([...governanceMask(flags, "REJECTED")!]).toEqual([0, 0, 0, 1, 0]);
    expect(passesGovernanceFilter(PRUNED, "PRUNED")).toBe(true);
    expect(describeGovernance(REJECTED | PENDING)).toBe("Pending, Rejected");
    expect(describeGovernance(0)).toBe("");
  });
  it("each state has an outline of its own form", () => {
    const markers = Object.values(GOVERNANCE_STYLE).map((s) => s.marker);
    expect(new Set(markers).size).toBe(markers.length);
  });
});

describe("quadrant markers", () => {
  it("four shapes, each a different set of pixels at every size the map draws", () => {
    const shapes = Object.values(QUADRANT_STYLE).map((s) => s.shape);
    expect(new Set(shapes).size).toBe(4);
    for (const size of [5, 7, 10, 14]) {
      const stamps = shapes.map((shape) => {
        const { dx, dy } = markerOffsets(shape, size);
        return [...dx]
          .map((x, k) => `${x},${dy[k]}`)
          .sort()
          .join(" ");
      });
      expect(new Set(stamps).size, `size ${size}`).toBe(4);
    }
  });
  it("a 5-pixel diamond or plus covers its centre's row and column out to ±2 (what the e2e tests aim at)", () => {
    for (const shape of ["diamond", "plus"] as const) {
      const { dx, dy } = markerOffsets(shape, 5);
      const has = (x: number, y: number) => [...dx].some((v, k) => v === x && dy[k] === y);
      for (const d of [-2, -1, 0, 1, 2]) {
        expect(has(d, 0)).toBe(true);
        expect(has(0, d)).toBe(true);
      }
    }
    expect(markerOffsets("square", 3).dx.length).toBe(9);
  });
});

describe("robust axes", () => {
  it("zoom to difficulty 0.5–99.5 % and memorization 0.5 % to the top, widened to hold the thresholds; the full range holds every point", () => {
    const n = 10_000;
    const difficulty = new Float32Array(n);
    const memorization = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      difficulty[i] = 1 + (i % 100) / 100; // 1 … 1.99
      memorization[i] = 0.1 + (i % 50) / 250; // 0.1 … 0.296
    }
    difficulty[0] = 40; // a few far-out points
    memorization[1] = 5; // the most memorized example: never zoomed away
    memorization[2] = -5; // the low tail is cut
    const full = fitView(difficulty, memorization);
    const robust = robustView(difficulty, memorization, { include: { x: [1.5], y: [0.05] } });
    expect(full.xMax).toBeGreaterThan(40);
    expect(robust.xMax).toBeLessThan(2.1);
    expect(robust.yMax).toBeGreaterThanOrEqual(5);
    expect(robust.yMin).toBeGreaterThan(-1);
    // θm = 0.05 lies below the data: the window takes it in.
    expect(robust.yMin).toBeLessThan(0.05);
    expect(pointsOutside(robust, difficulty, memorization)).toBe(2); // difficulty 40 and memorization −5
    expect(pointsOutside(full, difficulty, memorization)).toBe(0);
    // A sparse sample skips index 1; the top point still stays in view.
    expect(robustView(difficulty, memorization, { sample: 100 }).yMax).toBeGreaterThanOrEqual(5);
  });
  it("quantiles of a sample; degenerate data falls back on the full rules", () => {
    expect(sampledQuantiles(Float32Array.of(3, 1, 2, NaN), [0, 0.5, 1])).toEqual([1, 2, 3]);
    expect(sampledQuantiles(Float32Array.of(NaN), [0.5])).toBeNull();
    const flat = robustView(Float32Array.of(1, 1, 1), Float32Array.of(0, 0, 0));
    expect(flat.xMax - flat.xMin).toBeGreaterThan(0);
    expect(flat.yMax - flat.yMin).toBeGreaterThan(0);
  });
});

import { describe, expect, it } from "vitest";
import { decodeDataMapArrow } from "../src/data-map/arrow";
import { applyVisibility, countByQuadrant, jitterPixels, jitterUnit, prepareDataMap, projectPoints, smallestStep } from "../src/data-map/model";
import { makeScales } from "../src/data-map/scales";
import { dataMapFile } from "./arrow-fixture";

// Four points, one per quadrant, the third a canary — decoded from an Arrow file as the API sends it.
const columns = () =>
  decodeDataMapArrow(
    dataMapFile([
      { id: "a", difficulty: 0.5, memorization: 0, quadrant: "STABLE_EASY", canary: false },
      { id: "b", difficulty: 2.5, memorization: 0, quadrant: "AMBIGUOUS_HARD", canary: false },
      { id: "c", difficulty: 3.0, memorization: 0.4, quadrant: "HOTSPOT_MEMORIZED", canary: true },
      { id: "d", difficulty: 0.4, memorization: 0.6, quadrant: "NOISY_OUTLIER", canary: false },
    ]),
  );
const payload = columns();

describe("data map model", () => {
  it("prepares typed arrays, counts and canaries", () => {
    const map = prepareDataMap(payload);
    expect(map.count).toBe(4);
    expect(map.canaryIndices).toEqual([2]);
    expect(countByQuadrant(map.quadrant, 4)).toEqual([1, 1, 1, 1]);
    expect(map.memorizationStep).toBeCloseTo(0.2, 6); // float32 values, as stored
  });

  it("visibility follows the quadrant toggles", () => {
    const map = prepareDataMap(payload);
    const out = new Uint8Array(4);
    expect(applyVisibility(map.quadrant, [true, false, true, false], out)).toBe(2);
    expect([...out]).toEqual([1, 0, 1, 0]);
  });

  it("jitter is deterministic, within [-1, 1], and spread out", () => {
    const values = Array.from({ length: 10_000 }, (_, i) => jitterUnit(i));
    expect(values.every((v) => v >= -1 && v <= 1)).toBe(true);
    expect(jitterUnit(42)).toBe(jitterUnit(42));
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
  });

  it("jitter stays well inside the gap between memorization levels", () => {
    const map = prepareDataMap(payload);
    const scales = makeScales({ xMin: 0, xMax: 4, yMin: 0, yMax: 1 }, { left: 0, top: 0, width: 400, height: 100 });
    // One level (0.2) is 20 px here: 30 % of it.
    expect(jitterPixels(map, scales)).toBeCloseTo(6, 5); // float32 levels: 0.2 is 0.20000002
    const tall = makeScales({ xMin: 0, xMax: 4, yMin: 0, yMax: 1 }, { left: 0, top: 0, width: 400, height: 1000 });
    expect(jitterPixels(map, tall)).toBe(12); // capped
    const out = { x: new Float32Array(4), y: new Float32Array(4), visible: new Uint8Array(4) };
    projectPoints(map, scales, 0, out);
    expect(out.x[1]).toBeCloseTo(250, 3);
    expect(out.y[3]).toBeCloseTo(40, 3);
  });

  it("smallestStep is 0 for a single level", () => {
    expect(smallestStep([0.5, 0.5])).toBe(0);
    expect(smallestStep([0, 1 / 3, 2 / 3])).toBeCloseTo(1 / 3, 9);
  });
});

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { fitView, formatTick, makeScales, niceTicks, panView, zoomView, type PlotRect, type View } from "../src/data-map/scales";

const plot: PlotRect = { left: 50, top: 10, width: 800, height: 500 };
const finite = fc.double({ min: -1e3, max: 1e3, noNaN: true });
const view = fc
  .tuple(finite, fc.double({ min: 1e-3, max: 1e3, noNaN: true }), finite, fc.double({ min: 1e-3, max: 1e3, noNaN: true }))
  .map(([x, w, y, h]): View => ({ xMin: x, xMax: x + w, yMin: y, yMax: y + h }));

describe("scales", () => {
  it("maps the view's corners to the plot's corners, y upwards", () => {
    const s = makeScales({ xMin: 0, xMax: 4, yMin: 0, yMax: 1 }, plot);
    expect(s.x(0)).toBe(50);
    expect(s.x(4)).toBe(850);
    expect(s.y(0)).toBe(510);
    expect(s.y(1)).toBe(10);
  });

  it("invert is the inverse of the scale", () => {
    fc.assert(
      fc.property(view, fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (v, tx, ty) => {
        const s = makeScales(v, plot);
        const x = v.xMin + tx * (v.xMax - v.xMin);
        const y = v.yMin + ty * (v.yMax - v.yMin);
        expect(s.invertX(s.x(x))).toBeCloseTo(x, 6);
        expect(s.invertY(s.y(y))).toBeCloseTo(y, 6);
      }),
    );
  });

  it("zoom keeps the data point under the cursor where it is on screen", () => {
    fc.assert(
      fc.property(view, fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0.2, max: 5, noNaN: true }), (v, t, factor) => {
        const anchor = { x: v.xMin + t * (v.xMax - v.xMin), y: v.yMin + (1 - t) * (v.yMax - v.yMin) };
        const before = makeScales(v, plot);
        const after = makeScales(zoomView(v, anchor, factor), plot);
        expect(after.x(anchor.x)).toBeCloseTo(before.x(anchor.x), 4);
        expect(after.y(anchor.y)).toBeCloseTo(before.y(anchor.y), 4);
      }),
    );
  });

  it("zooming in by f shrinks both spans by f", () => {
    const z = zoomView({ xMin: 0, xMax: 10, yMin: 0, yMax: 1 }, { x: 5, y: 0.5 }, 2);
    expect(z).toEqual({ xMin: 2.5, xMax: 7.5, yMin: 0.25, yMax: 0.75 });
  });

  it("a pan followed by the opposite pan returns to the start; content follows the pointer", () => {
    fc.assert(
      fc.property(view, fc.double({ min: -500, max: 500, noNaN: true }), fc.double({ min: -500, max: 500, noNaN: true }), (v, dx, dy) => {
        const back = panView(panView(v, dx, dy, plot), -dx, -dy, plot);
        expect(back.xMin).toBeCloseTo(v.xMin, 6);
        expect(back.yMax).toBeCloseTo(v.yMax, 6);
      }),
    );
    const v = { xMin: 0, xMax: 8, yMin: 0, yMax: 1 };
    const moved = panView(v, 100, 0, plot);
    // A point at screen x=450 moves to x=550 after dragging right by 100 px.
    expect(makeScales(moved, plot).x(makeScales(v, plot).invertX(450))).toBeCloseTo(550, 6);
  });

  it("fitView contains every point, and memorization's range is the data's with 0 included", () => {
    const v = fitView([1, 2, 3.5], [0, 0.2, 0.4]);
    expect(v.xMin).toBeLessThan(1);
    expect(v.xMax).toBeGreaterThan(3.5);
    expect(v.yMin).toBeLessThan(0);
    // The data's top, not a fixed 1 (a forget frequency of at most 0.4 fills the plot).
    expect(v.yMax).toBeGreaterThan(0.4);
    expect(v.yMax).toBeLessThan(0.5);
    // A loss drop, in nats, may exceed 1 or be negative: all of it is shown, and 0 too.
    const drops = fitView([1, 2, 3], [-0.5, 2.5, 4]);
    expect(drops.yMin).toBeLessThan(-0.5);
    expect(drops.yMax).toBeGreaterThan(4);
    const positive = fitView([1, 2], [1.5, 3]);
    expect(positive.yMin).toBeLessThanOrEqual(0);
    expect(positive.yMin).toBeGreaterThan(-0.5);
    const negative = fitView([1, 2], [-3, -1]);
    expect(negative.yMax).toBeGreaterThanOrEqual(0);
    // Every point is inside, whatever the values.
    fc.assert(
      fc.property(fc.array(fc.tuple(finite, finite), { minLength: 1, maxLength: 50 }), (points) => {
        const w = fitView(
          points.map((p) => p[0]),
          points.map((p) => p[1]),
        );
        for (const [x, y] of points) {
          expect(x).toBeGreaterThanOrEqual(w.xMin);
          expect(x).toBeLessThanOrEqual(w.xMax);
          expect(y).toBeGreaterThanOrEqual(w.yMin);
          expect(y).toBeLessThanOrEqual(w.yMax);
        }
        expect(w.yMin).toBeLessThanOrEqual(0);
        expect(w.yMax).toBeGreaterThanOrEqual(0);
      }),
    );
    // Nothing memorized anywhere: [0, 1].
    const zeros = fitView([2, 2], [0, 0]);
    expect(zeros.xMax - zeros.xMin).toBeGreaterThan(0);
    expect(zeros.yMin).toBeLessThan(0);
    expect(zeros.yMax).toBeGreaterThan(1);
    expect(fitView([], [])).toMatchObject({ xMin: expect.any(Number) });
  });

  it("nice ticks are evenly spaced 1/2/5 steps inside the range", () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0.13, 9.7, 5)).toEqual([2, 4, 6, 8]);
    fc.assert(
      fc.property(finite, fc.double({ min: 1e-2, max: 1e3, noNaN: true }), fc.integer({ min: 2, max: 12 }), (min, span, count) => {
        const ticks = niceTicks(min, min + span, count);
        expect(ticks.length).toBeGreaterThan(0);
        expect(ticks.length).toBeLessThanOrEqual(count * 2 + 2);
        for (const t of ticks) {
          expect(t).toBeGreaterThanOrEqual(min - 1e-9 * span);
          expect(t).toBeLessThanOrEqual(min + span + 1e-6 * span);
        }
      }),
    );
    expect(niceTicks(1, 1)).toEqual([]);
  });

  it("tick labels use as many decimals as the step needs", () => {
    expect(formatTick(0.4, [0, 0.2, 0.4])).toBe("0.4");
    expect(formatTick(4, [2, 4, 6])).toBe("4");
    expect(formatTick(0.05, [0, 0.05, 0.1])).toBe("0.05");
  });
});

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { insidePolygon, nearestPoint, pointsInPolygon, pointsInRect, simplifyPath, type ScreenPoints } from "../src/data-map/hit-test";

function screen(points: [number, number][], visible?: number[]): ScreenPoints {
  return {
    x: Float32Array.from(points.map((p) => p[0])),
    y: Float32Array.from(points.map((p) => p[1])),
    visible: Uint8Array.from(visible ?? points.map(() => 1)),
  };
}

const coord = fc.integer({ min: 0, max: 1000 });
const cloud = fc.array(fc.tuple(coord, coord), { maxLength: 300 });

describe("hit tests", () => {
  it("nearestPoint finds the closest visible point within the radius", () => {
    const pts = screen([
      [10, 10],
      [20, 10],
      [100, 100],
    ]);
    expect(nearestPoint(pts, 12, 10, 8)).toBe(0);
    expect(nearestPoint(pts, 18, 11, 8)).toBe(1);
    expect(nearestPoint(pts, 60, 60, 8)).toBe(-1);
    const hidden = screen(
      [
        [10, 10],
        [20, 10],
      ],
      [0, 1],
    );
    expect(nearestPoint(hidden, 11, 10, 15)).toBe(1);
  });

  it("pointsInRect equals a brute-force check, whatever the corner order", () => {
    fc.assert(
      fc.property(cloud, coord, coord, coord, coord, (points, ax, ay, bx, by) => {
        const pts = screen(points);
        const expected = points
          .map((p, i) => [p, i] as const)
          .filter(([p]) => p[0] >= Math.min(ax, bx) && p[0] <= Math.max(ax, bx) && p[1] >= Math.min(ay, by) && p[1] <= Math.max(ay, by))
          .map(([, i]) => i);
        expect(pointsInRect(pts, { x: ax, y: ay }, { x: bx, y: by })).toEqual(expected);
        expect(pointsInRect(pts, { x: bx, y: by }, { x: ax, y: ay })).toEqual(expected);
      }),
    );
  });

  it("a rectangular lasso selects what a box selects (points off the boundary)", () => {
    fc.assert(
      fc.property(cloud, coord, coord, coord, coord, (points, ax, ay, bx, by) => {
        // Shift the corners by half a pixel so no integer point lies on the edge.
        const x0 = Math.min(ax, bx) - 0.5;
        const x1 = Math.max(ax, bx) + 0.5;
        const y0 = Math.min(ay, by) - 0.5;
        const y1 = Math.max(ay, by) + 0.5;
        const pts = screen(points);
        const lasso = pointsInPolygon(pts, [
          { x: x0, y: y0 },
          { x: x1, y: y0 },
          { x: x1, y: y1 },
          { x: x0, y: y1 },
        ]);
        expect(lasso).toEqual(pointsInRect(pts, { x: x0, y: y0 }, { x: x1, y: y1 }));
      }),
    );
  });

  it("a concave lasso leaves out its notch", () => {
    // A "U": the notch between x 40..60 above y 50 is outside.
    const u = [
      { x: 0, y: 0 },
      { x: 40, y: 0 },
      { x: 40, y: 50 },
      { x: 60, y: 50 },
      { x: 60, y: 0 },
      { x: 100, y: 0 },
      { x: 100, y: 100 },
      { x: 0, y: 100 },
    ];
    expect(insidePolygon(u, 50, 20)).toBe(false);
    expect(insidePolygon(u, 50, 80)).toBe(true);
    expect(insidePolygon(u, 20, 20)).toBe(true);
    const pts = screen([
      [50, 20],
      [50, 80],
      [20, 20],
      [150, 50],
    ]);
    expect(pointsInPolygon(pts, u)).toEqual([1, 2]);
  });

  it("hidden points are never selected; degenerate lassos select nothing", () => {
    const pts = screen(
      [
        [5, 5],
        [6, 6],
      ],
      [1, 0],
    );
    expect(pointsInRect(pts, { x: 0, y: 0 }, { x: 10, y: 10 })).toEqual([0]);
    expect(
      pointsInPolygon(pts, [
        { x: 0, y: 0 },
        { x: 10, y: 10 },
      ]),
    ).toEqual([]);
  });

  it("simplifyPath drops vertices closer than the minimum distance", () => {
    expect(
      simplifyPath(
        [
          { x: 0, y: 0 },
          { x: 0.5, y: 0 },
          { x: 3, y: 0 },
          { x: 3, y: 1 },
        ],
        2,
      ),
    ).toEqual([
      { x: 0, y: 0 },
      { x: 3, y: 0 },
    ]);
  });
});

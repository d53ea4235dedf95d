// Which points are under the pointer, in a box or in a lasso. Works on screen coordinates
// (already scaled and jittered), so what is selected is exactly what is drawn.

export interface ScreenPoints {
  /** Screen x per point (CSS pixels). */
  x: Float32Array;
  /** Screen y per point (CSS pixels). */
  y: Float32Array;
  /** 1 when the point is drawn (its quadrant is shown), else 0. */
  visible: Uint8Array;
}

export interface Point {
  x: number;
  y: number;
}

/** Index of the visible point nearest to (px, py) within `radius` pixels, or -1. */
export function nearestPoint(points: ScreenPoints, px: number, py: number, radius: number): number {
  let best = -1;
  let bestD = radius * radius;
  const { x, y, visible } = points;
  for (let i = 0; i < x.length; i++) {
    if (!visible[i]) continue;
    const dx = x[i]! - px;
    const dy = y[i]! - py;
    const d = dx * dx + dy * dy;
    if (d < bestD || (d === bestD && best === -1)) {
      bestD = d;
      best = i;
    }
  }
  return best;
}

/** Indices of visible points inside the rectangle spanned by two corners (inclusive). */
export function pointsInRect(points: ScreenPoints, a: Point, b: Point): number[] {
  const x0 = Math.min(a.x, b.x);
  const x1 = Math.max(a.x, b.x);
  const y0 = Math.min(a.y, b.y);
  const y1 = Math.max(a.y, b.y);
  const out: number[] = [];
  const { x, y, visible } = points;
  for (let i = 0; i < x.length; i++) {
    if (!visible[i]) continue;
    const xi = x[i]!;
    const yi = y[i]!;
    if (xi >= x0 && xi <= x1 && yi >= y0 && yi <= y1) out.push(i);
  }
  return out;
}

/** Even–odd rule: is (px, py) inside the closed polygon? */
export function insidePolygon(polygon: readonly Point[], px: number, py: number): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const pi = polygon[i]!;
    const pj = polygon[j]!;
    if (pi.y > py !== pj.y > py && px < ((pj.x - pi.x) * (py - pi.y)) / (pj.y - pi.y) + pi.x) inside = !inside;
  }
  return inside;
}

/** Indices of visible points inside a lasso (a closed polygon; fewer than 3 vertices selects nothing). */
export function pointsInPolygon(points: ScreenPoints, polygon: readonly Point[]): number[] {
  if (polygon.length < 3) return [];
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (const p of polygon) {
    x0 = Math.min(x0, p.x);
    x1 = Math.max(x1, p.x);
    y0 = Math.min(y0, p.y);
    y1 = Math.max(y1, p.y);
  }
  const out: number[] = [];
  const { x, y, visible } = points;
  for (let i = 0; i < x.length; i++) {
    if (!visible[i]) continue;
    const xi = x[i]!;
    const yi = y[i]!;
    // The bounding box rejects most points before the polygon test.
    if (xi < x0 || xi > x1 || yi < y0 || yi > y1) continue;
    if (insidePolygon(polygon, xi, yi)) out.push(i);
  }
  return out;
}

/** Drops lasso vertices closer than `minDistance` to the previous one (pointer jitter). */
export function simplifyPath(path: readonly Point[], minDistance = 2): Point[] {
  const out: Point[] = [];
  for (const p of path) {
    const last = out[out.length - 1];
    if (!last || Math.hypot(p.x - last.x, p.y - last.y) >= minDistance) out.push(p);
  }
  return out;
}

// Data space ↔ screen space for the data map, and the zoom/pan arithmetic. Pure functions.

/** The visible window in data units: difficulty on x, memorization on y. */
export interface View {
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
}

/** The plot rectangle in CSS pixels (inside the canvas, after the axis margins). */
export interface PlotRect {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface Scales {
  x(value: number): number;
  y(value: number): number;
  invertX(px: number): number;
  invertY(py: number): number;
}

/** Linear scales; y grows upwards (screen y downwards). */
export function makeScales(view: View, plot: PlotRect): Scales {
  const sx = plot.width / (view.xMax - view.xMin || 1);
  const sy = plot.height / (view.yMax - view.yMin || 1);
  return {
    x: (v) => plot.left + (v - view.xMin) * sx,
    y: (v) => plot.top + plot.height - (v - view.yMin) * sy,
    invertX: (px) => view.xMin + (px - plot.left) / sx,
    invertY: (py) => view.yMin + (plot.top + plot.height - py) / sy,
  };
}

/**
 * A view that shows every point with a margin. Memorization's range comes from the data, with
 * 0 always included (0 is "not memorized"; a loss drop may be negative, in nats, or above 1);
 * when every value is 0 it shows [0, 1].
 */
export function fitView(difficulty: ArrayLike<number>, memorization: ArrayLike<number>, padding = 0.04): View {
  let xMin = Infinity;
  let xMax = -Infinity;
  let yMin = 0;
  let yMax = 0;
  for (let i = 0; i < difficulty.length; i++) {
    const x = difficulty[i]!;
    if (Number.isFinite(x)) {
      if (x < xMin) xMin = x;
      if (x > xMax) xMax = x;
    }
  }
  for (let i = 0; i < memorization.length; i++) {
    const y = memorization[i]!;
    if (Number.isFinite(y)) {
      if (y < yMin) yMin = y;
      if (y > yMax) yMax = y;
    }
  }
  if (!Number.isFinite(xMin)) {
    xMin = 0;
    xMax = 1;
  }
  if (xMax - xMin < 1e-9) {
    xMin -= 0.5;
    xMax += 0.5;
  }
  if (yMax - yMin < 1e-9) yMax = yMin + 1;
  const px = (xMax - xMin) * padding;
  const py = (yMax - yMin) * padding;
  return { xMin: xMin - px, xMax: xMax + px, yMin: yMin - py, yMax: yMax + py };
}

/** Which window the map opens on: the robust range of the data (the default) or every point. */
export type AxisRange = "robust" | "full";

/**
 * The robust range's quantiles per axis. Difficulty: 0.5 % to 99.5 %. Memorization: from 0.5 %
 * to the very top. The most memorized examples are what the map exists to show (canaries and
 * other hotspots sit in the top 0.5 %), so zooming never hides them; only the low tail is cut.
 */
export const ROBUST_QUANTILES = { difficulty: [0.005, 0.995], memorization: [0.005, 1] } as const;

/**
 * The robust window: difficulty from its 0.5 % to its 99.5 % quantile, memorization from its
 * 0.5 % quantile to its maximum (ROBUST_QUANTILES), so a few extreme points no longer squeeze the
 * rest into a corner while every hotspot stays in view. The window is widened to take in
 * `include` (the threshold lines, so the quadrants stay readable) and gets a margin. Quantiles are
 * read from at most `sample` evenly spaced points (1 M points cost a sort of 200 k values, not
 * 1 M), but the memorization maximum is exact. Degenerate data falls back on fitView's rules.
 */
export function robustView(
  difficulty: ArrayLike<number>,
  memorization: ArrayLike<number>,
  options: { include?: { x?: readonly number[]; y?: readonly number[] }; padding?: number; sample?: number } = {},
): View {
  const padding = options.padding ?? 0.04;
  const full = fitView(difficulty, memorization, 0);
  const range = (
    values: ArrayLike<number>,
    [lo, hi]: readonly [number, number],
    fallback: [number, number],
    include: readonly number[] = [],
  ): [number, number] => {
    const q = sampledQuantiles(values, [lo, hi], options.sample ?? 200_000);
    if (!q) return fallback;
    let [min, max] = q as [number, number];
    // A sample can miss the top point: the maximum is the full range's (before its margin).
    if (hi >= 1) max = Math.max(max, fallback[1]);
    for (const v of include) {
      if (Number.isFinite(v)) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
    }
    if (max - min < 1e-9) return fallback;
    return [min, max];
  };
  const [xMin, xMax] = range(difficulty, ROBUST_QUANTILES.difficulty, [full.xMin, full.xMax], options.include?.x);
  const [yMin, yMax] = range(memorization, ROBUST_QUANTILES.memorization, [full.yMin, full.yMax], options.include?.y);
  const px = (xMax - xMin) * padding;
  const py = (yMax - yMin) * padding;
  return { xMin: xMin - px, xMax: xMax + px, yMin: yMin - py, yMax: yMax + py };
}

/** Quantiles (nearest rank) of the finite values, from an evenly spaced sample; null when there are none. */
export function sampledQuantiles(values: ArrayLike<number>, qs: readonly number[], sample = 200_000): number[] | null {
  const n = values.length;
  const stride = Math.max(1, Math.ceil(n / sample));
  const picked = new Float64Array(Math.ceil(n / stride));
  let m = 0;
  for (let i = 0; i < n; i += stride) {
    const v = values[i]!;
    if (Number.isFinite(v)) picked[m++] = v;
  }
  if (m === 0) return null;
  const sorted = picked.subarray(0, m).sort();
  return qs.map((q) => sorted[Math.min(m - 1, Math.max(0, Math.round(q * (m - 1))))]!);
}

/** How many points lie outside the window (finite values only). */
export function pointsOutside(view: View, difficulty: ArrayLike<number>, memorization: ArrayLike<number>): number {
  let outside = 0;
  for (let i = 0; i < difficulty.length; i++) {
    const x = difficulty[i]!;
    const y = memorization[i]!;
    if (x < view.xMin || x > view.xMax || y < view.yMin || y > view.yMax) outside++;
  }
  return outside;
}

/**
 * Zooms by `factor` (> 1 zooms in) keeping the data point under the cursor where it is.
 * The window never shrinks below `minSpan` (floating-point noise) on either axis.
 */
export function zoomView(view: View, anchor: { x: number; y: number }, factor: number, minSpan = 1e-6): View {
  const f = Math.max(factor, 1e-6);
  const xSpan = Math.max((view.xMax - view.xMin) / f, minSpan);
  const ySpan = Math.max((view.yMax - view.yMin) / f, minSpan);
  const tx = (anchor.x - view.xMin) / (view.xMax - view.xMin || 1);
  const ty = (anchor.y - view.yMin) / (view.yMax - view.yMin || 1);
  return {
    xMin: anchor.x - tx * xSpan,
    xMax: anchor.x + (1 - tx) * xSpan,
    yMin: anchor.y - ty * ySpan,
    yMax: anchor.y + (1 - ty) * ySpan,
  };
}

/** Moves the window by a drag of (dx, dy) screen pixels: the content follows the pointer. */
export function panView(view: View, dx: number, dy: number, plot: PlotRect): View {
  const ux = ((view.xMax - view.xMin) / plot.width) * dx;
  const uy = ((view.yMax - view.yMin) / plot.height) * dy;
  return { xMin: view.xMin - ux, xMax: view.xMax - ux, yMin: view.yMin + uy, yMax: view.yMax + uy };
}

/** Wheel delta (pixels) → zoom factor; smooth for trackpads, one notch ≈ 1.2×. */
export function wheelZoomFactor(deltaY: number): number {
  return Math.exp(-deltaY * 0.0015);
}

/** "Nice" tick values (1, 2, 5 × 10^k steps) covering [min, max], about `count` of them. */
export function niceTicks(min: number, max: number, count = 6): number[] {
  if (!(max > min) || !Number.isFinite(min) || !Number.isFinite(max)) return [];
  const raw = (max - min) / Math.max(count, 1);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / magnitude;
  const step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * magnitude;
  const start = Math.ceil(min / step) * step;
  const ticks: number[] = [];
  for (let v = start; v <= max + step * 1e-9; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  return ticks;
}

/** Label for a tick: as few decimals as the step needs. */
export function formatTick(value: number, ticks: number[]): string {
  const step = ticks.length > 1 ? Math.abs(ticks[1]! - ticks[0]!) : 1;
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step || 1))));
  return value.toFixed(decimals);
}

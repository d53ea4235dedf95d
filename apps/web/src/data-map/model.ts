// The `dataMap` payload (parallel arrays from the API) turned into typed arrays the canvas
// and the hit tests can loop over quickly, plus the counts the filters show.
import type { Scales } from "./scales";
import type { ScreenPoints } from "./hit-test";

export interface DataMapPayload {
  runId: string;
  count: number;
  ids: string[];
  difficulty: number[];
  memorization: number[];
  /** Index into `quadrants`, per point. */
  quadrant: number[];
  quadrants: string[];
  isCanary: boolean[];
  thresholds: { difficulty: number; memorization: number; source: string };
}

export interface PreparedDataMap {
  count: number;
  ids: string[];
  difficulty: Float64Array;
  memorization: Float64Array;
  quadrant: Uint8Array;
  quadrantNames: string[];
  isCanary: Uint8Array;
  canaryIndices: number[];
  thresholds: DataMapPayload["thresholds"];
  /** Deterministic per-point value in [-1, 1], scaled to a few pixels when jitter is on. */
  jitter: Float32Array;
  /** Smallest gap between distinct memorization values (they are multiples of 1/(T−1)). */
  memorizationStep: number;
}

export function prepareDataMap(payload: DataMapPayload): PreparedDataMap {
  const n = Math.min(payload.ids.length, payload.difficulty.length, payload.memorization.length, payload.quadrant.length);
  const difficulty = new Float64Array(n);
  const memorization = new Float64Array(n);
  const quadrant = new Uint8Array(n);
  const isCanary = new Uint8Array(n);
  const canaryIndices: number[] = [];
  const jitter = new Float32Array(n);
  // One pass over the parallel arrays (no intermediate copies: 100 k points are ~70 ms on a slow CPU otherwise).
  for (let i = 0; i < n; i++) {
    difficulty[i] = payload.difficulty[i]!;
    memorization[i] = payload.memorization[i]!;
    quadrant[i] = payload.quadrant[i]!;
    if (payload.isCanary[i]) {
      isCanary[i] = 1;
      canaryIndices.push(i);
    }
    jitter[i] = jitterUnit(i);
  }
  return {
    count: n,
    ids: payload.ids.length === n ? payload.ids : payload.ids.slice(0, n),
    difficulty,
    memorization,
    quadrant,
    quadrantNames: payload.quadrants,
    isCanary,
    canaryIndices,
    thresholds: payload.thresholds,
    jitter,
    memorizationStep: smallestStep(memorization),
  };
}

/** A well-spread deterministic value in [-1, 1] for index i (integer hash, no Math.random). */
export function jitterUnit(i: number): number {
  let h = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return ((h >>> 0) / 0xffffffff) * 2 - 1;
}

/** Smallest positive difference between distinct values (0 when fewer than two distinct). */
export function smallestStep(values: ArrayLike<number>): number {
  const seen = new Set<number>();
  for (let i = 0; i < values.length; i++) seen.add(Math.round(values[i]! * 1e9) / 1e9);
  const distinct = Array.from(seen).sort((a, b) => a - b);
  let step = Infinity;
  for (let i = 1; i < distinct.length; i++) step = Math.min(step, distinct[i]! - distinct[i - 1]!);
  return Number.isFinite(step) ? step : 0;
}

/** Points per quadrant index. */
export function countByQuadrant(quadrant: Uint8Array, quadrantCount: number): number[] {
  const counts = new Array<number>(quadrantCount).fill(0);
  for (let i = 0; i < quadrant.length; i++) {
    const q = quadrant[i]!;
    if (q < quadrantCount) counts[q]!++;
  }
  return counts;
}

/** 1 for points whose quadrant is shown. Returns how many are visible. */
export function applyVisibility(quadrant: Uint8Array, shown: readonly boolean[], out: Uint8Array): number {
  let visible = 0;
  for (let i = 0; i < quadrant.length; i++) {
    const v = shown[quadrant[i]!] ? 1 : 0;
    out[i] = v;
    visible += v;
  }
  return visible;
}

/**
 * Screen positions of every point. Memorization takes few distinct values, so points are
 * spread vertically by up to `jitterPx` (less than half a level apart) to show density.
 */
export function projectPoints(map: PreparedDataMap, scales: Scales, jitterPx: number, out: ScreenPoints): void {
  for (let i = 0; i < map.count; i++) {
    out.x[i] = scales.x(map.difficulty[i]!);
    out.y[i] = scales.y(map.memorization[i]!) + map.jitter[i]! * jitterPx;
  }
}

/**
 * Jitter amplitude in pixels: at most `maxPx`, and at most 30 % of the on-screen gap between
 * memorization levels, so every band stays clearly on its level while showing its density.
 */
export function jitterPixels(map: PreparedDataMap, scales: Scales, maxPx = 12): number {
  if (map.memorizationStep <= 0) return 0;
  const levelGap = Math.abs(scales.y(0) - scales.y(map.memorizationStep));
  return Math.max(0, Math.min(maxPx, levelGap * 0.3));
}

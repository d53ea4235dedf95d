// The data map's columns (decoded from the API's Arrow file, see arrow.ts) turned into the
// typed arrays the canvas and the hit tests loop over, plus the counts the filters show.
import type { DataMapColumns } from "./arrow";
import type { Scales } from "./scales";
import type { ScreenPoints } from "./hit-test";

export type { DataMapColumns, Thresholds } from "./arrow";

/**
 * What the canvas draws: the decoded columns (the float and quadrant arrays as they are, cut
 * to `count`), with the canary bits unpacked and the per-point jitter made.
 */
export interface PreparedDataMap extends Pick<
  DataMapColumns,
  "runId" | "count" | "difficulty" | "memorization" | "quadrant" | "quadrantNames" | "thresholds" | "memorizationSignal"
> {
  /** 1 for canaries, else 0. */
  isCanary: Uint8Array;
  canaryIndices: number[];
  /** Deterministic per-point value in [-1, 1], scaled to a few pixels when jitter is on. */
  jitter: Float32Array;
  /**
   * Smallest gap between distinct memorization values: 1/(T−1) for the forget frequency, whose
   * values are its multiples; next to 0 for a continuous signal such as the loss drop (no jitter).
   */
  memorizationStep: number;
}

/**
 * The prepared map, built straight from the decoded columns: the float and quadrant arrays
 * are used as they are (no copy), one pass unpacks the canary bits and makes the jitter.
 */
export function prepareDataMap(columns: DataMapColumns): PreparedDataMap {
  const n = Math.min(columns.count, columns.difficulty.length, columns.memorization.length, columns.quadrant.length);
  const isCanary = new Uint8Array(n);
  const canaryIndices: number[] = [];
  const jitter = new Float32Array(n);
  const bits = columns.canaryBits;
  const offset = columns.canaryBitOffset;
  for (let i = 0; i < n; i++) {
    const b = offset + i;
    if ((bits[b >> 3]! >> (b & 7)) & 1) {
      isCanary[i] = 1;
      canaryIndices.push(i);
    }
    jitter[i] = jitterUnit(i);
  }
  const cut = <T extends Float32Array | Uint8Array>(a: T): T => (a.length === n ? a : (a.subarray(0, n) as T));
  const memorization = cut(columns.memorization);
  return {
    runId: columns.runId,
    count: n,
    difficulty: cut(columns.difficulty),
    memorization,
    quadrant: cut(columns.quadrant),
    quadrantNames: columns.quadrantNames,
    isCanary,
    canaryIndices,
    thresholds: columns.thresholds,
    memorizationSignal: columns.memorizationSignal,
    jitter,
    memorizationStep: smallestStep(memorization),
  };
}

/**
 * True when `columns` (say, the file with ids, fetched later) hold exactly the points of
 * `map`: same count, coordinates, quadrants (by name) and canary flags. Only then may ids
 * from one file be paired with points from the other.
 */
export function samePoints(map: PreparedDataMap, columns: DataMapColumns): boolean {
  if (columns.count !== map.count || columns.difficulty.length < map.count || columns.memorization.length < map.count) return false;
  if (map.runId !== null && columns.runId !== null && map.runId !== columns.runId) return false;
  if (map.thresholds.difficulty !== columns.thresholds.difficulty || map.thresholds.memorization !== columns.thresholds.memorization) return false;
  const names = columns.quadrantNames.map((name) => map.quadrantNames.indexOf(name));
  const bits = columns.canaryBits;
  const offset = columns.canaryBitOffset;
  for (let i = 0; i < map.count; i++) {
    if (columns.difficulty[i] !== map.difficulty[i] && !(Number.isNaN(columns.difficulty[i]) && Number.isNaN(map.difficulty[i]))) return false;
    if (columns.memorization[i] !== map.memorization[i] && !(Number.isNaN(columns.memorization[i]) && Number.isNaN(map.memorization[i]))) return false;
    if (names[columns.quadrant[i]!] !== map.quadrant[i]) return false;
    const b = offset + i;
    if (((bits[b >> 3]! >> (b & 7)) & 1) !== map.isCanary[i]) return false;
  }
  return true;
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

/**
 * 1 for points whose quadrant is shown and that pass `filter` (1 per passing point, e.g. the
 * governance filter; null: every point passes). Returns how many are visible.
 */
export function applyVisibility(quadrant: Uint8Array, shown: readonly boolean[], out: Uint8Array, filter: Uint8Array | null = null): number {
  let visible = 0;
  for (let i = 0; i < quadrant.length; i++) {
    const v = shown[quadrant[i]!] && (!filter || filter[i]) ? 1 : 0;
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

import { ConfigError } from "./errors.ts";
import { lowerQuantile } from "./quantiles.ts";
import type { Scores } from "./scores.ts";

/** Quadrant names; a quadrant's code is its index here. */
export const QUADRANTS = ["STABLE_EASY", "AMBIGUOUS_HARD", "HOTSPOT_MEMORIZED", "NOISY_OUTLIER"] as const;
export type Quadrant = (typeof QUADRANTS)[number];

export const QUADRANT_CODE: { readonly [Q in Quadrant]: number } = {
  STABLE_EASY: 0,
  AMBIGUOUS_HARD: 1,
  HOTSPOT_MEMORIZED: 2,
  NOISY_OUTLIER: 3,
};

export function isQuadrant(value: unknown): value is Quadrant {
  return typeof value === "string" && (QUADRANTS as readonly string[]).includes(value);
}

export const DEFAULT_Q_DIFFICULTY = 0.5;
export const DEFAULT_Q_MEMORIZATION = 0.9;

/** Thresholds from quantiles of the run's own scores (the default). */
export interface QuantileQuadrantOptions {
  qDifficulty?: number;
  qMemorization?: number;
}
/** Fixed thresholds, e.g. to compare runs on one scale. */
export interface AbsoluteQuadrantOptions {
  difficulty: number;
  memorization: number;
}
export type QuadrantOptions = QuantileQuadrantOptions | AbsoluteQuadrantOptions;

export type QuadrantThresholds =
  | { source: "quantile"; difficulty: number; memorization: number; qDifficulty: number; qMemorization: number }
  | { source: "absolute"; difficulty: number; memorization: number };

export interface QuadrantAssignment {
  thresholds: QuadrantThresholds;
  /** Per example, an index into QUADRANTS. */
  quadrant: Uint8Array;
  counts: Record<Quadrant, number>;
}

function resolveThresholds(scores: Pick<Scores, "difficulty" | "memorization">, options: QuadrantOptions): QuadrantThresholds {
  if ("difficulty" in options || "memorization" in options) {
    const { difficulty, memorization } = options as AbsoluteQuadrantOptions;
    if (!Number.isFinite(difficulty)) throw new ConfigError("thresholds.difficulty", `must be a finite number, got ${difficulty}`);
    if (!Number.isFinite(memorization)) throw new ConfigError("thresholds.memorization", `must be a finite number, got ${memorization}`);
    return { source: "absolute", difficulty, memorization };
  }
  const { qDifficulty = DEFAULT_Q_DIFFICULTY, qMemorization = DEFAULT_Q_MEMORIZATION } = options;
  if (!(qDifficulty >= 0 && qDifficulty <= 1)) throw new ConfigError("qDifficulty", `must be in [0, 1], got ${qDifficulty}`);
  if (!(qMemorization >= 0 && qMemorization <= 1)) throw new ConfigError("qMemorization", `must be in [0, 1], got ${qMemorization}`);
  return {
    source: "quantile",
    difficulty: lowerQuantile(scores.difficulty, qDifficulty),
    memorization: lowerQuantile(scores.memorization, qMemorization),
    qDifficulty,
    qMemorization,
  };
}

/**
 * Places each example in a quadrant (DESIGN.md §1). "High" means strictly greater than the
 * threshold; memorization ≤ 0 is never high, whatever the threshold (no loss drop, no forget
 * event: nothing memorized). Quantile thresholds are lower quantiles (see `lowerQuantile`), so
 * ties at the threshold are low.
 */
export function assignQuadrants(scores: Pick<Scores, "difficulty" | "memorization">, options: QuadrantOptions = {}): QuadrantAssignment {
  const thresholds = resolveThresholds(scores, options);
  const { difficulty, memorization } = scores;
  const n = difficulty.length;
  const quadrant = new Uint8Array(n);
  const tally = [0, 0, 0, 0];
  const thetaD = thresholds.difficulty;
  const thetaM = thresholds.memorization;
  for (let i = 0; i < n; i++) {
    const m = memorization[i]!;
    const highD = difficulty[i]! > thetaD;
    const highM = m > thetaM && m > 0;
    const code = highD ? (highM ? 2 : 1) : highM ? 3 : 0;
    quadrant[i] = code;
    tally[code]!++;
  }
  return {
    thresholds,
    quadrant,
    counts: {
      STABLE_EASY: tally[0]!,
      AMBIGUOUS_HARD: tally[1]!,
      HOTSPOT_MEMORIZED: tally[2]!,
      NOISY_OUTLIER: tally[3]!,
    },
  };
}

export function quadrantName(code: number): Quadrant {
  const name = QUADRANTS[code];
  if (name === undefined) throw new RangeError(`no quadrant has code ${code}`);
  return name;
}

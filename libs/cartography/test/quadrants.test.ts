import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assignQuadrants, ConfigError, QUADRANTS, quadrantName } from "../src/index.ts";

function scoresOf(difficulty: number[], memorization: number[]) {
  return { difficulty: Float64Array.from(difficulty), memorization: Float64Array.from(memorization) };
}

const names = (codes: Uint8Array) => Array.from(codes, quadrantName);

describe("assignQuadrants", () => {
  it("names the quadrants exactly", () => {
    expect(QUADRANTS).toEqual(["STABLE_EASY", "AMBIGUOUS_HARD", "HOTSPOT_MEMORIZED", "NOISY_OUTLIER"]);
  });

  it("maps (difficulty, memorization) high/low to the four quadrants, ties at the threshold are low", () => {
    // q = 0.5 of 6 values → sorted[2]. Difficulty 1 1 2 | 3 3 4 → θ_d = 2; memorization → θ_m = 0.
    const s = scoresOf([1, 3, 4, 2, 1, 3], [0, 0, 0.5, 0.25, 0.5, 0]);
    const q = assignQuadrants(s, { qDifficulty: 0.5, qMemorization: 0.5 });
    expect(q.thresholds).toEqual({ source: "quantile", difficulty: 2, memorization: 0, qDifficulty: 0.5, qMemorization: 0.5 });
    expect(names(q.quadrant)).toEqual(["STABLE_EASY", "AMBIGUOUS_HARD", "HOTSPOT_MEMORIZED", "NOISY_OUTLIER", "NOISY_OUTLIER", "AMBIGUOUS_HARD"]);
    expect(q.counts).toEqual({ STABLE_EASY: 1, AMBIGUOUS_HARD: 2, HOTSPOT_MEMORIZED: 1, NOISY_OUTLIER: 2 });
  });

  it("defaults to q_d = 0.5 and q_m = 0.9", () => {
    const m = Array.from({ length: 10 }, (_, i) => i / 10); // θ_m = sorted[8] = 0.8
    const q = assignQuadrants(scoresOf(Array(10).fill(1), m));
    expect(q.thresholds).toMatchObject({ qDifficulty: 0.5, qMemorization: 0.9, memorization: 0.8, difficulty: 1 });
    expect(q.counts).toEqual({ STABLE_EASY: 9, AMBIGUOUS_HARD: 0, HOTSPOT_MEMORIZED: 0, NOISY_OUTLIER: 1 });
  });

  it("never calls memorization 0 high, whatever the threshold", () => {
    const s = scoresOf([1, 2, 3], [0, 0, 0]);
    expect(assignQuadrants(s, { qMemorization: 0 }).counts.NOISY_OUTLIER + assignQuadrants(s, { qMemorization: 0 }).counts.HOTSPOT_MEMORIZED).toBe(0);
    const absolute = assignQuadrants(scoresOf([1, 2], [0, 0.1]), { difficulty: 1.5, memorization: -1 });
    expect(absolute.thresholds).toEqual({ source: "absolute", difficulty: 1.5, memorization: -1 });
    expect(names(absolute.quadrant)).toEqual(["STABLE_EASY", "HOTSPOT_MEMORIZED"]);
  });

  it("puts everyone low when all scores tie", () => {
    const q = assignQuadrants(scoresOf([2, 2, 2, 2], [0.5, 0.5, 0.5, 0.5]));
    expect(q.counts.STABLE_EASY).toBe(4);
  });

  it("rejects quantiles outside [0, 1] and non-finite absolute thresholds", () => {
    const s = scoresOf([1], [0]);
    expect(() => assignQuadrants(s, { qDifficulty: 1.5 })).toThrow(ConfigError);
    expect(() => assignQuadrants(s, { qMemorization: Number.NaN })).toThrow(/qMemorization/);
    expect(() => assignQuadrants(s, { difficulty: Number.NaN, memorization: 0 })).toThrow(/thresholds.difficulty/);
  });

  it("counts always sum to N and the high sets respect the quantile", () => {
    const scores = fc
      .integer({ min: 1, max: 60 })
      .chain((n) =>
        fc.tuple(
          fc.array(fc.oneof(fc.constantFrom(0, 1, 2), fc.double({ min: 0, max: 5, noNaN: true })), { minLength: n, maxLength: n }),
          fc.array(fc.constantFrom(0, 0.25, 0.5, 0.75, 1), { minLength: n, maxLength: n }),
          fc.double({ min: 0, max: 1, noNaN: true }),
          fc.double({ min: 0, max: 1, noNaN: true }),
        ),
      );
    fc.assert(
      fc.property(scores, ([d, m, qd, qm]) => {
        const q = assignQuadrants(scoresOf(d, m), { qDifficulty: qd, qMemorization: qm });
        const { counts } = q;
        expect(counts.STABLE_EASY + counts.AMBIGUOUS_HARD + counts.HOTSPOT_MEMORIZED + counts.NOISY_OUTLIER).toBe(d.length);
        const highD = counts.AMBIGUOUS_HARD + counts.HOTSPOT_MEMORIZED;
        expect(highD).toBeLessThanOrEqual(d.length - Math.ceil(Number((qd * d.length).toPrecision(12))));
        m.forEach((value, i) => {
          const isHighM = q.quadrant[i] === 2 || q.quadrant[i] === 3;
          expect(isHighM).toBe(value > q.thresholds.memorization && value > 0);
        });
      }),
      { numRuns: 300 },
    );
  });
});

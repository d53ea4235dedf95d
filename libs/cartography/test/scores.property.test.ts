import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { computeScores, type DynamicsMatrix, type Scores } from "../src/index.ts";
import { computeScoresWithBracket } from "../src/scores.ts";
import { seededMatrix } from "./seededMatrix.ts";
import { referenceScores, type ReferenceScores } from "./reference.ts";

/** Random matrices: losses from a few repeated values (ties) and from a continuous range. */
const dynamics = fc
  .record({ n: fc.integer({ min: 1, max: 25 }), epochs: fc.integer({ min: 1, max: 9 }) })
  .chain(({ n, epochs }) =>
    fc.record({
      epochs: fc.constant(epochs),
      loss: fc.array(fc.oneof(fc.constantFrom(0, 0.5, 1, 2), fc.float({ min: 0, max: 8, noNaN: true })), {
        minLength: n * epochs,
        maxLength: n * epochs,
      }),
      acc: fc.array(fc.oneof(fc.constantFrom(0, 0.5, 1), fc.float({ min: 0, max: 1, noNaN: true })), {
        minLength: n * epochs,
        maxLength: n * epochs,
      }),
    }),
  )
  .map(({ epochs, loss, acc }): DynamicsMatrix => ({
    ids: Array.from({ length: loss.length / epochs }, (_, i) => `ex${i}`),
    epochs,
    loss: Float32Array.from(loss),
    acc: Float32Array.from(acc),
  }));

const configs = fc.oneof(
  fc.constant({}),
  fc.record({ learnedBy: fc.constantFrom("auto" as const, "loss" as const) }),
  fc.record({ earlyEpochs: fc.constant(1), lateEpochs: fc.constant(1) }),
  fc.record({ epsilon: fc.float({ min: 0, max: 8, noNaN: true }) }),
  fc.record({ learnedBy: fc.constant("accuracy" as const), tau: fc.constantFrom(0, 0.5, 1) }),
);

function expectEqualToReference(scores: Scores, ref: ReferenceScores): void {
  expect(scores.config.learnedBy).toBe(ref.learnedBy);
  expect(scores.config.epsilon).toBe(ref.epsilon);
  expect(Array.from(scores.forgetEvents)).toEqual(ref.forgetEvents);
  expect(Array.from(scores.forgetFrequency)).toEqual(ref.forgetFrequency);
  for (const key of ["lossDrop", "relativeLossDrop", "accuracyGain", "meanLoss"] as const) {
    expect(Array.from(scores[key]), key).toEqual(ref[key].map((x) => expect.closeTo(x, 9)));
  }
  // A least-squares fit over every row: shifted one-pass sums against the textbook two passes.
  expect(Array.from(scores.excessLossDrop), "excessLossDrop").toEqual(ref.excessLossDrop.map((x) => expect.closeTo(x, 6)));
  // memorization is the configured signal's array (the default for the kind of input).
  expect(scores.memorization).toBe(scores[scores.config.memorizationSignal]);
  expect(Array.from(scores.neverLearned, (x) => x === 1)).toEqual(ref.neverLearned);
  expect(Array.from(scores.correctness)).toEqual(ref.correctness.map((x) => expect.closeTo(x, 12)));
  expect(Array.from(scores.difficulty)).toEqual(ref.difficulty.map((x) => expect.closeTo(x, 12)));
  expect(Array.from(scores.confidence)).toEqual(ref.confidence.map((x) => expect.closeTo(x, 12)));
  expect(Array.from(scores.variability)).toEqual(ref.variability.map((x) => expect.closeTo(x, 9)));
}

function permuteRows(dyn: DynamicsMatrix, order: number[]): DynamicsMatrix {
  const T = dyn.epochs;
  const loss = new Float32Array(dyn.loss.length);
  const acc = new Float32Array(dyn.acc.length);
  order.forEach((from, to) => {
    loss.set(dyn.loss.subarray(from * T, (from + 1) * T), to * T);
    acc.set(dyn.acc.subarray(from * T, (from + 1) * T), to * T);
  });
  return { ids: order.map((from) => dyn.ids[from]!), epochs: T, loss, acc };
}

describe("computeScores properties", () => {
  it("equals the definitions computed naively", () => {
    fc.assert(
      fc.property(dynamics, configs, (dyn, config) => {
        expectEqualToReference(computeScores(dyn, config), referenceScores(dyn, config));
      }),
      { numRuns: 300 },
    );
  });

  it("is invariant to example order", () => {
    const withOrder = dynamics.chain((dyn) =>
      fc.tuple(
        fc.constant(dyn),
        fc.shuffledSubarray(
          dyn.ids.map((_, i) => i),
          { minLength: dyn.ids.length },
        ),
      ),
    );
    fc.assert(
      fc.property(withOrder, configs, ([dyn, order], config) => {
        const a = computeScores(dyn, config);
        const b = computeScores(permuteRows(dyn, order), config);
        expect(b.config).toEqual(a.config);
        for (const key of [
          "difficulty",
          "forgetFrequency",
          "lossDrop",
          "relativeLossDrop",
          "accuracyGain",
          "meanLoss",
          "forgetEvents",
          "neverLearned",
          "confidence",
          "variability",
          "correctness",
        ] as const) {
          expect(Array.from(b[key])).toEqual(order.map((from) => a[key][from]));
        }
        // A fit over all rows: the same up to the order its sums were added in.
        for (const key of ["excessLossDrop", "memorization"] as const) {
          expect(Array.from(b[key]), key).toEqual(order.map((from) => expect.closeTo(a[key][from]!, 9)));
        }
      }),
      { numRuns: 200 },
    );
  });

  it("keeps each signal in its range: forget frequency in [0, 1], forget events ≤ ⌊T/2⌋, relative drop ≤ 1, accuracy gain in [−1, 1]", () => {
    fc.assert(
      fc.property(dynamics, configs, (dyn, config) => {
        const s = computeScores(dyn, config);
        for (let i = 0; i < dyn.ids.length; i++) {
          expect(s.forgetFrequency[i]).toBeGreaterThanOrEqual(0);
          expect(s.forgetFrequency[i]).toBeLessThanOrEqual(1);
          expect(s.relativeLossDrop[i]).toBeLessThanOrEqual(1);
          expect(Math.abs(s.accuracyGain[i]!)).toBeLessThanOrEqual(1 + 1e-12);
          expect(s.meanLoss[i]).toBeGreaterThanOrEqual(0);
          // lossDrop = difficulty − late loss, and the late loss is a mean of losses ≥ 0.
          expect(s.lossDrop[i]).toBeLessThanOrEqual(s.difficulty[i]! + 1e-12);
          expect(s.forgetEvents[i]).toBeLessThanOrEqual(Math.floor(dyn.epochs / 2));
          if (s.neverLearned[i] === 1) expect(s.forgetEvents[i]).toBe(0);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("excessLossDrop: residuals of a least-squares line with intercept sum to 0, and do not change when every loss is scaled", () => {
    fc.assert(
      fc.property(dynamics, fc.constantFrom(0.5, 2, 8), (dyn, c) => {
        const s = computeScores(dyn, { epsilon: 1 });
        const sum = s.excessLossDrop.reduce((acc, r) => acc + r, 0);
        const scale = s.excessLossDrop.reduce((acc, r) => acc + Math.abs(r), 0) + 1;
        expect(Math.abs(sum) / scale).toBeLessThan(1e-9);
        // ln(c·ℓ + δ) = ln c + ln(ℓ + δ/c): with losses well above δ, the line only shifts.
        if (dyn.loss.every((l) => l > 1e-2)) {
          const scaled = computeScores({ ...dyn, loss: dyn.loss.map((l) => l * c) }, { epsilon: 1 });
          expect(Array.from(scaled.excessLossDrop)).toEqual(Array.from(s.excessLossDrop, (r) => expect.closeTo(r, 3)));
        }
      }),
      { numRuns: 200 },
    );
  });

  it("lossDrop, relativeLossDrop and excessLossDrop rank a row higher when its late losses fall (the rest fixed)", () => {
    fc.assert(
      fc.property(dynamics, fc.float({ min: Math.fround(0.01), max: 1, noNaN: true }), (dyn, factor) => {
        const T = dyn.epochs;
        const Te = Math.max(1, Math.ceil(T / 4));
        // Scale down row 0's losses outside its early window: its drop cannot decrease.
        const lower = { ...dyn, loss: dyn.loss.slice() };
        for (let t = Te; t < T; t++) lower.loss[t] = Math.fround(lower.loss[t]! * factor);
        const a = computeScores(dyn, { epsilon: 1 });
        const b = computeScores(lower, { epsilon: 1 });
        expect(b.lossDrop[0]).toBeGreaterThanOrEqual(a.lossDrop[0]! - 1e-9);
        expect(b.relativeLossDrop[0]).toBeGreaterThanOrEqual(a.relativeLossDrop[0]! - 1e-9);
        // Lowering y₀ moves the least-squares line by at most the row's leverage (≤ 1) times as
        // much, so the row's distance below the line cannot shrink.
        expect(b.excessLossDrop[0]).toBeGreaterThanOrEqual(a.excessLossDrop[0]! - 1e-6);
      }),
      { numRuns: 200 },
    );
  });

  it("learnedBy auto is accuracy exactly when every accuracy is 0 or 1", () => {
    fc.assert(
      fc.property(dynamics, (dyn) => {
        const s = computeScores(dyn);
        const binary = Array.from(dyn.acc).every((a) => a === 0 || a === 1);
        expect(s.config.learnedBy).toBe(binary ? "accuracy" : "loss");
        expect(s.config.learnedBySource).toBe(binary ? "binary-accuracy" : "fractional-accuracy");
        if (binary) expect(Array.from(s.forgetEvents)).toEqual(Array.from(computeScores(dyn, { learnedBy: "accuracy", tau: 1 }).forgetEvents));
      }),
      { numRuns: 200 },
    );
  });
});

describe("the sampled median bracket on large matrices", () => {
  // Over 2 × 2¹⁸ cells, so ε comes from the strided sample's bracket and the recount.
  const big = seededMatrix(30_000, 20, 7);
  // seededMatrix records 0/1 accuracies, so "auto" would learn by accuracy: these tests are
  // about the loss median, so they ask for it.
  const byLoss = { learnedBy: "loss" } as const;
  const reference = referenceScores(big, byLoss);

  it("gives the exact median and the same scores as the definitions", () => {
    expectEqualToReference(computeScores(big, byLoss), reference);
  });

  it("falls back to an exact selection when the bracket misses the median", () => {
    const eps = reference.epsilon!;
    for (const bracket of [
      { lo: eps + 0.01, hi: eps + 0.02, insideShare: 0.01 }, // entirely above
      { lo: 0, hi: eps / 2, insideShare: 0.01 }, // entirely below
      { lo: eps, hi: eps, insideShare: 0 }, // empty
    ]) {
      expectEqualToReference(computeScoresWithBracket(big, byLoss, bracket), reference);
    }
  });

  it("still names the bad cell when the sample itself holds a NaN", () => {
    const broken = seededMatrix(30_000, 20, 9);
    broken.loss.fill(Number.NaN, 0, 40_000); // rows 0 … 1999, well inside the strided sample
    expect(() => computeScores(broken, byLoss)).toThrow(/example "row-0" epoch 0: loss is NaN/);
  });

  it("handles a matrix where every loss is equal", () => {
    const flat = seededMatrix(30_000, 20, 5, [0.75]);
    expectEqualToReference(computeScores(flat, byLoss), referenceScores(flat, byLoss));
  });

  it("handles an odd cell count and heavy ties at the median", () => {
    const tied = seededMatrix(26_215, 21, 3, [0.5, 1, 1, 1, 2]);
    expectEqualToReference(computeScores(tied, byLoss), referenceScores(tied, byLoss));
  });
});

import { describe, expect, it } from "vitest";
import { computeScores, ConfigError, DynamicsShapeError, InvalidDynamicsValueError } from "../src/index.ts";
import { matrix } from "./reference.ts";

const e = Math.exp;

describe("computeScores on hand-computed matrices", () => {
  // ε = 1 (absolute), T = 5, so Te = ceil(5 / 4) = 2.
  const dyn = matrix({
    forgetful: { loss: [0.5, 2, 0.5, 2, 0.5], acc: [1, 0, 0.5, 0, 1] }, // learned 1 0 1 0 1
    never: { loss: [3, 3, 3, 3, 3], acc: [0, 0, 0, 0, 0] }, // learned 0 0 0 0 0
    always: { loss: [0.25, 0.25, 0.25, 0.25, 0.25], acc: [1, 1, 1, 1, 1] }, // learned 1 1 1 1 1
    tie: { loss: [1, 1, 0.5, 1, 1], acc: [0, 0, 1, 0, 0] }, // loss = ε is not learned: 0 0 1 0 0
  });
  const scores = computeScores(dyn, { epsilon: 1 });

  it("records the configuration it used", () => {
    expect(scores.config).toEqual({
      learnedBy: "loss",
      learnedBySource: "configured",
      // Fractional accuracies: language-model input, whose default signal is the excess drop.
      memorizationSignal: "excessLossDrop",
      memorizationSignalSource: "language-model-input",
      epsilon: 1,
      epsilonSource: "absolute",
      tau: null,
      earlyEpochs: 2,
      lateEpochs: 2,
      epochs: 5,
      examples: 4,
    });
  });

  it("counts forget events as learned → not learned, strictly below ε", () => {
    expect(Array.from(scores.forgetEvents)).toEqual([2, 0, 0, 1]);
    expect(Array.from(scores.forgetFrequency)).toEqual([2 / 4, 0, 0, 1 / 4]);
    expect(Array.from(scores.neverLearned)).toEqual([0, 1, 0, 0]);
  });

  it("takes difficulty as the mean loss of the first Te epochs", () => {
    expect(Array.from(scores.difficulty)).toEqual([(0.5 + 2) / 2, 3, 0.25, 1]);
  });

  it("computes confidence, population variability and correctness", () => {
    const p = [e(-0.5), e(-2)];
    const mean = (3 * p[0]! + 2 * p[1]!) / 5;
    const std = Math.sqrt((3 * (p[0]! - mean) ** 2 + 2 * (p[1]! - mean) ** 2) / 5);
    expect(scores.confidence[0]).toBeCloseTo(mean, 14);
    expect(scores.variability[0]).toBeCloseTo(std, 14);
    expect(scores.correctness[0]).toBe(2.5 / 5);
    // Constant rows: exactly zero variability.
    expect(scores.confidence[1]).toBeCloseTo(e(-3), 15);
    expect(scores.variability[1]).toBe(0);
    expect(scores.variability[2]).toBe(0);
    expect(scores.correctness[2]).toBe(1);
  });

  it("computes the memorization signals from the early (Te = 2) and late (Tl = 2) windows", () => {
    // forgetful: early (0.5 + 2) / 2 = 1.25, late (2 + 0.5) / 2 = 1.25 → drop 0.
    // never: 3 → 3, drop 0. always: drop 0. tie: early (1 + 1) / 2 = 1, late (1 + 1) / 2 = 1.
    expect(Array.from(scores.lossDrop)).toEqual([0, 0, 0, 0]);
    expect(Array.from(scores.meanLoss)).toEqual([(0.5 * 3 + 2 * 2) / 5, 3, 0.25, 4.5 / 5]);
    // accuracy gain: forgetful late (0 + 1) / 2 − early (1 + 0) / 2 = 0; tie: 0 − 0.
    expect(Array.from(scores.accuracyGain)).toEqual([0, 0, 0, 0]);
    // memorization is excessLossDrop by default for language-model input.
    expect(scores.memorization).toBe(scores.excessLossDrop);
  });

  it("ranks a secret memorized early and stably above a forgetful passage (the case forget frequency gets backwards)", () => {
    // T = 8, Te = Tl = 2. A canary: expensive at first (random digits), then almost free and
    // never forgotten. A passage: hovers around ε, learned and forgotten.
    const dyn = matrix({
      canary: { loss: [3.2, 2.0, 0.6, 0.3, 0.2, 0.1, 0.1, 0.1], acc: [0.2, 0.5, 0.8, 0.9, 1, 1, 1, 1] },
      passage: { loss: [2.6, 2.3, 2.1, 2.4, 2.0, 2.5, 2.1, 2.4], acc: [0.3, 0.35, 0.4, 0.35, 0.4, 0.35, 0.4, 0.35] },
      // Ordinary text around them, so that excessLossDrop has a cohort to fit a line to: each
      // keeps most of its loss, the harder ones a little less of it.
      ...Object.fromEntries(
        [1.6, 2.0, 2.4, 2.8, 3.2].map((early, j) => [
          `text${j}`,
          {
            loss: [early, early, 0.9 * early, 0.85 * early, 0.8 * early, 0.8 * early, 0.75 * early, 0.75 * early],
            acc: [0.4, 0.4, 0.45, 0.45, 0.5, 0.5, 0.5, 0.5],
          },
        ]),
      ),
    });
    const s = computeScores(dyn, { epsilon: 2.2 });
    expect(s.lossDrop[0]).toBeCloseTo((3.2 + 2.0) / 2 - 0.1, 6); // 2.5
    expect(s.lossDrop[1]).toBeCloseTo((2.6 + 2.3) / 2 - (2.1 + 2.4) / 2, 6); // 0.2
    expect(s.relativeLossDrop[0]).toBeCloseTo(1 - 0.1 / 2.6, 6);
    expect(s.accuracyGain[0]).toBeCloseTo(1 - 0.35, 6);
    expect(s.memorization[0]).toBeGreaterThan(s.memorization[1]!);
    // …and above all the ordinary text: it ends far below the line the others lie near.
    expect(s.config.memorizationSignal).toBe("excessLossDrop");
    expect(Math.max(...s.memorization.subarray(1))).toBeLessThan(s.memorization[0]! - 1);
    // The paper's score: the canary is learned from epoch 2 on and never forgotten (0); the
    // passage is forgotten at epochs 3, 5 and 7 (3 / 7).
    expect(Array.from(s.forgetEvents).slice(0, 2)).toEqual([0, 3]);
    expect(s.forgetFrequency[1]).toBe(3 / 7);
    const paper = computeScores(dyn, { epsilon: 2.2, memorizationSignal: "forgetFrequency" });
    expect(paper.memorization).toBe(paper.forgetFrequency);
    expect(paper.memorization[0]).toBeLessThan(paper.memorization[1]!);
    expect(paper.config.memorizationSignal).toBe("forgetFrequency");
  });

  it("lateEpochs sets the late window", () => {
    const s = computeScores(matrix({ a: { loss: [4, 3, 2, 1] } }), { earlyEpochs: 1, lateEpochs: 3 });
    expect(s.config).toMatchObject({ earlyEpochs: 1, lateEpochs: 3 });
    expect(s.lossDrop[0]).toBe(4 - 2);
    expect(s.relativeLossDrop[0]).toBe(1 - 2 / 4);
  });

  it("excessLossDrop: the distance below the run's least-squares line of ln(late) on ln(early)", () => {
    // T = 2, Te = Tl = 1. x = ln(early) = 0, 1, 2 and y = ln(late) = 0, −1, 1 (δ = 1e-6 shifts
    // them by < 1e-6): x̄ = 1, ȳ = 0, Sxy = 1, Sxx = 2 → b = 0.5, a = −0.5; the line gives
    // −0.5, 0, 0.5 and the signal is line − y = −0.5, 1, −0.5. "b" started as hard as its
    // neighbours' midpoint but ended far lower: it ranks first, though relativeLossDrop ranks
    // "c" (1 − e / e² = 0.63) and "b" (1 − e⁻¹ / e = 0.86) the other way round only by ratio.
    const s = computeScores(matrix({ a: { loss: [1, 1] }, b: { loss: [e(1), e(-1)] }, c: { loss: [e(2), e(1)] } }));
    expect(s.config.memorizationSignal).toBe("excessLossDrop");
    expect(Array.from(s.excessLossDrop)).toEqual([expect.closeTo(-0.5, 5), expect.closeTo(1, 5), expect.closeTo(-0.5, 5)]);
    // Equal early losses: no spread to fit, the slope is 0 and the line is the mean of y.
    const flat = computeScores(matrix({ a: { loss: [2, 1] }, b: { loss: [2, e(-2)] } }));
    const y = [Math.log(1 + 1e-6), Math.log(Math.fround(e(-2)) + 1e-6)];
    expect(Array.from(flat.excessLossDrop)).toEqual([expect.closeTo((y[0]! + y[1]!) / 2 - y[0]!, 9), expect.closeTo((y[0]! + y[1]!) / 2 - y[1]!, 9)]);
    // A loss of exactly 0 has a finite score (δ).
    const zero = computeScores(matrix({ a: { loss: [0, 0] }, b: { loss: [3, 0] }, c: { loss: [1, 0.5] } }));
    expect(Array.from(zero.excessLossDrop).every(Number.isFinite)).toBe(true);
  });

  it("relativeLossDrop is 0 when the early loss is 0", () => {
    const s = computeScores(matrix({ a: { loss: [0, 0, 1, 1] } }), { epsilon: 0.5 });
    expect(s.relativeLossDrop[0]).toBe(0);
    expect(s.lossDrop[0]).toBe(-1);
  });

  it("learns by accuracy when every accuracy is 0 or 1 (classifier input), by loss otherwise", () => {
    // Correct, correct, wrong, correct: one forget event (Toneva et al.), whatever the losses.
    const classifier = matrix({ a: { loss: [0.1, 0.2, 0.3, 0.1], acc: [1, 1, 0, 1] }, b: { loss: [2, 2, 2, 2], acc: [0, 0, 0, 0] } });
    const s = computeScores(classifier);
    expect(s.config).toMatchObject({ learnedBy: "accuracy", learnedBySource: "binary-accuracy", tau: 1, epsilon: null });
    expect(Array.from(s.forgetEvents)).toEqual([1, 0]);
    expect(Array.from(s.neverLearned)).toEqual([0, 1]);
    // The same losses with one fractional accuracy: learned ⇔ loss < median.
    const lm = matrix({ a: { loss: [0.1, 0.2, 0.3, 0.1], acc: [1, 1, 0.5, 1] }, b: { loss: [2, 2, 2, 2], acc: [0, 0, 0, 0] } });
    expect(computeScores(lm).config).toMatchObject({ learnedBy: "loss", learnedBySource: "fractional-accuracy", epsilon: (Math.fround(0.3) + 2) / 2 });
    // An explicit ε or τ decides; an explicit learnedBy is "configured".
    expect(computeScores(classifier, { epsilon: 1 }).config).toMatchObject({ learnedBy: "loss", learnedBySource: "configured" });
    expect(computeScores(lm, { tau: 0.5 }).config).toMatchObject({ learnedBy: "accuracy", learnedBySource: "configured" });
    expect(computeScores(classifier, { learnedBy: "loss" }).config).toMatchObject({ learnedBy: "loss", learnedBySource: "configured" });
  });

  it("learns by loss when the only fractional accuracy is one that auto's probe sample skips", () => {
    // 3,000 × 4 = 12,000 cells: the probes are every 2nd cell, so an odd cell goes unprobed and
    // only the forget-event pass sees it. The answer must still be the exact rule's.
    const rows: Record<string, { loss: number[]; acc: number[] }> = {};
    for (let i = 0; i < 3000; i++) rows[`e${i}`] = { loss: [2 - (i % 7) * 0.1, 1, 0.5 + (i % 3) * 0.4, 0.2], acc: [0, i % 2, 1, 1] };
    rows.e1501!.acc[3] = 0.75; // cell 1501 × 4 + 3 = 6007, odd
    const dyn = matrix(rows);
    const auto = computeScores(dyn);
    const byLoss = computeScores(dyn, { learnedBy: "loss" });
    expect(auto.config).toMatchObject({ learnedBy: "loss", learnedBySource: "fractional-accuracy", epsilon: byLoss.config.epsilon });
    expect(Array.from(auto.forgetEvents)).toEqual(Array.from(byLoss.forgetEvents));
    expect(Array.from(auto.neverLearned)).toEqual(Array.from(byLoss.neverLearned));
    expect(auto.config).toMatchObject({ memorizationSignal: "excessLossDrop", memorizationSignalSource: "language-model-input" });
    expect(Array.from(auto.memorization)).toEqual(Array.from(byLoss.excessLossDrop));
    // Without it, the same matrix is classifier input.
    rows.e1501!.acc[3] = 1;
    expect(computeScores(matrix(rows)).config).toMatchObject({
      learnedBy: "accuracy",
      learnedBySource: "binary-accuracy",
      memorizationSignal: "lossDrop",
      memorizationSignalSource: "classifier-input",
    });
  });

  it("chooses the default memorization signal by the kind of input, and records why", () => {
    const classifier = matrix({ a: { loss: [2, 0.2], acc: [0, 1] }, b: { loss: [1, 1], acc: [1, 1] } });
    const lm = matrix({ a: { loss: [2, 0.2], acc: [0.25, 1] }, b: { loss: [1, 1], acc: [0.5, 0.5] } });
    for (const [dyn, signal, source] of [
      [classifier, "lossDrop", "classifier-input"],
      [lm, "excessLossDrop", "language-model-input"],
    ] as const) {
      // Whether "learned" was chosen by auto or configured, the accuracies decide the signal.
      for (const config of [{}, { learnedBy: "loss" as const }, { learnedBy: "accuracy" as const }, { epsilon: 1.5 }]) {
        const s = computeScores(dyn, config);
        expect(s.config, JSON.stringify(config)).toMatchObject({ memorizationSignal: signal, memorizationSignalSource: source });
        expect(s.memorization).toBe(s[signal]);
      }
      expect(computeScores(dyn, { memorizationSignal: "meanLoss" }).config).toMatchObject({
        memorizationSignal: "meanLoss",
        memorizationSignalSource: "configured",
      });
    }
    // x = ln(early + δ) = (ln 2, 0), y = ln(late + δ) = (ln 0.2, 0): two points, so the line goes
    // through both and neither ends below it.
    expect(Array.from(computeScores(lm).memorization)).toEqual([expect.closeTo(0, 12), expect.closeTo(0, 12)]);
  });

  it("defaults ε to the median of the whole loss matrix (mean of the middle two when even)", () => {
    const even = matrix({ a: { loss: [0.5, 1.5] }, b: { loss: [1, 2] } });
    const s = computeScores(even);
    expect(s.config.epsilon).toBe(1.25);
    expect(s.config.epsilonSource).toBe("median");
    // a: 0.5 < 1.25, 1.5 ≥ 1.25 → one forget; b: 1 < 1.25, 2 ≥ 1.25 → one forget.
    expect(Array.from(s.forgetEvents)).toEqual([1, 1]);
    const odd = matrix({ a: { loss: [3] }, b: { loss: [1] }, c: { loss: [2] } });
    expect(computeScores(odd).config.epsilon).toBe(2);
  });

  it("with the median ε, a loss equal to ε is not learned", () => {
    // Cells 1, 2, 2, 2, 3, 3 → median 2; only the loss of 1 is learned.
    const t = computeScores(matrix({ a: { loss: [1, 2, 2] }, b: { loss: [2, 3, 3] } }));
    expect(t.config.epsilon).toBe(2);
    expect(Array.from(t.forgetEvents)).toEqual([1, 0]);
    expect(Array.from(t.neverLearned)).toEqual([0, 1]);
  });

  it("uses acc ≥ τ when learned by accuracy (ties at τ are learned)", () => {
    const s = computeScores(matrix({ a: { loss: [1, 1, 1, 1], acc: [0.6, 0.4, 0.5, 0.2] } }), { learnedBy: "accuracy", tau: 0.5 });
    expect(s.config).toMatchObject({ learnedBy: "accuracy", tau: 0.5, epsilon: null, epsilonSource: null, earlyEpochs: 1 });
    expect(Array.from(s.forgetEvents)).toEqual([2]);
    expect(s.forgetFrequency[0]).toBe(2 / 3);
    expect(computeScores(matrix({ a: { loss: [1, 1], acc: [1, 0.99] } }), { learnedBy: "accuracy" }).forgetEvents[0]).toBe(1);
  });

  it("T = 1: no transitions, so no forget events and memorization 0", () => {
    const s = computeScores(matrix({ a: { loss: [0.1] }, b: { loss: [5] } }), { epsilon: 1 });
    expect(s.config.earlyEpochs).toBe(1);
    expect(Array.from(s.forgetEvents)).toEqual([0, 0]);
    expect(Array.from(s.forgetFrequency)).toEqual([0, 0]);
    // One epoch is both the early and the late window: nothing dropped, nothing gained.
    expect(Array.from(s.lossDrop)).toEqual([0, 0]);
    expect(Array.from(s.accuracyGain)).toEqual([0, 0]);
    expect(Array.from(s.neverLearned)).toEqual([0, 1]);
    expect(Array.from(s.variability)).toEqual([0, 0]);
  });

  it("Te defaults to max(1, ceil(T / 4)) and can be set", () => {
    const row = Array.from({ length: 20 }, (_, t) => t);
    expect(computeScores(matrix({ a: { loss: row } })).config.earlyEpochs).toBe(5);
    expect(computeScores(matrix({ a: { loss: row } })).difficulty[0]).toBe((0 + 1 + 2 + 3 + 4) / 5);
    expect(computeScores(matrix({ a: { loss: row } }), { earlyEpochs: 20 }).difficulty[0]).toBe(9.5);
    expect(computeScores(matrix({ a: { loss: [1, 2, 3, 4] } })).config.earlyEpochs).toBe(1);
  });

  it("accepts −0 losses (−log 1) as zero", () => {
    const s = computeScores(matrix({ a: { loss: [-0, 1] }, b: { loss: [2, -0] } }), { epsilon: 0.5 });
    expect(Array.from(s.forgetEvents)).toEqual([1, 0]);
    expect(s.confidence[0]).toBeCloseTo((1 + e(-1)) / 2, 15);
  });
});

describe("computeScores rejects values no score can be computed from", () => {
  for (const bad of [Number.NaN, Infinity, -Infinity, -0.5]) {
    it(`loss ${bad} names the example and epoch`, () => {
      const dyn = matrix({ ok: { loss: [1, 1, 1] }, broken: { loss: [1, 1, bad] } });
      const err = (() => {
        try {
          computeScores(dyn);
        } catch (caught) {
          return caught;
        }
        return null;
      })();
      expect(err).toBeInstanceOf(InvalidDynamicsValueError);
      expect(err).toMatchObject({ exampleId: "broken", epoch: 2, field: "loss", code: "INVALID_DYNAMICS_VALUE" });
      expect((err as Error).message).toContain('example "broken" epoch 2');
    });
  }

  it("accuracy outside [0, 1]", () => {
    const dyn = matrix({ a: { loss: [1, 1], acc: [0, 1.5] } });
    expect(() => computeScores(dyn)).toThrow(/example "a" epoch 1: acc is 1.5/);
    expect(() => computeScores(matrix({ a: { loss: [1, 1], acc: [Number.NaN, 0] } }))).toThrow(InvalidDynamicsValueError);
  });

  it("also in accuracy mode and with an absolute ε", () => {
    const dyn = matrix({ a: { loss: [1, Number.NaN] } });
    expect(() => computeScores(dyn, { learnedBy: "accuracy" })).toThrow(InvalidDynamicsValueError);
    expect(() => computeScores(dyn, { epsilon: 1 })).toThrow(InvalidDynamicsValueError);
  });

  it("bad shapes and configs", () => {
    expect(() => computeScores({ ids: ["a"], epochs: 2, loss: new Float32Array(3), acc: new Float32Array(3) })).toThrow(DynamicsShapeError);
    expect(() => computeScores({ ids: [], epochs: 2, loss: new Float32Array(0), acc: new Float32Array(0) })).toThrow(/no examples/);
    const dyn = matrix({ a: { loss: [1, 2] } });
    expect(() => computeScores(dyn, { learnedBy: "loss", tau: 0.5 })).toThrow(ConfigError);
    expect(() => computeScores(dyn, { memorizationSignal: "vibes" as "lossDrop" })).toThrow(/memorizationSignal: must be one of lossDrop/);
    expect(() => computeScores(dyn, { lateEpochs: 3 })).toThrow(/lateEpochs: must be an integer in \[1, 2\]/);
    expect(() => computeScores(dyn, { learnedBy: "accuracy", epsilon: 1 })).toThrow(/epsilon: applies only/);
    expect(() => computeScores(dyn, { learnedBy: "accuracy", tau: 2 })).toThrow(/tau: must be in \[0, 1\]/);
    expect(() => computeScores(dyn, { epsilon: Number.NaN })).toThrow(/epsilon/);
    expect(() => computeScores(dyn, { earlyEpochs: 0 })).toThrow(/earlyEpochs: must be an integer in \[1, 2\]/);
    expect(() => computeScores(dyn, { earlyEpochs: 3 })).toThrow(ConfigError);
    expect(() => computeScores(dyn, { learnedBy: "often" as "loss" })).toThrow(/learnedBy/);
  });
});

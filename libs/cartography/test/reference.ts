// A deliberately naive implementation of DESIGN.md §1, straight from the definitions (sorted
// copy for the median, one loop per score), to check the optimised engine against.
import { EXCESS_FIT_MIN_VARIANCE, EXCESS_LOSS_FLOOR, type DynamicsMatrix } from "../src/index.ts";

export interface ReferenceScores {
  learnedBy: "loss" | "accuracy";
  epsilon: number | null;
  difficulty: number[];
  /** The paper's forget frequency. */
  forgetFrequency: number[];
  lossDrop: number[];
  relativeLossDrop: number[];
  excessLossDrop: number[];
  accuracyGain: number[];
  meanLoss: number[];
  forgetEvents: number[];
  neverLearned: boolean[];
  confidence: number[];
  variability: number[];
  correctness: number[];
}

export function numpyMedian(values: ArrayLike<number>): number {
  const sorted = Array.from(values).sort((a, b) => a - b);
  const n = sorted.length;
  return n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}

export function referenceScores(
  dyn: DynamicsMatrix,
  config: { learnedBy?: "loss" | "accuracy" | "auto"; epsilon?: number; tau?: number; earlyEpochs?: number; lateEpochs?: number } = {},
): ReferenceScores {
  const T = dyn.epochs;
  const N = dyn.ids.length;
  const Te = config.earlyEpochs ?? Math.max(1, Math.ceil(T / 4));
  const Tl = config.lateEpochs ?? Te;
  // "auto": an explicit ε or τ decides; else accuracy when every accuracy is 0 or 1.
  const auto = config.learnedBy === undefined || config.learnedBy === "auto";
  const binary = Array.from(dyn.acc).every((a) => a === 0 || a === 1);
  const byAccuracy = auto ? config.epsilon === undefined && (config.tau !== undefined || binary) : config.learnedBy === "accuracy";
  const epsilon = byAccuracy ? null : (config.epsilon ?? numpyMedian(dyn.loss));
  const tau = config.tau ?? 1;
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const out: ReferenceScores = {
    learnedBy: byAccuracy ? "accuracy" : "loss",
    epsilon,
    difficulty: [],
    forgetFrequency: [],
    lossDrop: [],
    relativeLossDrop: [],
    excessLossDrop: [],
    accuracyGain: [],
    meanLoss: [],
    forgetEvents: [],
    neverLearned: [],
    confidence: [],
    variability: [],
    correctness: [],
  };
  const lates: number[] = [];
  for (let i = 0; i < N; i++) {
    const loss = Array.from(dyn.loss.subarray(i * T, (i + 1) * T));
    const acc = Array.from(dyn.acc.subarray(i * T, (i + 1) * T));
    const learned = byAccuracy ? acc.map((a) => a >= tau) : loss.map((l) => l < epsilon!);
    let forgets = 0;
    for (let t = 1; t < T; t++) if (learned[t - 1] && !learned[t]) forgets++;
    const probs = loss.map((l) => Math.exp(-l));
    const meanP = mean(probs);
    const early = mean(loss.slice(0, Te));
    const late = mean(loss.slice(T - Tl));
    out.difficulty.push(early);
    lates.push(late);
    out.lossDrop.push(early - late);
    out.relativeLossDrop.push(early > 0 ? 1 - late / early : 0);
    out.accuracyGain.push(mean(acc.slice(T - Tl)) - mean(acc.slice(0, Te)));
    out.meanLoss.push(mean(loss));
    out.forgetEvents.push(forgets);
    out.forgetFrequency.push(T === 1 ? 0 : forgets / (T - 1));
    out.neverLearned.push(!learned.some(Boolean));
    out.confidence.push(meanP);
    out.variability.push(Math.sqrt(probs.reduce((s, p) => s + (p - meanP) ** 2, 0) / T));
    out.correctness.push(acc.reduce((s, a) => s + a, 0) / T);
  }
  // excessLossDrop: the textbook least-squares line of y = ln(late + δ) on x = ln(early + δ),
  // then the fitted value minus y.
  const x = out.difficulty.map((early) => Math.log(early + EXCESS_LOSS_FLOOR));
  const y = lates.map((late) => Math.log(late + EXCESS_LOSS_FLOOR));
  if (N > 0) {
    const mx = mean(x);
    const my = mean(y);
    const sxx = x.reduce((s, xi) => s + (xi - mx) ** 2, 0);
    const sxy = x.reduce((s, xi, i) => s + (xi - mx) * (y[i]! - my), 0);
    const b = sxx / N > EXCESS_FIT_MIN_VARIANCE ? sxy / sxx : 0;
    const a = my - b * mx;
    out.excessLossDrop = x.map((xi, i) => a + b * xi - y[i]!);
  }
  return out;
}

/**
 * A matrix from plain rows (values are stored as float32, like every real matrix). Rows without
 * `acc` get 0.5 per epoch: fractional token accuracy, as a language model records, so that the
 * default ("auto") learns by loss as it does for such runs.
 */
export function matrix(rows: Record<string, { loss: number[]; acc?: number[] }>): DynamicsMatrix {
  const ids = Object.keys(rows);
  const T = rows[ids[0]!]!.loss.length;
  const loss = new Float32Array(ids.length * T);
  const acc = new Float32Array(ids.length * T);
  ids.forEach((id, i) => {
    const row = rows[id]!;
    loss.set(row.loss, i * T);
    acc.set(row.acc ?? row.loss.map(() => 0.5), i * T);
  });
  return { ids, epochs: T, loss, acc };
}

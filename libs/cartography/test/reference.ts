// A deliberately naive implementation of DESIGN.md §1, straight from the definitions (sorted
// copy for the median, one loop per score), to check the optimised engine against.
import type { DynamicsMatrix } from "../src/index.ts";

export interface ReferenceScores {
  epsilon: number | null;
  difficulty: number[];
  memorization: number[];
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
  config: { learnedBy?: "loss" | "accuracy"; epsilon?: number; tau?: number; earlyEpochs?: number } = {},
): ReferenceScores {
  const T = dyn.epochs;
  const N = dyn.ids.length;
  const Te = config.earlyEpochs ?? Math.max(1, Math.ceil(T / 4));
  const byAccuracy = config.learnedBy === "accuracy";
  const epsilon = byAccuracy ? null : (config.epsilon ?? numpyMedian(dyn.loss));
  const tau = config.tau ?? 1;
  const out: ReferenceScores = {
    epsilon,
    difficulty: [],
    memorization: [],
    forgetEvents: [],
    neverLearned: [],
    confidence: [],
    variability: [],
    correctness: [],
  };
  for (let i = 0; i < N; i++) {
    const loss = Array.from(dyn.loss.subarray(i * T, (i + 1) * T));
    const acc = Array.from(dyn.acc.subarray(i * T, (i + 1) * T));
    const learned = byAccuracy ? acc.map((a) => a >= tau) : loss.map((l) => l < epsilon!);
    let forgets = 0;
    for (let t = 1; t < T; t++) if (learned[t - 1] && !learned[t]) forgets++;
    const probs = loss.map((l) => Math.exp(-l));
    const mean = probs.reduce((s, p) => s + p, 0) / T;
    out.difficulty.push(loss.slice(0, Te).reduce((s, l) => s + l, 0) / Te);
    out.forgetEvents.push(forgets);
    out.memorization.push(T === 1 ? 0 : forgets / (T - 1));
    out.neverLearned.push(!learned.some(Boolean));
    out.confidence.push(mean);
    out.variability.push(Math.sqrt(probs.reduce((s, p) => s + (p - mean) ** 2, 0) / T));
    out.correctness.push(acc.reduce((s, a) => s + a, 0) / T);
  }
  return out;
}

/** A matrix from plain rows (values are stored as float32, like every real matrix). */
export function matrix(rows: Record<string, { loss: number[]; acc?: number[] }>): DynamicsMatrix {
  const ids = Object.keys(rows);
  const T = rows[ids[0]!]!.loss.length;
  const loss = new Float32Array(ids.length * T);
  const acc = new Float32Array(ids.length * T);
  ids.forEach((id, i) => {
    const row = rows[id]!;
    loss.set(row.loss, i * T);
    acc.set(row.acc ?? row.loss.map(() => 0), i * T);
  });
  return { ids, epochs: T, loss, acc };
}

/**
 * Scores of a baseline run for the study's policies. Two units of time for forget events (they
 * matter to the forgetFrequency signal only):
 *
 * - "epoch" (DESIGN.md §1 as is): each example's row of T per-epoch losses, straight through
 *   the cartography engine's `computeScores`.
 * - "presentation": copies of one text (a canary repeated k times) are one item seen k·T times;
 *   its forget events are counted over all its presentations in the order training made them,
 *   with the same ε (or τ) as the epoch scores, and every copy gets the item's scores. Examples
 *   without duplicates are seen once per epoch, so their scores are the same in both units.
 *
 * Presentation order is not stored by the trainer; it is rebuilt exactly from the seed, as the
 * trainer draws it (`planEpochBatches` on Rng(seed, "shuffle")).
 */
import { assignQuadrants, computeScores, type QuadrantAssignment, type QuantileQuadrantOptions, type Scores, type ScoringConfig } from "@gdc/cartography";
import { planEpochBatches, Rng, type TrainingDynamics } from "@gdc/model";

export type ForgetEventUnit = "epoch" | "presentation";

export interface StudyScoringConfig extends ScoringConfig {
  /** Default "epoch". */
  forgetEventsOver?: ForgetEventUnit;
  /** Quantile thresholds (DESIGN defaults q_d = 0.5, q_m = 0.9). */
  quadrants?: QuantileQuadrantOptions;
}

export interface StudyScores {
  scores: Scores;
  quadrants: QuadrantAssignment;
  forgetEventsOver: ForgetEventUnit;
}

/**
 * Chronological position of every example's presentation: position[i * T + t] is the index of
 * example i in the concatenated order of epoch t (−1 when weight 0).
 */
export function presentationPositions(weights: ArrayLike<number>, epochs: number, batchSize: number, seed: number): Int32Array {
  const N = weights.length;
  const position = new Int32Array(N * epochs).fill(-1);
  const rng = Rng.fromSeed(seed, "shuffle");
  for (let t = 0; t < epochs; t++) {
    let at = 0;
    for (const batch of planEpochBatches(weights, batchSize, rng)) {
      for (const i of batch) position[i * epochs + t] = at++;
    }
  }
  return position;
}

export interface PresentationGroupScores {
  forgetEvents: number;
  presentations: number;
  neverLearned: boolean;
}

/**
 * Forget events of one item over its presentations in chronological order: learned(p) is
 * `loss < ε` (or `acc ≥ τ`), a forget event is learned(p − 1) && !learned(p).
 */
export function forgetEventsOverPresentations(loss: readonly number[], acc: readonly number[], config: Scores["config"]): PresentationGroupScores {
  const learned = loss.map((l, p) => (config.learnedBy === "loss" ? l < config.epsilon! : acc[p]! >= config.tau!));
  let forgetEvents = 0;
  for (let p = 1; p < learned.length; p++) if (learned[p - 1] && !learned[p]) forgetEvents++;
  return { forgetEvents, presentations: learned.length, neverLearned: !learned.some(Boolean) };
}

export function scoreBaseline(
  ids: readonly string[],
  texts: readonly string[],
  dynamics: TrainingDynamics,
  config: StudyScoringConfig,
  schedule: { batchSize: number; seed: number },
): StudyScores {
  const { forgetEventsOver = "epoch", quadrants: quadrantOptions = {}, ...scoring } = config;
  const T = dynamics.epochs;
  const scores = computeScores({ ids, epochs: T, loss: dynamics.loss, acc: dynamics.acc }, scoring);
  if (forgetEventsOver === "presentation") {
    const groups = new Map<string, number[]>();
    texts.forEach((text, i) => groups.set(text, [...(groups.get(text) ?? []), i]));
    const weights = Float32Array.from(dynamics.trained);
    const position = presentationPositions(weights, T, schedule.batchSize, schedule.seed);
    const Te = scores.config.earlyEpochs;
    for (const members of groups.values()) {
      if (members.length < 2) continue;
      const cells: { t: number; at: number; i: number }[] = [];
      for (let t = 0; t < T; t++) for (const i of members) cells.push({ t, at: position[i * T + t]!, i });
      cells.sort((a, b) => a.t - b.t || a.at - b.at);
      const loss = cells.map((c) => dynamics.loss[c.i * T + c.t]!);
      const acc = cells.map((c) => dynamics.acc[c.i * T + c.t]!);
      const g = forgetEventsOverPresentations(loss, acc, scores.config);
      const early = cells.filter((c) => c.t < Te).map((c) => dynamics.loss[c.i * T + c.t]!);
      const difficulty = early.reduce((a, b) => a + b, 0) / early.length;
      for (const i of members) {
        scores.forgetEvents[i] = g.forgetEvents;
        // memorization is this same array when the signal is forgetFrequency; other signals
        // are not forget counts and keep their per-epoch values.
        scores.forgetFrequency[i] = g.presentations > 1 ? g.forgetEvents / (g.presentations - 1) : 0;
        scores.neverLearned[i] = g.neverLearned ? 1 : 0;
        scores.difficulty[i] = difficulty;
      }
    }
  }
  return { scores, quadrants: assignQuadrants(scores, quadrantOptions), forgetEventsOver };
}

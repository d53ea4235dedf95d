/**
 * How well each memorization signal finds the canaries, from the baseline's own dynamics (no
 * retraining): per seed, the share of canary copies in the top x % of the signal (what a prune
 * policy at that budget would catch, ties broken at random) per repetition level, and the
 * ROC-AUC of canary copies against every other example; across seeds, how stable the top x %
 * set is. This is the validation DESIGN.md §1 picks the default memorization signal by.
 */
import { computeScores, DEFAULT_MEMORIZATION_SIGNALS, MEMORIZATION_SIGNALS, type MemorizationSignal, type ScoringConfig } from "@gdc/cartography";
import type { TrainingDynamics } from "@gdc/model";
import { pairwiseJaccard, rocAuc, spreadOf, topRecall, type PairwiseJaccard, type Spread } from "./stats.ts";

export interface SignalScore {
  /** A MEMORIZATION_SIGNALS name, "forgetFrequency:accuracy"/"forgetFrequency:loss", "difficulty" or "oneMinusConfidence". */
  key: string;
  label: string;
  /** True for the signals `memorizationSignal` may name (the candidates for the default). */
  candidate: boolean;
  score: Float64Array;
}

const LABELS: Record<MemorizationSignal, string> = {
  lossDrop: "lossDrop (early − late loss)",
  relativeLossDrop: "relativeLossDrop (1 − late/early loss)",
  excessLossDrop: "excessLossDrop (late loss below the fit on early loss, log)",
  accuracyGain: "accuracyGain (late − early accuracy)",
  meanLoss: "meanLoss (C-score proxy)",
  forgetFrequency: "forgetFrequency (paper)",
};

function sameValues(a: Float64Array, b: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Every signal of one baseline's per-epoch dynamics. forgetFrequency is computed under the
 * study's own criterion and, when it gives different scores, under the other one too (loss < ε
 * vs every token right, acc ≥ τ).
 */
export function signalScores(ids: readonly string[], dynamics: TrainingDynamics, scoring: ScoringConfig): SignalScore[] {
  const dyn = { ids, epochs: dynamics.epochs, loss: dynamics.loss, acc: dynamics.acc };
  const { epsilon, tau, learnedBy: _learnedBy, memorizationSignal: _signal, ...windows } = scoring;
  const main = computeScores(dyn, scoring);
  const criterion = (by: "loss" | "accuracy") => (by === "loss" ? `loss < ε${epsilon === undefined ? " = median" : ` = ${epsilon}`}` : `acc ≥ τ = ${tau ?? 1}`);
  const out: SignalScore[] = MEMORIZATION_SIGNALS.map((key) => ({
    key,
    label: key === "forgetFrequency" ? `${LABELS[key]}, learned: ${criterion(main.config.learnedBy)}` : LABELS[key],
    candidate: true,
    score: main[key],
  }));
  const other = main.config.learnedBy === "loss" ? "accuracy" : "loss";
  const alt = computeScores(dyn, { ...windows, learnedBy: other, ...(other === "loss" ? (epsilon === undefined ? {} : { epsilon }) : { tau: tau ?? 1 }) });
  if (!sameValues(alt.forgetFrequency, main.forgetFrequency)) {
    out.push({
      key: `forgetFrequency:${other}`,
      label: `${LABELS.forgetFrequency}, learned: ${criterion(other)}`,
      candidate: false,
      score: alt.forgetFrequency,
    });
  }
  out.push({ key: "difficulty", label: "difficulty (early loss), for reference", candidate: false, score: main.difficulty });
  out.push({ key: "oneMinusConfidence", label: "1 − confidence, for reference", candidate: false, score: main.confidence.map((c) => 1 - c) });
  return out;
}

/** Examples of the top k by score; ties broken as the prune policy breaks them (higher difficulty, then lower index). */
export function topSet(ids: readonly string[], score: ArrayLike<number>, difficulty: ArrayLike<number>, k: number): Set<string> {
  const order = Array.from({ length: ids.length }, (_, i) => i).sort((a, b) => score[b]! - score[a]! || difficulty[b]! - difficulty[a]! || a - b);
  return new Set(order.slice(0, Math.max(0, k)).map((i) => ids[i]!));
}

export interface SignalSeedResult {
  seed: number;
  auc: number;
  /** Recall of canary copies in the top x %, per repetition level. */
  recall: { repetitions: number; recall: number }[];
  /** Pooled over canaries repeated ≥ 4 times. */
  recallAtLeast4: number;
  /** Pooled over every canary copy. */
  recallAll: number;
}

export interface SignalRow {
  key: string;
  label: string;
  candidate: boolean;
  /** Means (and spread) over seeds. */
  auc: Spread;
  recall: { repetitions: number; recall: Spread }[];
  recallAtLeast4: Spread;
  recallAll: Spread;
  /** Mean pairwise Jaccard of the top x % sets across seeds (ties broken as the prune policy does). */
  topJaccard: PairwiseJaccard;
  perSeed: SignalSeedResult[];
}

export interface SignalsTable {
  /** x of "top x %". */
  topPercent: number;
  /** Training examples per seed, and of them canary copies. */
  examples: number;
  canaryCopies: number;
  rows: SignalRow[];
  /** The candidate signal with the highest mean AUC, and with the highest mean recall (≥ 4 copies); ties: MEMORIZATION_SIGNALS order. */
  bestByAuc: string | null;
  bestByRecall: string | null;
  /** The signal the study's `memorization` used. */
  configured: MemorizationSignal;
}

/** Accumulates each seed's baseline and builds the table. */
export class SignalsAccumulator {
  private readonly perSeed = new Map<string, { label: string; candidate: boolean; results: SignalSeedResult[]; tops: Set<string>[] }>();
  private examples = 0;
  private canaryCopies = 0;

  constructor(
    private readonly topPercent: number,
    private readonly configured: MemorizationSignal = DEFAULT_MEMORIZATION_SIGNALS.languageModel,
  ) {}

  add(seed: number, ids: readonly string[], dynamics: TrainingDynamics, scoring: ScoringConfig, copyRepetitions: readonly (number | null)[]): void {
    const k = Math.floor((this.topPercent * ids.length) / 100);
    const canary = copyRepetitions.map((r) => r !== null);
    const levels = [...new Set(copyRepetitions.filter((r): r is number => r !== null))].sort((a, b) => a - b);
    const members = (keep: (r: number) => boolean) => copyRepetitions.flatMap((r, i) => (r !== null && keep(r) ? [i] : []));
    this.examples = ids.length;
    this.canaryCopies = canary.filter(Boolean).length;
    const signals = signalScores(ids, dynamics, scoring);
    const difficulty = signals.find((s) => s.key === "difficulty")!.score;
    for (const s of signals) {
      const entry = this.perSeed.get(s.key) ?? { label: s.label, candidate: s.candidate, results: [], tops: [] };
      entry.results.push({
        seed,
        auc: rocAuc(s.score, canary),
        recall: levels.map((r) => ({
          repetitions: r,
          recall: topRecall(
            s.score,
            members((x) => x === r),
            k,
          ),
        })),
        recallAtLeast4: topRecall(
          s.score,
          members((x) => x >= 4),
          k,
        ),
        recallAll: topRecall(
          s.score,
          members(() => true),
          k,
        ),
      });
      entry.tops.push(topSet(ids, s.score, difficulty, k));
      this.perSeed.set(s.key, entry);
    }
  }

  table(): SignalsTable {
    const rows: SignalRow[] = [...this.perSeed.entries()].map(([key, e]) => {
      const levels = [...new Set(e.results.flatMap((r) => r.recall.map((x) => x.repetitions)))].sort((a, b) => a - b);
      const finite = (xs: number[]) => spreadOf(xs.filter((x) => !Number.isNaN(x)));
      return {
        key,
        label: e.label,
        candidate: e.candidate,
        auc: finite(e.results.map((r) => r.auc)),
        recall: levels.map((r) => ({ repetitions: r, recall: finite(e.results.map((x) => x.recall.find((y) => y.repetitions === r)?.recall ?? Number.NaN)) })),
        recallAtLeast4: finite(e.results.map((r) => r.recallAtLeast4)),
        recallAll: finite(e.results.map((r) => r.recallAll)),
        topJaccard: pairwiseJaccard(e.tops),
        perSeed: e.results,
      };
    });
    const best = (value: (r: SignalRow) => number) => {
      let top: SignalRow | null = null;
      for (const r of rows) if (r.candidate && Number.isFinite(value(r)) && (top === null || value(r) > value(top))) top = r;
      return top?.key ?? null;
    };
    return {
      topPercent: this.topPercent,
      examples: this.examples,
      canaryCopies: this.canaryCopies,
      rows,
      bestByAuc: best((r) => r.auc.mean),
      bestByRecall: best((r) => r.recallAtLeast4.mean),
      configured: this.configured,
    };
  }
}

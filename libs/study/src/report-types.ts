/**
 * The study report (report.json, and Study.report in the database). Rates and relative changes
 * are fractions (0.25 = 25 %); exposures are in bits; perplexity is token-level on the
 * validation split. Every per-policy number is the mean over seeds at the top level, with its
 * spread in `spread` and the per-seed values in `perSeed`.
 */
import type { QuadrantThresholds, Quadrant, ResolvedScoringConfig } from "@gdc/cartography";
import type { ModelConfig } from "@gdc/model";
import type { ResolvedPolicySpec, StudyPolicyKind, StudyPolicySpec } from "./policies.ts";
import type { ForgetEventUnit } from "./scoring.ts";
import type { SignalsTable } from "./signals.ts";
import type { Interval, PairwiseJaccard, Spread } from "./stats.ts";

/**
 * Format 2 (this one) adds per-canary exposures, bootstrap intervals, the equal-steps retrains,
 * the signals table and the exact-duplicate and forget-frequency arms; format 1's fields keep
 * their meaning.
 */
export const STUDY_REPORT_FORMAT = "gdc-study-report-2";

export interface RepetitionResult {
  repetitions: number;
  canaries: number;
  extractionRate: number;
  meanExposureRank: number;
  meanExposureSkewNormal: number;
}

export interface ArmSeedResult {
  seed: number;
  extractionRate: number;
  extracted: number;
  canaries: number;
  meanExposureRank: number;
  meanExposureSkewNormal: number;
  validationPerplexity: number;
  /** (this − baseline) ÷ baseline validation perplexity, same seed. */
  perplexityChange: number;
  /** Share of canary copies (training examples) the policy pruned or down-weighted. */
  caughtShare: number;
  /** Canaries with every copy pruned or down-weighted, ÷ canaries. */
  caughtCanaryShare: number;
  pruned: number;
  downweighted: number;
  trainedExamples: number;
  byRepetitions: RepetitionResult[];
  /** Canaries greedy decoding reproduced. */
  extractedCanaries: string[];
  /** Exposure (rank estimator) of every canary, in StudyReport.canaries order. */
  canaryExposures: number[];
  spec: ResolvedPolicySpec | null;
  /** Optimizer steps this model was trained for (the equal-epochs schedule). */
  steps: number;
  trainingSeconds: number;
  /**
   * The same curated data retrained for the baseline's number of optimizer steps (prune arms
   * only; null when the arm prunes nothing, where both schedules are the same).
   */
  equalSteps: EqualStepsSeedResult | null;
}

export interface EqualStepsSeedResult {
  steps: number;
  /** Epochs that took (the last may be partial). */
  epochs: number;
  validationPerplexity: number;
  perplexityChange: number;
  /** Null when the study did not audit equal-steps models (auditEqualSteps false). */
  extractionRate: number | null;
  extracted: number | null;
  meanExposureRank: number | null;
  canaryExposures: number[] | null;
  trainingSeconds: number;
}

/** An arm's mean exposure with a bootstrap interval, and its change from a reference arm. */
export interface ExposureEstimate {
  mean: number;
  ci: Interval;
}

export interface ExposureChange {
  /** Mean over seeds and canaries of (arm − reference), bits, with its bootstrap interval. */
  difference: number;
  differenceCI: Interval;
  /** (arm − reference) ÷ reference mean exposure: −0.4 is a 40 % cut. */
  relativeChange: number;
  relativeChangeCI: Interval;
  /** True when the interval of the difference excludes 0. */
  resolved: boolean;
}

export interface EqualStepsResult {
  steps: number;
  validationPerplexity: number;
  perplexityChange: Spread;
  extractionRate: number | null;
  exposure: ExposureEstimate | null;
  exposureChange: ExposureChange | null;
}

export type ArmMetric =
  "extractionRate" | "meanExposureRank" | "meanExposureSkewNormal" | "validationPerplexity" | "perplexityChange" | "caughtShare" | "caughtCanaryShare";

export interface ArmResult {
  /** "baseline" or the policy's name. */
  name: string;
  label: string;
  kind: "baseline" | StudyPolicyKind;
  spec: StudyPolicySpec | null;
  /** Means over seeds (read by the web app's table and charts). */
  extractionRate: number;
  meanExposureRank: number;
  meanExposureSkewNormal: number;
  validationPerplexity: number;
  perplexityChange: number;
  caughtShare: number;
  caughtCanaryShare: number;
  spread: Record<ArmMetric, Spread>;
  /** Mean extraction rate per repetition level. */
  byRepetitions: RepetitionResult[];
  /** How similar the examples this policy selected are across seeds (null for the baseline). */
  selectionJaccard: PairwiseJaccard | null;
  /** Mean exposure (rank) over seeds and canaries, with its two-level bootstrap interval. */
  exposure: ExposureEstimate;
  /** Paired change from the baseline (same seed, same canary); null for the baseline. */
  exposureChange: ExposureChange | null;
  /** The equal-steps retrains (null for arms that prune nothing). */
  equalSteps: EqualStepsResult | null;
  perSeed: ArmSeedResult[];
}

export interface CanaryScoreSummary {
  canaryId: string;
  repetitions: number;
  copies: number;
  meanMemorization: number;
  meanDifficulty: number;
  /** Highest memorization percentile among its copies (1 = the most memorized example). */
  bestMemorizationPercentile: number;
  quadrants: Partial<Record<Quadrant, number>>;
}

export interface SeedScoring {
  seed: number;
  config: ResolvedScoringConfig;
  forgetEventsOver: ForgetEventUnit;
  thresholds: QuadrantThresholds;
  counts: Record<Quadrant, number>;
  /** Examples with memorization > 0. */
  memorizedExamples: number;
  canaries: CanaryScoreSummary[];
}

export interface DataMap {
  seed: number;
  ids: string[];
  difficulty: number[];
  memorization: number[];
  quadrant: Quadrant[];
  canary: boolean[];
}

export interface VerdictComparison {
  policy: string;
  label: string;
  /** Lower mean exposure than this arm (the rule in Verdict.rule). */
  beaten: boolean;
  /** The 95 % interval of the paired exposure difference (policy − this arm) excludes 0. */
  resolved: boolean;
  exposureDifference: number;
  exposureDifferenceCI: Interval;
  extractionRate: number;
  meanExposureRank: number;
  perplexityChange: number;
  /** At the baseline's number of optimizer steps (null without an equal-steps retrain). */
  perplexityChangeEqualSteps: number | null;
  /** Examples this arm pruned, mean over seeds. */
  pruned: number;
}

export interface VerdictChecks {
  /** Share of canary copies the policy pruned or down-weighted; the bar is 85 %. */
  caughtShare: number;
  caughtAtLeast85: boolean;
  /** −relative change of mean exposure from the baseline (0.4 = 40 % cut), with its interval. */
  exposureCut: number;
  exposureCutCI: Interval;
  exposureCutAtLeast40: boolean;
  /** Beat both the random and the top-loss prune (null when either arm is missing). */
  beatsRandomAndLoss: boolean | null;
  perplexityChangeEqualEpochs: number;
  perplexityChangeEqualSteps: number | null;
}

export interface Verdict {
  /** The policy the verdict (and the release-gate summary) is about. */
  policy: string;
  /** Comparison policies it was measured against, with the outcome. */
  comparisons: VerdictComparison[];
  /** The bars the study states (null without a GenDataCarto policy). */
  checks: VerdictChecks | null;
  /** True iff it beat every comparison policy (rule in `rule`); null without comparisons. */
  beatsBaselines: boolean | null;
  rule: string;
  paperClaim: {
    claim: string;
    /** null when it cannot be decided (the baseline extracted nothing). */
    held: boolean | null;
    /** Pruned share the study ran at (the claim is about 10 %). */
    prunePercent: number | null;
    extractionReduction: number | null;
    perplexityIncrease: number | null;
    /** Sample std over seeds of the policy's relative perplexity change (null with one seed). */
    perplexityChangeStd: number | null;
    reasons: string[];
  };
  /** Plain sentences for people, generated from the numbers above. */
  sentences: string[];
}

export interface StudySummary {
  /** What the release gate reads: summaryPolicy's pooled extraction ÷ the baseline's (null if the baseline extracted nothing). */
  extractionRatio: number | null;
  /** Mean over seeds of (curated − baseline) ÷ baseline validation perplexity. */
  perplexityIncrease: number | null;
  policy: string;
  baselineExtractionRate: number;
  curatedExtractionRate: number;
  baselinePerplexity: number;
  curatedPerplexity: number;
  hotspotJaccard: number | null;
  beatsBaselines: boolean | null;
  paperClaimHeld: boolean | null;
  note: string;
}

export interface StudyReport {
  format: typeof STUDY_REPORT_FORMAT;
  createdAt: string;
  backend: string;
  summary: StudySummary;
  verdict: Verdict;
  policies: ArmResult[];
  /** The audited canaries, in the order of every `canaryExposures` array. */
  canaries: { id: string; repetitions: number; prefix: string }[];
  /** How well each memorization signal of the baseline's dynamics finds the canary copies. */
  signals: SignalsTable | null;
  stability: {
    /** Mean pairwise Jaccard of the baseline's HOTSPOT_MEMORIZED sets across seeds. */
    hotspotJaccard: PairwiseJaccard;
    /** Same for the top-decile-by-memorization sets (the prune policy's candidates at 10 %). */
    topMemorizationJaccard: PairwiseJaccard;
  };
  scoring: SeedScoring[];
  dataMap: DataMap | null;
  config: {
    corpus: { source: string; trainPassages: number; validationPassages: number; canaryCopies: number; trainingExamples: number };
    canaries: { canaries: number; repetitions: number[]; secretLength: number[]; references: number; frames: number };
    training: {
      model: ModelConfig;
      epochs: number;
      batchSize: number;
      learningRate: number;
      maxTokens: number;
      clipNorm: number | null;
      parameters: number;
      baselineSteps: number;
    };
    scoring: Record<string, unknown>;
    seeds: number[];
    prunePercent: number | null;
    /** Resamples and seed of the bootstrap intervals. */
    bootstrap: { resamples: number; seed: number; level: number };
    auditEqualSteps: boolean;
  };
  timing: {
    seconds: number;
    trainings: number;
    /** Of them, equal-steps retrains. */
    equalStepsTrainings: number;
    trainingSeconds: number;
    auditSeconds: number;
    /** Training examples presented per second over all trainings. */
    examplesPerSecond: number;
  };
}

/**
 * The study report (report.json, and Study.report in the database). Rates and relative changes
 * are fractions (0.25 = 25 %); exposures are in bits; perplexity is token-level on the
 * validation split. Every per-policy number is the mean over seeds at the top level, with its
 * spread in `spread` and the per-seed values in `perSeed`.
 */
import type { PolicySpec, QuadrantThresholds, Quadrant, ResolvedScoringConfig } from "@gdc/cartography";
import type { ModelConfig } from "@gdc/model";
import type { StudyPolicyKind, StudyPolicySpec } from "./policies.ts";
import type { ForgetEventUnit } from "./scoring.ts";
import type { PairwiseJaccard, Spread } from "./stats.ts";

export const STUDY_REPORT_FORMAT = "gdc-study-report-1";

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
  spec: PolicySpec | null;
  trainingSeconds: number;
}

export type ArmMetric = "extractionRate" | "meanExposureRank" | "meanExposureSkewNormal" | "validationPerplexity" | "perplexityChange" | "caughtShare" | "caughtCanaryShare";

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

export interface Verdict {
  /** The policy the verdict (and the release-gate summary) is about. */
  policy: string;
  /** Comparison policies it was measured against, with the outcome. */
  comparisons: { policy: string; label: string; beaten: boolean; extractionRate: number; meanExposureRank: number; perplexityChange: number }[];
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
    canaries: { canaries: number; repetitions: number[]; secretLength: number[]; references: number };
    training: { model: ModelConfig; epochs: number; batchSize: number; learningRate: number; maxTokens: number; clipNorm: number | null; parameters: number };
    scoring: Record<string, unknown>;
    seeds: number[];
    prunePercent: number | null;
  };
  timing: {
    seconds: number;
    trainings: number;
    trainingSeconds: number;
    auditSeconds: number;
    /** Training examples presented per second over all trainings. */
    examplesPerSecond: number;
  };
}

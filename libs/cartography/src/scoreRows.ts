import { DynamicsShapeError } from "./errors.ts";
import { quadrantName, type Quadrant, type QuadrantAssignment } from "./quadrants.ts";
import type { Scores } from "./scores.ts";

/**
 * An example's score columns, in order: the names (snake_case) of the CSV and Arrow columns of
 * every score file (`gdc score`, the run scores download) and of the example_scores table.
 */
export const SCORE_COLUMNS = [
  "difficulty",
  "memorization",
  "forget_frequency",
  "loss_drop",
  "relative_loss_drop",
  "excess_loss_drop",
  "accuracy_gain",
  "mean_loss",
  "forget_events",
  "never_learned",
  "confidence",
  "variability",
  "correctness",
  "quadrant",
] as const;
export type ScoreColumn = (typeof SCORE_COLUMNS)[number];

/** What each score column holds: a float, a count, a flag, or a quadrant name. */
export const SCORE_COLUMN_KINDS: { readonly [C in ScoreColumn]: "float" | "int" | "bool" | "quadrant" } = {
  difficulty: "float",
  memorization: "float",
  forget_frequency: "float",
  loss_drop: "float",
  relative_loss_drop: "float",
  excess_loss_drop: "float",
  accuracy_gain: "float",
  mean_loss: "float",
  forget_events: "int",
  never_learned: "bool",
  confidence: "float",
  variability: "float",
  correctness: "float",
  quadrant: "quadrant",
};

/** The file formats a run's scores download comes in (`GET /export/runs/<id>/scores.<format>`, `gdc scores --format`). */
export const SCORE_FILE_FORMATS = ["csv", "arrow"] as const;
export type ScoreFileFormat = (typeof SCORE_FILE_FORMATS)[number];

/** Columns of `gdc score`'s CSV, in order: the input id, then every score column. */
export const SCORE_CSV_COLUMNS = ["id", ...SCORE_COLUMNS] as const;

/** One example's scores as a plain object (for JSON output and the API). */
export interface ScoreRow {
  id: string;
  difficulty: number;
  /** The run's chosen signal (config.memorizationSignal). */
  memorization: number;
  forgetFrequency: number;
  lossDrop: number;
  relativeLossDrop: number;
  excessLossDrop: number;
  accuracyGain: number;
  meanLoss: number;
  forgetEvents: number;
  neverLearned: boolean;
  confidence: number;
  variability: number;
  correctness: number;
  quadrant: Quadrant;
}

function checkLengths(ids: readonly string[], scores: Scores, quadrants: QuadrantAssignment): void {
  if (scores.difficulty.length !== ids.length || quadrants.quadrant.length !== ids.length) {
    throw new DynamicsShapeError(`${ids.length} ids, but ${scores.difficulty.length} scores and ${quadrants.quadrant.length} quadrants`);
  }
}

export function scoreRow(i: number, ids: readonly string[], scores: Scores, quadrants: QuadrantAssignment): ScoreRow {
  return {
    id: ids[i]!,
    difficulty: scores.difficulty[i]!,
    memorization: scores.memorization[i]!,
    forgetFrequency: scores.forgetFrequency[i]!,
    lossDrop: scores.lossDrop[i]!,
    relativeLossDrop: scores.relativeLossDrop[i]!,
    excessLossDrop: scores.excessLossDrop[i]!,
    accuracyGain: scores.accuracyGain[i]!,
    meanLoss: scores.meanLoss[i]!,
    forgetEvents: scores.forgetEvents[i]!,
    neverLearned: scores.neverLearned[i] === 1,
    confidence: scores.confidence[i]!,
    variability: scores.variability[i]!,
    correctness: scores.correctness[i]!,
    quadrant: quadrantName(quadrants.quadrant[i]!),
  };
}

/** Rows in input id order, one object at a time (a generator, so 1 M rows are never all alive). */
export function* scoreRows(ids: readonly string[], scores: Scores, quadrants: QuadrantAssignment): Generator<ScoreRow> {
  checkLengths(ids, scores, quadrants);
  for (let i = 0; i < ids.length; i++) yield scoreRow(i, ids, scores, quadrants);
}

/** RFC 4180 quoting, only where needed. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * CSV lines (each ending in "\n"), header first, one row per example in input id order.
 * Numbers are printed in full (shortest round-trip form); never_learned as true/false.
 */
export function* scoreCsvLines(ids: readonly string[], scores: Scores, quadrants: QuadrantAssignment): Generator<string> {
  checkLengths(ids, scores, quadrants);
  yield `${SCORE_CSV_COLUMNS.join(",")}\n`;
  const { difficulty, memorization, forgetFrequency, lossDrop, relativeLossDrop, excessLossDrop, accuracyGain, meanLoss } = scores;
  const { forgetEvents, neverLearned, confidence, variability, correctness } = scores;
  const codes = quadrants.quadrant;
  for (let i = 0; i < ids.length; i++) {
    yield `${csvField(ids[i]!)},${difficulty[i]},${memorization[i]},${forgetFrequency[i]},${lossDrop[i]},${relativeLossDrop[i]},${excessLossDrop[i]},${accuracyGain[i]},${meanLoss[i]},${forgetEvents[i]},${neverLearned[i] === 1},${confidence[i]},${variability[i]},${correctness[i]},${quadrantName(codes[i]!)}\n`;
  }
}

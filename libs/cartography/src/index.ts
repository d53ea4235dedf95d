// The cartography engine (DESIGN.md §1): pure scoring, quadrants and policies over typed
// arrays, plus streaming readers for training-dynamics files (the only I/O, in ./readers).
export { assertDynamicsShape, type DynamicsMatrix } from "./dynamics.ts";
export { CartographyError, ConfigError, DynamicsReadError, DynamicsShapeError, InvalidDynamicsValueError } from "./errors.ts";
export {
  computeScores,
  defaultEarlyEpochs,
  DEFAULT_MEMORIZATION_SIGNALS,
  DEFAULT_TAU,
  EXCESS_FIT_MIN_VARIANCE,
  EXCESS_LOSS_FLOOR,
  isBinaryAccuracy,
  isMemorizationSignal,
  MEMORIZATION_SIGNALS,
  PAPER_MEMORIZATION_SIGNAL,
  resolveLearnedBy,
  type LearnedBy,
  type LearnedBySource,
  type MemorizationSignal,
  type MemorizationSignalSource,
  type ResolvedScoringConfig,
  type Scores,
  type ScoringConfig,
} from "./scores.ts";
export { lowerQuantile, medianOfFloat32 } from "./quantiles.ts";
export {
  assignQuadrants,
  DEFAULT_Q_DIFFICULTY,
  DEFAULT_Q_MEMORIZATION,
  isQuadrant,
  QUADRANT_CODE,
  quadrantName,
  QUADRANTS,
  type AbsoluteQuadrantOptions,
  type Quadrant,
  type QuadrantAssignment,
  type QuadrantOptions,
  type QuadrantThresholds,
  type QuantileQuadrantOptions,
} from "./quadrants.ts";
export {
  applyPolicy,
  downweightQuadrant,
  parsePolicySpec,
  policySpecSchema,
  pruneQuadrant,
  pruneRandom,
  pruneTopByLoss,
  pruneTopByMemorization,
  type InterventionAction,
  type InterventionEvidence,
  type InterventionProposal,
  type PolicyContext,
  type PolicyInput,
  type PolicyName,
  type PolicySpec,
} from "./policies.ts";
export { mulberry32 } from "./random.ts";
export {
  csvField,
  SCORE_COLUMN_KINDS,
  SCORE_COLUMNS,
  SCORE_CSV_COLUMNS,
  SCORE_FILE_FORMATS,
  scoreCsvLines,
  scoreRow,
  scoreRows,
  type ScoreColumn,
  type ScoreFileFormat,
  type ScoreRow,
} from "./scoreRows.ts";
export { readCartographyDynamics, findEpochFiles, type CartographyDynamics } from "./readers/cartographyReader.ts";
export { readJsonlDynamics } from "./readers/jsonlReader.ts";
export { readCsvDynamics } from "./readers/csvReader.ts";
export { DYNAMICS_FORMATS, inferDynamicsFormat, readDynamics, type DynamicsFormat } from "./readers/readDynamics.ts";
export type { ReadOptions } from "./readers/readOptions.ts";
export { countGovernanceFlags, GOVERNANCE_FLAG_ORDER, GOVERNANCE_FLAGS, type GovernanceFlag } from "./governance.ts";

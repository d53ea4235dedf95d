/**
 * Defaults for training on the bundled corpus, chosen by measurement (bench/training/
 * architectures.ts, numbers in bench/README.md "Training"): at an equal budget of CPU seconds the
 * 2-layer d=64 transformer reached a lower validation perplexity than GRU-128, GRU-256 and a
 * d=128 transformer, and it learns fastest early, which is what short study runs need.
 */
import type { TransformerConfig } from "./model.ts";
import type { TrainingConfig } from "./train.ts";

export const DEFAULT_MODEL: TransformerConfig = {
  architecture: "transformer",
  modelSize: 64,
  heads: 2,
  layers: 2,
  feedForwardSize: 256,
  maxPositions: 256,
};

/**
 * What a tracked run's `modelConfig` leaves out (everything but epochs and seed, which a run
 * chooses). Studies train smaller models by default: libs/study's DEFAULT_STUDY_TRAINING.
 */
export const DEFAULT_RUN_TRAINING: Omit<TrainingConfig, "epochs" | "seed"> = {
  model: DEFAULT_MODEL,
  batchSize: 32,
  learningRate: 3e-3,
  maxTokens: 256,
  clipNorm: 1,
};

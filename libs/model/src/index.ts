export { selectBackend, activeBackend, BACKEND_PREFERENCE, type BackendName, type BackendSelection } from "./backend.ts";
export { registerKernelFixes, restoreReferenceKernels, unsortedSegmentSumValues, type PatchedBackend } from "./kernels.ts";
export { Rng, fnv1a32, type RngState } from "./rng.ts";
export { CharTokenizer, PAD_ID, BOS_ID, EOS_ID, UNK_ID, type CharTokenizerJSON } from "./tokenizer.ts";
export {
  LanguageModel,
  type ModelConfig,
  type GruConfig,
  type TransformerConfig,
  type SerializedTensor,
  type SerializedWeights,
  type SerializedLanguageModel,
} from "./model.ts";
export { perExampleMetrics, weightedBatchLoss, buildBatch, type PerExampleMetrics, type BatchArrays } from "./loss.ts";
export { AdamOptimizer, type AdamConfig, type OptimizerState } from "./optimizer.ts";
export { MemoryCheckpointStore, FileCheckpointStore, type CheckpointStore, type TrainingCheckpoint, type EpochSummary } from "./checkpoint.ts";
export {
  trainLanguageModel,
  trainedDynamics,
  trainingSchedule,
  computeBatchGradients,
  planEpochBatches,
  trainingFingerprint,
  CheckpointMismatchError,
  type TrainingConfig,
  type TrainingProgress,
  type TrainingDynamics,
  type TrainLanguageModelOptions,
  type TrainingResult,
  type BatchGradients,
} from "./train.ts";
export {
  forwardMetrics,
  evaluateTexts,
  validationPerplexity,
  greedyContinuation,
  greedyContinuations,
  continuationLogPerplexity,
  type BatchMetrics,
  type ExampleEvaluation,
  type EvaluateOptions,
  type GreedyOptions,
} from "./evaluate.ts";
export { mobyDickPassages, documentPassages, type CorpusPassage, type CorpusSplit, type MobyDickOptions } from "./corpus/mobyDick.ts";
export { DEFAULT_MODEL, DEFAULT_RUN_TRAINING } from "./defaults.ts";
export {
  modelArchitectureSchema,
  runModelConfigSchema,
  trainingOverridesSchema,
  resolveRunTrainingConfig,
  parseConfig,
  ConfigError,
  type RunModelConfig,
  type TrainingOverrides,
} from "./config.ts";

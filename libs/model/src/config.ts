/**
 * The one schema of a model-training configuration (zod, no TensorFlow.js: the API validates
 * with it before a run or study is queued, `@gdc/model/config`). A tracked run's `modelConfig`
 * fills what it leaves out from DEFAULT_RUN_TRAINING; a study's `training` overrides its own
 * defaults (libs/study) field by field. A given architecture fills its missing sizes below.
 */
import { z } from "zod";
import { DEFAULT_MODEL, DEFAULT_RUN_TRAINING } from "./defaults.ts";
import type { TrainingConfig } from "./train.ts";

const gru = z
  .object({
    architecture: z.literal("gru"),
    embeddingSize: z.number().int().min(4).max(1024).default(32),
    hiddenSize: z.number().int().min(4).max(2048).default(128),
    layers: z.number().int().min(1).max(4).default(1),
  })
  .strict();
const transformer = z
  .object({
    architecture: z.literal("transformer"),
    modelSize: z.number().int().min(8).max(1024).default(DEFAULT_MODEL.modelSize),
    heads: z.number().int().min(1).max(16).default(DEFAULT_MODEL.heads),
    layers: z.number().int().min(1).max(8).default(DEFAULT_MODEL.layers),
    feedForwardSize: z.number().int().min(8).max(4096).default(DEFAULT_MODEL.feedForwardSize),
    maxPositions: z.number().int().min(8).max(4096).default(DEFAULT_MODEL.maxPositions),
  })
  .strict();

/** A model architecture: gru or transformer, with bounds on every size. */
export const modelArchitectureSchema = z.discriminatedUnion("architecture", [gru, transformer]);

const bounds = {
  batchSize: z.number().int().min(1).max(4096),
  learningRate: z.number().positive().max(1),
  maxTokens: z.number().int().min(4).max(4096),
  clipNorm: z.number().positive().nullable(),
  epochs: z.number().int().min(1).max(200),
};

/** A tracked run's `modelConfig`: everything optional, defaults from DEFAULT_RUN_TRAINING (`{}` trains that). */
export const runModelConfigSchema = z
  .object({
    model: modelArchitectureSchema.default(DEFAULT_MODEL),
    batchSize: bounds.batchSize.default(DEFAULT_RUN_TRAINING.batchSize),
    learningRate: bounds.learningRate.default(DEFAULT_RUN_TRAINING.learningRate),
    maxTokens: bounds.maxTokens.default(DEFAULT_RUN_TRAINING.maxTokens),
    clipNorm: bounds.clipNorm.default(DEFAULT_RUN_TRAINING.clipNorm ?? null),
  })
  .strict();
export type RunModelConfig = z.input<typeof runModelConfigSchema>;

/** Overrides of a training configuration (a study's `training`), each field optional, epochs included. */
export const trainingOverridesSchema = z
  .object({
    model: modelArchitectureSchema.optional(),
    epochs: bounds.epochs.optional(),
    batchSize: bounds.batchSize.optional(),
    learningRate: bounds.learningRate.optional(),
    maxTokens: bounds.maxTokens.optional(),
    clipNorm: bounds.clipNorm.optional(),
  })
  .strict();
export type TrainingOverrides = z.output<typeof trainingOverridesSchema>;

/** A configuration refused by its schema; `field` is the path inside it (`model.heads`), "" for the whole. */
export class ConfigError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field || "config"}: ${reason}`);
    this.name = "ConfigError";
  }
}

/** Parses with `schema`, throwing a ConfigError that names the first offending field. */
export function parseConfig<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new ConfigError(issue.path.map(String).join("."), issue.message);
}

/** A run's `modelConfig` (JSON from the API, null for none) → the trainer's config. */
export function resolveRunTrainingConfig(modelConfig: unknown, run: { epochs: number; seed: number }): TrainingConfig {
  return { ...parseConfig(runModelConfigSchema, modelConfig ?? {}), epochs: run.epochs, seed: run.seed };
}

import { z } from "zod";
import { DEFAULT_MODEL, DEFAULT_TRAINING, type TrainingConfig } from "@gdc/model";

/**
 * A run's `modelConfig` (JSON from the API) → the trainer's config. Everything has a default
 * (libs/model's DEFAULT_TRAINING: the d=64 transformer, the best quality per CPU-second
 * measured here), so `{}` trains that; a given architecture fills its missing sizes with the
 * defaults below.
 */
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

const modelConfigSchema = z
  .object({
    model: z.discriminatedUnion("architecture", [gru, transformer]).default(DEFAULT_MODEL),
    batchSize: z.number().int().min(1).max(4096).default(DEFAULT_TRAINING.batchSize),
    learningRate: z.number().positive().max(1).default(DEFAULT_TRAINING.learningRate),
    maxTokens: z.number().int().min(4).max(4096).default(DEFAULT_TRAINING.maxTokens),
    clipNorm: z.number().positive().nullable().default(DEFAULT_TRAINING.clipNorm ?? null),
  })
  .strict();

export function resolveTrainingConfig(modelConfig: unknown, run: { epochs: number; seed: number }): TrainingConfig {
  const parsed = modelConfigSchema.safeParse(modelConfig ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${issue.path.join(".") || "modelConfig"}: ${issue.message}`);
  }
  return { ...parsed.data, epochs: run.epochs, seed: run.seed };
}

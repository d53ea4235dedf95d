import { z } from "zod";
import type { TrainingConfig } from "@gdc/model";

/**
 * A run's `modelConfig` (JSON from the API) → the trainer's config. Everything has a default,
 * so `{}` trains the standard small character-level GRU.
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
    modelSize: z.number().int().min(8).max(1024).default(64),
    heads: z.number().int().min(1).max(16).default(4),
    layers: z.number().int().min(1).max(8).default(2),
    feedForwardSize: z.number().int().min(8).max(4096).default(128),
    maxPositions: z.number().int().min(8).max(4096).default(256),
  })
  .strict();

const modelConfigSchema = z
  .object({
    model: z.discriminatedUnion("architecture", [gru, transformer]).default({ architecture: "gru", embeddingSize: 32, hiddenSize: 128, layers: 1 }),
    batchSize: z.number().int().min(1).max(4096).default(32),
    learningRate: z.number().positive().max(1).default(0.003),
    maxTokens: z.number().int().min(4).max(4096).default(128),
    clipNorm: z.number().positive().nullable().default(1),
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

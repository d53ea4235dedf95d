import * as tf from "@tensorflow/tfjs";
import { selectBackend, type ModelConfig, type TrainingConfig } from "../src/index.ts";

export async function useWasm(): Promise<void> {
  const { backend } = await selectBackend(["wasm"]);
  if (backend !== "wasm") throw new Error("tests expect the wasm backend");
}

/** Short sentences, so tests stay small: a few dozen examples of ~30–60 characters. */
export const SENTENCES = [
  "call me ishmael. some years ago.",
  "the whale swam under the ship.",
  "queequeg sat by the fire all night.",
  "the sea was calm and grey at dawn.",
  "ahab stood on the quarter deck.",
  "starbuck spoke of home and wife.",
  "the harpoon flew across the water.",
  "a cold wind blew from the north.",
  "stubb laughed and lit his pipe again.",
  "the crew pulled hard at the oars.",
  "white spray rose over the bow.",
  "the mast creaked in the storm.",
];

export function corpus(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${SENTENCES[i % SENTENCES.length]} ${i}`);
}

export const TINY_GRU: ModelConfig = { architecture: "gru", embeddingSize: 8, hiddenSize: 16, layers: 1 };
export const TINY_TRANSFORMER: ModelConfig = {
  architecture: "transformer",
  modelSize: 16,
  heads: 2,
  layers: 1,
  feedForwardSize: 32,
  maxPositions: 64,
};

export function config(model: ModelConfig, overrides: Partial<TrainingConfig> = {}): TrainingConfig {
  return { model, epochs: 3, batchSize: 8, learningRate: 1e-2, maxTokens: 64, seed: 7, ...overrides };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export function liveTensors(): number {
  return tf.memory().numTensors;
}

import { expect, test } from "vitest";
import { DEFAULT_MODEL, DEFAULT_TRAINING } from "@gdc/model";
import { resolveTrainingConfig } from "../src/training-config.ts";

test("an empty modelConfig trains libs/model's defaults with the run's epochs and seed", () => {
  expect(resolveTrainingConfig({}, { epochs: 4, seed: 9 })).toEqual({ ...DEFAULT_TRAINING, model: DEFAULT_MODEL, epochs: 4, seed: 9 });
});

test("a given architecture fills its missing sizes", () => {
  const config = resolveTrainingConfig({ model: { architecture: "gru", hiddenSize: 64 }, batchSize: 8 }, { epochs: 2, seed: 0 });
  expect(config.model).toEqual({ architecture: "gru", embeddingSize: 32, hiddenSize: 64, layers: 1 });
  expect(config.batchSize).toBe(8);
});

test("bad values name the field", () => {
  expect(() => resolveTrainingConfig({ batchSize: 0 }, { epochs: 2, seed: 0 })).toThrow(/^batchSize: /);
  expect(() => resolveTrainingConfig({ model: { architecture: "lstm" } }, { epochs: 2, seed: 0 })).toThrow(/^model\.architecture: /);
  expect(() => resolveTrainingConfig({ learningRat: 0.1 }, { epochs: 2, seed: 0 })).toThrow(/learningRat/);
});

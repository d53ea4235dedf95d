import { expect, test } from "vitest";
import { ConfigError, resolveRunTrainingConfig, trainingOverridesSchema, parseConfig } from "../src/config.ts";

test("an empty modelConfig trains the run defaults (the d=64 transformer) with the run's epochs and seed", () => {
  // The values as documented (libs/model defaults.ts), written out so a changed default shows here.
  expect(resolveRunTrainingConfig({}, { epochs: 4, seed: 9 })).toEqual({
    model: { architecture: "transformer", modelSize: 64, heads: 2, layers: 2, feedForwardSize: 256, maxPositions: 256 },
    batchSize: 32,
    learningRate: 3e-3,
    maxTokens: 256,
    clipNorm: 1,
    epochs: 4,
    seed: 9,
  });
  expect(resolveRunTrainingConfig(null, { epochs: 1, seed: 0 }).batchSize).toBe(32);
});

test("a given architecture fills its missing sizes", () => {
  const config = resolveRunTrainingConfig({ model: { architecture: "gru", hiddenSize: 64 }, batchSize: 8 }, { epochs: 2, seed: 0 });
  expect(config.model).toEqual({ architecture: "gru", embeddingSize: 32, hiddenSize: 64, layers: 1 });
  expect(config.batchSize).toBe(8);
});

test("bad values name the field", () => {
  const fieldOf = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as ConfigError).field;
    }
    throw new Error("accepted");
  };
  expect(fieldOf(() => resolveRunTrainingConfig({ batchSize: 0 }, { epochs: 2, seed: 0 }))).toBe("batchSize");
  expect(fieldOf(() => resolveRunTrainingConfig({ model: { architecture: "lstm" } }, { epochs: 2, seed: 0 }))).toBe("model.architecture");
  expect(fieldOf(() => resolveRunTrainingConfig({ model: { architecture: "transformer", heads: 99 } }, { epochs: 2, seed: 0 }))).toBe("model.heads");
  expect(() => resolveRunTrainingConfig({ learningRat: 0.1 }, { epochs: 2, seed: 0 })).toThrow(/learningRat/);
  expect(() => resolveRunTrainingConfig({ batchSize: 0 }, { epochs: 2, seed: 0 })).toThrow(/^batchSize: /);
});

test("training overrides leave out what is not given (no defaults), with the same bounds", () => {
  expect(parseConfig(trainingOverridesSchema, { learningRate: 0.01 })).toEqual({ learningRate: 0.01 });
  expect(() => parseConfig(trainingOverridesSchema, { batchSize: 0 })).toThrow(/^batchSize: /);
  expect(() => parseConfig(trainingOverridesSchema, { steps: 10 })).toThrow(ConfigError);
});

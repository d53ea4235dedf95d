import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  CharTokenizer,
  CheckpointMismatchError,
  FileCheckpointStore,
  LanguageModel,
  MemoryCheckpointStore,
  Rng,
  computeBatchGradients,
  evaluateTexts,
  forwardMetrics,
  planEpochBatches,
  trainLanguageModel,
  trainedDynamics,
  trainingSchedule,
  type ModelConfig,
  type TrainingProgress,
} from "../src/index.ts";
import { TINY_GRU, TINY_TRANSFORMER, config, corpus, liveTensors, maxAbsDiff, useWasm } from "./helpers.ts";

beforeAll(useWasm);

const TEXTS = corpus(24);
const tokenizer = CharTokenizer.fit(TEXTS);

describe.each<[string, ModelConfig]>([
  ["gru", TINY_GRU],
  ["transformer", TINY_TRANSFORMER],
])("%s: recorded dynamics", (_name, model) => {
  it("equal a separate forward pass of the same weights on the same batch", async () => {
    // One batch per epoch: the weights that produced epoch t's dynamics are the checkpoint of
    // epoch t-1 (or the seeded initial weights for t = 0).
    const store = new MemoryCheckpointStore();
    const cfg = config(model, { batchSize: TEXTS.length, epochs: 3 });
    const result = await trainLanguageModel({ config: cfg, texts: TEXTS, tokenizer, checkpoints: store });
    const dyn = result.dynamics!;
    const T = cfg.epochs;
    const shuffle = Rng.fromSeed(cfg.seed, "shuffle");
    const probe = LanguageModel.create(cfg.model, tokenizer, cfg.seed);
    for (let t = 0; t < T; t++) {
      if (t > 0) probe.setWeights(store.get(t - 1)!.weights);
      const [batch] = planEpochBatches(new Float32Array(TEXTS.length).fill(1), cfg.batchSize, shuffle);
      const order = Array.from(batch!);
      const m = forwardMetrics(
        probe,
        order.map((i) => tokenizer.encodeExample(TEXTS[i]!, cfg.maxTokens)),
      );
      order.forEach((i, b) => {
        expect(dyn.loss[i * T + t]).toBe(m.loss[b]);
        expect(dyn.acc[i * T + t]).toBe(m.accuracy[b]);
      });
    }
    probe.dispose();
    result.model.dispose();
  });

  // (That rows are in the caller's order, not the shuffled one, is checked exactly above.)
  it("are laid out N×T, finite, with accuracy in [0,1]", async () => {
    const cfg = config(model, { epochs: 2 });
    const result = await trainLanguageModel({ config: cfg, texts: TEXTS, tokenizer });
    const dyn = result.dynamics!;
    expect(dyn.loss.length).toBe(TEXTS.length * 2);
    expect(dyn.exampleCount).toBe(TEXTS.length);
    expect([...dyn.loss].every(Number.isFinite)).toBe(true);
    expect([...dyn.acc].every((a) => a >= 0 && a <= 1)).toBe(true);
    result.model.dispose();
  });
});

describe("per-example weights", () => {
  it("scale an example's share of the gradient: weights (1, ½) give (g₁ + ½g₂)/1.5", () => {
    const model = LanguageModel.create(TINY_GRU, tokenizer, 3);
    const seqs = [tokenizer.encodeExample(TEXTS[0]!), tokenizer.encodeExample(TEXTS[1]!)];
    const g1 = computeBatchGradients(model, [seqs[0]!], [1]);
    const g2 = computeBatchGradients(model, [seqs[1]!], [1]);
    const both = computeBatchGradients(model, seqs, [1, 0.5]);
    const scaled = computeBatchGradients(model, seqs, [4, 2]);
    both.grads.forEach((g, k) => {
      const expected = tf.tidy(() => tf.div(tf.add(g1.grads[k]!, tf.mul(g2.grads[k]!, 0.5)), 1.5));
      expect(maxAbsDiff(g.dataSync(), expected.dataSync())).toBeLessThan(1e-6);
      // Normalised by the weight sum: multiplying every weight by 4 changes nothing.
      expect(maxAbsDiff(g.dataSync(), scaled.grads[k]!.dataSync())).toBeLessThan(1e-6);
      expected.dispose();
    });
    expect(both.batchLoss).toBeCloseTo((g1.batchLoss + 0.5 * g2.batchLoss) / 1.5, 5);
    // The per-example losses of the weighted batch are the unweighted ones.
    expect(both.loss![0]).toBeCloseTo(g1.loss![0]!, 5);
    expect(both.loss![1]).toBeCloseTo(g2.loss![0]!, 5);
    for (const g of [g1, g2, both, scaled]) g.grads.forEach((t) => t.dispose());
    model.dispose();
  });

  it("weight 0 examples are left out of every batch, all others appear once per epoch", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(0, 0.5, 1, 2), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 9 }),
        fc.nat(),
        (weights, batchSize, seed) => {
          const batches = planEpochBatches(weights, batchSize, Rng.fromSeed(seed));
          const seen = batches.flatMap((b) => Array.from(b));
          expect(seen.every((i) => weights[i]! > 0)).toBe(true);
          expect(seen.sort((a, b) => a - b)).toEqual(weights.flatMap((w, i) => (w > 0 ? [i] : [])));
          expect(batches.every((b) => b.length > 0 && b.length <= batchSize)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("pruned examples never reach a gradient: their content cannot change the run", async () => {
    const weights = TEXTS.map((_, i) => (i % 4 === 0 ? 0 : 1));
    const shuffledChars = (t: string) => [...t].reverse().join("");
    const variant = TEXTS.map((t, i) => (weights[i] === 0 ? shuffledChars(t) : t));
    const cfg = config(TINY_GRU, { epochs: 2 });
    const a = await trainLanguageModel({ config: cfg, texts: TEXTS, weights, tokenizer });
    const b = await trainLanguageModel({ config: cfg, texts: variant, weights, tokenizer });
    expect(b.dynamics!.loss).toEqual(a.dynamics!.loss);
    const wa = a.model.getWeights();
    const wb = b.model.getWeights();
    wa.forEach((w, k) => expect(wb[k]!.values).toEqual(w.values));
    // Pruned rows are NaN and flagged; trainedDynamics drops them for scoring.
    const T = cfg.epochs;
    weights.forEach((w, i) => {
      expect(a.dynamics!.trained[i]).toBe(w > 0 ? 1 : 0);
      if (w === 0) expect(Number.isNaN(a.dynamics!.loss[i * T])).toBe(true);
    });
    const ids = TEXTS.map((_, i) => `e${i}`);
    const rows = trainedDynamics(a.dynamics!, ids);
    expect(rows.ids).toEqual(ids.filter((_, i) => weights[i]! > 0));
    expect([...rows.loss].every(Number.isFinite)).toBe(true);
    expect(a.trainedExamples).toBe(weights.filter((w) => w > 0).length);
    a.model.dispose();
    b.model.dispose();
  });
});

describe("repeatability and resumption", () => {
  it("the same seed gives bit-identical runs; another seed does not", async () => {
    const cfg = config(TINY_TRANSFORMER, { epochs: 2 });
    const a = await trainLanguageModel({ config: cfg, texts: TEXTS, tokenizer });
    const b = await trainLanguageModel({ config: cfg, texts: TEXTS, tokenizer });
    const c = await trainLanguageModel({ config: { ...cfg, seed: cfg.seed + 1 }, texts: TEXTS, tokenizer });
    expect(b.dynamics!.loss).toEqual(a.dynamics!.loss);
    expect(b.dynamics!.acc).toEqual(a.dynamics!.acc);
    expect(maxAbsDiff(c.dynamics!.loss, a.dynamics!.loss)).toBeGreaterThan(1e-4);
    for (const r of [a, b, c]) r.model.dispose();
  });

  it("a step budget trains exactly that many steps, continuing into further epochs of the same shuffle stream", async () => {
    // 24 texts, batch 8: 3 steps per epoch. A budget of whole epochs is the epoch schedule.
    const cfg = config(TINY_TRANSFORMER, { epochs: 2 });
    const validationTexts = corpus(30).slice(24);
    const byEpochs = await trainLanguageModel({ config: cfg, texts: TEXTS, tokenizer, validationTexts });
    const bySteps = await trainLanguageModel({ config: { ...cfg, epochs: 99, steps: 6 }, texts: TEXTS, tokenizer, validationTexts });
    expect([byEpochs.steps, bySteps.steps]).toEqual([6, 6]);
    expect(bySteps.dynamics!.loss).toEqual(byEpochs.dynamics!.loss);
    expect(bySteps.validationPerplexity).toBe(byEpochs.validationPerplexity);

    // 8 of 24 pruned: 16 examples, 2 steps per epoch; 5 steps = 2 full epochs and 1 step of a third.
    const weights = Float32Array.from(TEXTS, (_, i) => (i % 3 === 0 ? 0 : 1));
    expect(trainingSchedule({ ...cfg, steps: 5 }, 16)).toEqual({ stepsPerEpoch: 2, epochs: 3, steps: 5 });
    const pruned = await trainLanguageModel({ config: cfg, texts: TEXTS, weights, tokenizer });
    const progress: TrainingProgress[] = [];
    const budget = await trainLanguageModel({ config: { ...cfg, steps: 5 }, texts: TEXTS, weights, tokenizer, onProgress: (p) => progress.push(p) });
    expect(budget.steps).toBe(5);
    expect(progress.map((p) => [p.epoch, p.step, p.steps])).toEqual([
      [0, 1, 2],
      [0, 2, 2],
      [1, 1, 2],
      [1, 2, 2],
      [2, 1, 1],
    ]);
    expect(progress.at(-1)!.etaSeconds).toBeCloseTo(0, 6);
    expect(budget.history).toHaveLength(3);
    const dyn = budget.dynamics!;
    expect(dyn.epochs).toBe(3);
    // The first two epochs are the 2-epoch run's (same seed, same shuffle stream) …
    for (let i = 0; i < TEXTS.length; i++) {
      expect(Array.from(dyn.loss.subarray(i * 3, i * 3 + 2))).toEqual(Array.from(pruned.dynamics!.loss.subarray(i * 2, i * 2 + 2)));
    }
    // … and the third presented one batch of the next permutation.
    const third = TEXTS.map((_, i) => dyn.loss[i * 3 + 2]!).filter(Number.isFinite);
    expect(third).toHaveLength(8);
    for (const r of [byEpochs, bySteps, pruned, budget]) r.model.dispose();
  });

  async function killedAfterFirstEpochThenResumed(store: MemoryCheckpointStore | FileCheckpointStore, model: ModelConfig) {
    const cfg = config(model, { epochs: 3 });
    const validationTexts = corpus(30).slice(24);
    const uninterrupted = await trainLanguageModel({ config: cfg, texts: TEXTS, tokenizer, validationTexts });
    const kill = new Error("simulated kill");
    await expect(
      trainLanguageModel({
        config: cfg,
        texts: TEXTS,
        tokenizer,
        validationTexts,
        checkpoints: store,
        onEpochEnd: (s) => {
          if (s.epoch === 0) throw kill;
        },
      }),
    ).rejects.toBe(kill);
    const resumed = await trainLanguageModel({ config: cfg, texts: TEXTS, tokenizer, validationTexts, checkpoints: store });
    expect(resumed.resumedAtEpoch).toBe(1);
    expect(resumed.dynamics!.loss).toEqual(uninterrupted.dynamics!.loss);
    expect(resumed.dynamics!.acc).toEqual(uninterrupted.dynamics!.acc);
    expect(resumed.validationPerplexity).toBe(uninterrupted.validationPerplexity);
    expect(resumed.history.map((h) => h.trainLoss)).toEqual(uninterrupted.history.map((h) => h.trainLoss));
    const wu = uninterrupted.model.getWeights();
    resumed.model.getWeights().forEach((w, k) => expect(w.values).toEqual(wu[k]!.values));
    uninterrupted.model.dispose();
    resumed.model.dispose();
  }

  it("a run killed after an epoch resumes at the next and ends with the same dynamics (memory store)", async () => {
    await killedAfterFirstEpochThenResumed(new MemoryCheckpointStore(), TINY_GRU);
  });

  it("… and likewise through the filesystem store, which keeps only the latest checkpoints", async () => {
    const dir = await mkdtemp(join(tmpdir(), "gdc-ckpt-"));
    try {
      const store = new FileCheckpointStore(dir, 1);
      await killedAfterFirstEpochThenResumed(store, TINY_TRANSFORMER);
      expect((await readdir(dir)).sort()).toEqual(["epoch-00002.bin", "epoch-00002.json"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses to resume a checkpoint of a different run", async () => {
    const store = new MemoryCheckpointStore();
    const cfg = config(TINY_GRU, { epochs: 1 });
    (await trainLanguageModel({ config: cfg, texts: TEXTS, tokenizer, checkpoints: store })).model.dispose();
    await expect(trainLanguageModel({ config: { ...cfg, learningRate: 0.5 }, texts: TEXTS, tokenizer, checkpoints: store })).rejects.toBeInstanceOf(
      CheckpointMismatchError,
    );
  });
});

describe("progress, validation and resources", () => {
  it("reports progress per step and a validation perplexity that improves on the untrained model", async () => {
    const cfg = config(TINY_GRU, { epochs: 3, learningRate: 2e-2 });
    const validationTexts = corpus(30).slice(24);
    const events: TrainingProgress[] = [];
    const before = liveTensors();
    const untrained = LanguageModel.create(cfg.model, tokenizer, cfg.seed);
    const initial = evaluateTexts(untrained, validationTexts, { maxTokens: cfg.maxTokens }).perplexity;
    untrained.dispose();
    const result = await trainLanguageModel({
      config: cfg,
      texts: TEXTS,
      tokenizer,
      validationTexts,
      validateEachEpoch: true,
      onProgress: (p) => events.push(p),
    });
    expect(events).toHaveLength(3 * 3);
    expect(events.at(-1)).toMatchObject({ epoch: 2, epochs: 3, step: 3, steps: 3 });
    expect(events.every((e) => e.examplesPerSecond > 0 && e.etaSeconds >= 0)).toBe(true);
    expect(result.history.map((h) => h.epoch)).toEqual([0, 1, 2]);
    expect(result.history.every((h) => h.validationPerplexity !== null)).toBe(true);
    expect(result.validationPerplexity).toBeLessThan(initial);
    expect(result.backend).toBe("wasm");
    result.model.dispose();
    // Nothing leaks: every tensor the run created is gone once its model is disposed.
    expect(liveTensors()).toBe(before);
  });

  it("stops at the next step when aborted", async () => {
    const controller = new AbortController();
    const run = trainLanguageModel({
      config: config(TINY_GRU, { epochs: 5 }),
      texts: TEXTS,
      tokenizer,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.step === 2) controller.abort();
      },
    });
    await expect(run).rejects.toThrow(/abort/i);
  });

  it("rejects bad weights and configurations with the field that is wrong", async () => {
    await expect(trainLanguageModel({ config: config(TINY_TRANSFORMER, { steps: 0 }), texts: TEXTS, tokenizer })).rejects.toThrow(
      /steps must be a positive integer/,
    );
    await expect(trainLanguageModel({ config: config(TINY_GRU), texts: TEXTS, weights: TEXTS.map(() => -1) })).rejects.toThrow(/weights\[0\]/);
    await expect(trainLanguageModel({ config: config(TINY_GRU), texts: TEXTS, weights: TEXTS.map(() => 0) })).rejects.toThrow(/weight 0/);
    await expect(trainLanguageModel({ config: config(TINY_GRU, { batchSize: 0 }), texts: TEXTS })).rejects.toThrow(/batchSize/);
  });
});

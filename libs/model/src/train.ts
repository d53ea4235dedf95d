/**
 * The training loop. It records, for every example and epoch, the loss and token accuracy taken
 * from the training forward pass itself (before that batch's update, as in Toneva et al. 2019),
 * applies per-example weights, and checkpoints at every epoch end so a killed run resumes at the
 * next epoch and ends with exactly the dynamics of an uninterrupted run (same backend).
 *
 * Repeatability: initial weights come from Rng(seed, "init"); each epoch's order is a permutation
 * of all N examples drawn from Rng(seed, "shuffle"), from which weight-0 examples are then
 * removed. A curated retrain with the same seed therefore starts from the same weights and sees
 * the surviving examples in the same relative order as its baseline.
 */
import * as tf from "@tensorflow/tfjs";
import type { CheckpointStore, EpochSummary, TrainingCheckpoint } from "./checkpoint.ts";
import { evaluateTexts } from "./evaluate.ts";
import { batchTensors, buildBatch, disposeBatch, perExampleMetrics, weightedBatchLoss } from "./loss.ts";
import { LanguageModel, type ModelConfig } from "./model.ts";
import { AdamOptimizer } from "./optimizer.ts";
import { fnv1a32, Rng } from "./rng.ts";
import { CharTokenizer } from "./tokenizer.ts";

export interface TrainingConfig {
  model: ModelConfig;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Longest training sequence in tokens (BOS and EOS included); longer texts are truncated. */
  maxTokens: number;
  seed: number;
  /** Global gradient-norm clip; default 1, null disables. */
  clipNorm?: number | null;
  /**
   * Optimizer-step budget. When set, training makes exactly this many steps instead of `epochs`
   * epochs: it runs ⌈steps / steps-per-epoch⌉ epochs, each a fresh permutation drawn from the
   * same seeded shuffle stream, and stops after the budget (the last epoch may be partial). A
   * pruned retrain given its baseline's step count thus sees as many batches as the baseline.
   * Dynamics then have one column per epoch run; examples not reached in a partial last epoch
   * have NaN there.
   */
  steps?: number;
}

/** Steps per epoch and the epochs and steps a configuration trains for, given its trained examples. */
export function trainingSchedule(
  config: Pick<TrainingConfig, "epochs" | "batchSize" | "steps">,
  trainedExamples: number,
): { stepsPerEpoch: number; epochs: number; steps: number } {
  const stepsPerEpoch = Math.ceil(trainedExamples / config.batchSize);
  if (config.steps === undefined) return { stepsPerEpoch, epochs: config.epochs, steps: config.epochs * stepsPerEpoch };
  return { stepsPerEpoch, epochs: Math.ceil(config.steps / stepsPerEpoch), steps: config.steps };
}

export interface TrainingProgress {
  /** 0-based epoch being trained. */
  epoch: number;
  epochs: number;
  /** Steps completed in this epoch (1-based after the first step). */
  step: number;
  steps: number;
  /** Throughput since this call started (or resumed), over all steps. */
  examplesPerSecond: number;
  /** Remaining training time at that throughput; validation passes not included. */
  etaSeconds: number;
}

export interface TrainingDynamics {
  exampleCount: number;
  epochs: number;
  /**
   * Row-major N×T in the caller's example order: loss[i*T + t] is example i's mean per-token
   * cross-entropy (nats) at epoch t, from the training forward pass before the update. NaN for
   * examples that were never presented (weight 0).
   */
  loss: Float32Array;
  /** Same layout: fraction of example i's target tokens whose argmax prediction was right. */
  acc: Float32Array;
  /** 1 for examples that were trained on (weight > 0), 0 for pruned ones (whose rows are NaN). */
  trained: Uint8Array;
  source: "training-forward-pass";
}

/**
 * The rows of trained (weight > 0) examples only, shaped like the cartography engine's
 * DynamicsMatrix ({ids, epochs, loss, acc}); pruned examples have no dynamics to score.
 */
export function trainedDynamics(dynamics: TrainingDynamics, ids: readonly string[]): { ids: string[]; epochs: number; loss: Float32Array; acc: Float32Array } {
  if (ids.length !== dynamics.exampleCount) throw new RangeError(`${ids.length} ids for ${dynamics.exampleCount} examples`);
  const T = dynamics.epochs;
  const keep = ids.flatMap((id, i) => (dynamics.trained[i] ? [i] : []));
  const loss = new Float32Array(keep.length * T);
  const acc = new Float32Array(keep.length * T);
  keep.forEach((i, r) => {
    loss.set(dynamics.loss.subarray(i * T, (i + 1) * T), r * T);
    acc.set(dynamics.acc.subarray(i * T, (i + 1) * T), r * T);
  });
  return { ids: keep.map((i) => ids[i]!), epochs: T, loss, acc };
}

export interface TrainLanguageModelOptions {
  config: TrainingConfig;
  texts: readonly string[];
  /** Per-example weights in [0, ∞); default 1. Weight 0 = pruned: never enters a batch. */
  weights?: ArrayLike<number>;
  validationTexts?: readonly string[];
  /**
   * Defaults to a tokenizer fitted on all `texts` (weight-0 ones included, so a curated retrain
   * has its baseline's vocabulary and hence its initial weights).
   */
  tokenizer?: CharTokenizer;
  /** Record per-example dynamics (default true). Off only for benchmarks. */
  tracking?: boolean;
  /** Evaluate validation perplexity after every epoch, not only after the last. */
  validateEachEpoch?: boolean;
  checkpoints?: CheckpointStore;
  onProgress?: (p: TrainingProgress) => void;
  /** Called after each epoch's checkpoint is saved; throwing here simulates a kill. */
  onEpochEnd?: (summary: EpochSummary) => void | Promise<void>;
  signal?: AbortSignal;
}

export interface TrainingResult {
  /** The trained model; the caller owns it and must dispose it. */
  model: LanguageModel;
  backend: string;
  dynamics: TrainingDynamics | null;
  history: EpochSummary[];
  /** Token-level validation perplexity after the last epoch, null without validation texts. */
  validationPerplexity: number | null;
  /** The epoch training started at when it resumed from a checkpoint, else null. */
  resumedAtEpoch: number | null;
  fingerprint: string;
  /** Number of examples with weight > 0. */
  trainedExamples: number;
  /** Optimizer steps of the whole schedule (config.steps when set, else epochs × steps per epoch). */
  steps: number;
}

export class CheckpointMismatchError extends Error {
  constructor(expected: string, found: string) {
    super(`checkpoint belongs to a different run (fingerprint ${found}, this run is ${expected})`);
    this.name = "CheckpointMismatchError";
  }
}

/** Batches of one epoch: a permutation of all N examples with the weight-0 ones removed. */
export function planEpochBatches(weights: ArrayLike<number>, batchSize: number, rng: Rng): Int32Array[] {
  const order = rng.permutation(weights.length).filter((i) => weights[i]! > 0);
  const batches: Int32Array[] = [];
  for (let s = 0; s < order.length; s += batchSize) batches.push(order.subarray(s, s + batchSize));
  return batches;
}

export interface BatchGradients {
  /** Per-example loss and accuracy from this forward pass, in batch order (null when not tracked). */
  loss: Float32Array | null;
  accuracy: Float32Array | null;
  /** Gradients in `model.variables` order; the caller disposes them. */
  grads: tf.Tensor[];
  batchLoss: number;
}

/**
 * One forward/backward pass over a batch: gradients of Σ wᵢ·lossᵢ / Σ wᵢ, plus (when `track`)
 * the per-example loss and accuracy of the very same forward pass.
 */
export function computeBatchGradients(model: LanguageModel, sequences: readonly ArrayLike<number>[], weights: ArrayLike<number>, track = true): BatchGradients {
  const batch = buildBatch(sequences);
  const t = batchTensors(batch);
  const w = Float32Array.from({ length: sequences.length }, (_, i) => weights[i]!);
  const weightSum = w.reduce((a, b) => a + b, 0);
  if (!(weightSum > 0)) throw new Error("a batch needs a positive total weight");
  const wt = tf.tensor1d(w);
  let lossT: tf.Tensor1D | null = null;
  let accT: tf.Tensor1D | null = null;
  try {
    const { value, grads } = tf.variableGrads(() => {
      const m = perExampleMetrics(model.forward(t.inputs), t.targets, t.mask, t.targetCounts, track);
      if (track) {
        // Kept past the gradient's tidy: these are the recorded dynamics, at no extra pass.
        lossT = tf.keep(m.loss);
        accT = tf.keep(m.accuracy!);
      }
      return weightedBatchLoss(m.loss, wt, weightSum);
    }, model.variables);
    const batchLoss = (value.dataSync() as Float32Array)[0]!;
    value.dispose();
    const names = model.variables.map((v) => v.name);
    return {
      loss: lossT ? ((lossT as tf.Tensor1D).dataSync() as Float32Array) : null,
      accuracy: accT ? ((accT as tf.Tensor1D).dataSync() as Float32Array) : null,
      grads: names.map((n) => grads[n]!),
      batchLoss,
    };
  } finally {
    (lossT as tf.Tensor1D | null)?.dispose();
    (accT as tf.Tensor1D | null)?.dispose();
    wt.dispose();
    disposeBatch(t);
  }
}

/** Identifies (configuration, vocabulary, data, weights) so a store never resumes another run. */
export function trainingFingerprint(config: TrainingConfig, tokenizer: CharTokenizer, texts: readonly string[], weights: ArrayLike<number>): string {
  const head = JSON.stringify({ config, characters: tokenizer.characters, n: texts.length });
  let a = fnv1a32(head);
  let b = fnv1a32(head, 0x01234567);
  for (let i = 0; i < texts.length; i++) {
    const item = `${i}\u0000${texts[i]}\u0000${weights[i]}`;
    a = fnv1a32(item, a);
    b = fnv1a32(item, b ^ 0x5bd1e995);
  }
  return a.toString(16).padStart(8, "0") + b.toString(16).padStart(8, "0");
}

function validateOptions(o: TrainLanguageModelOptions, weights: ArrayLike<number>): void {
  const c = o.config;
  const posInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v <= 0) throw new RangeError(`training config: ${name} must be a positive integer, got ${v}`);
  };
  posInt("epochs", c.epochs);
  posInt("batchSize", c.batchSize);
  if (c.steps !== undefined) posInt("steps", c.steps);
  if (!Number.isInteger(c.maxTokens) || c.maxTokens < 2) throw new RangeError("training config: maxTokens must be an integer ≥ 2");
  if (!(c.learningRate > 0)) throw new RangeError("training config: learningRate must be positive");
  if (c.model.architecture === "transformer" && c.model.maxPositions < c.maxTokens - 1) {
    throw new RangeError(`training config: transformer maxPositions ${c.model.maxPositions} < maxTokens - 1 = ${c.maxTokens - 1}`);
  }
  if (weights.length !== o.texts.length) throw new RangeError(`weights: ${weights.length} given for ${o.texts.length} texts`);
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    if (!(Number.isFinite(w) && w >= 0)) throw new RangeError(`weights[${i}] = ${w}: weights must be finite and ≥ 0`);
  }
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function trainLanguageModel(options: TrainLanguageModelOptions): Promise<TrainingResult> {
  const { config, texts } = options;
  const weights = options.weights ?? new Float32Array(texts.length).fill(1);
  validateOptions(options, weights);
  const tracking = options.tracking ?? true;
  const N = texts.length;
  const tokenizer = options.tokenizer ?? CharTokenizer.fit(texts);
  const fingerprint = trainingFingerprint(config, tokenizer, texts, weights);
  const sequences = texts.map((t) => tokenizer.encodeExample(t, config.maxTokens));
  const trainedExamples = Array.from({ length: N }, (_, i) => weights[i]!).filter((w) => w > 0).length;
  if (trainedExamples === 0) throw new RangeError("every example has weight 0: nothing to train on");
  const schedule = trainingSchedule(config, trainedExamples);
  const T = schedule.epochs;

  const model = LanguageModel.create(config.model, tokenizer, config.seed);
  const optimizer = new AdamOptimizer(model.variables, model.parameterNames, {
    learningRate: config.learningRate,
    clipNorm: config.clipNorm === undefined ? 1 : config.clipNorm,
  });
  let rng = Rng.fromSeed(config.seed, "shuffle");
  const loss = new Float32Array(tracking ? N * T : 0).fill(Number.NaN);
  const acc = new Float32Array(tracking ? N * T : 0).fill(Number.NaN);
  let history: EpochSummary[] = [];
  let startEpoch = 0;
  let resumedAtEpoch: number | null = null;

  try {
    const checkpoint = options.checkpoints ? await options.checkpoints.load() : null;
    if (checkpoint) {
      if (checkpoint.fingerprint !== fingerprint) throw new CheckpointMismatchError(fingerprint, checkpoint.fingerprint);
      model.setWeights(checkpoint.weights);
      optimizer.setState(checkpoint.optimizer);
      rng = Rng.fromState(checkpoint.rng);
      if (tracking) {
        loss.set(checkpoint.dynamics.loss);
        acc.set(checkpoint.dynamics.acc);
      }
      history = checkpoint.history.map((h) => ({ ...h }));
      startEpoch = checkpoint.epoch + 1;
      resumedAtEpoch = startEpoch;
    }

    const sessionStart = performance.now();
    let sessionExamples = 0;
    // Steps of epoch e: a full epoch, or what is left of the budget in the last one.
    const stepsIn = (e: number) => Math.min(schedule.stepsPerEpoch, schedule.steps - e * schedule.stepsPerEpoch);
    const examplesIn = (e: number) => Math.min(trainedExamples, stepsIn(e) * config.batchSize);
    let remainingTotal = 0;
    for (let e = startEpoch; e < T; e++) remainingTotal += examplesIn(e);

    for (let epoch = startEpoch; epoch < T; epoch++) {
      const epochStart = performance.now();
      const batches = planEpochBatches(weights, config.batchSize, rng).slice(0, stepsIn(epoch));
      const steps = batches.length;
      let epochExamples = 0;
      let weightedLoss = 0;
      let weightTotal = 0;
      for (let s = 0; s < batches.length; s++) {
        options.signal?.throwIfAborted();
        const indices = batches[s]!;
        const batchWeights = Array.from(indices, (i) => weights[i]!);
        const g = computeBatchGradients(
          model,
          Array.from(indices, (i) => sequences[i]!),
          batchWeights,
          tracking,
        );
        optimizer.apply(g.grads);
        for (const grad of g.grads) grad.dispose();
        const batchWeight = batchWeights.reduce((a, b) => a + b, 0);
        weightedLoss += g.batchLoss * batchWeight;
        weightTotal += batchWeight;
        if (g.loss && g.accuracy) {
          const [l, a] = [g.loss, g.accuracy];
          indices.forEach((i, b) => {
            loss[i * T + epoch] = l[b]!;
            acc[i * T + epoch] = a[b]!;
          });
        }
        sessionExamples += indices.length;
        epochExamples += indices.length;
        const elapsed = (performance.now() - sessionStart) / 1000;
        const rate = sessionExamples / Math.max(elapsed, 1e-9);
        options.onProgress?.({
          epoch,
          epochs: T,
          step: s + 1,
          steps,
          examplesPerSecond: rate,
          etaSeconds: (remainingTotal - sessionExamples) / rate,
        });
        await yieldToEventLoop();
      }
      const seconds = (performance.now() - epochStart) / 1000;
      const validate = options.validationTexts && options.validationTexts.length > 0 && (options.validateEachEpoch || epoch === T - 1);
      const summary: EpochSummary = {
        epoch,
        trainLoss: weightedLoss / weightTotal,
        validationPerplexity: validate
          ? evaluateTexts(model, options.validationTexts!, { maxTokens: config.maxTokens, batchSize: config.batchSize }).perplexity
          : null,
        examplesPerSecond: epochExamples / seconds,
        seconds,
      };
      history.push(summary);
      if (options.checkpoints) {
        const state: TrainingCheckpoint = {
          fingerprint,
          epoch,
          weights: model.getWeights(),
          optimizer: optimizer.getState(),
          rng: rng.state,
          dynamics: { loss, acc },
          history,
        };
        await options.checkpoints.save(epoch, state);
      }
      await options.onEpochEnd?.(summary);
    }

    const last = history.at(-1);
    let finalPerplexity = last?.validationPerplexity ?? null;
    if (finalPerplexity === null && options.validationTexts && options.validationTexts.length > 0) {
      finalPerplexity = evaluateTexts(model, options.validationTexts, { maxTokens: config.maxTokens, batchSize: config.batchSize }).perplexity;
    }
    return {
      model,
      backend: tf.getBackend(),
      dynamics: tracking
        ? {
            exampleCount: N,
            epochs: T,
            loss,
            acc,
            trained: Uint8Array.from({ length: N }, (_, i) => (weights[i]! > 0 ? 1 : 0)),
            source: "training-forward-pass",
          }
        : null,
      history,
      validationPerplexity: finalPerplexity,
      resumedAtEpoch,
      fingerprint,
      trainedExamples,
      steps: schedule.steps,
    };
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    optimizer.dispose();
  }
}

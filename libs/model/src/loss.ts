/**
 * Per-example loss and token accuracy, computed from the same logits the gradient is taken of,
 * so recording them costs no extra forward pass (reduction "none" with padding masked).
 */
import * as tf from "@tensorflow/tfjs";
import { BOS_ID, PAD_ID } from "./tokenizer.ts";

export interface PerExampleMetrics {
  /** [B] mean cross-entropy, in nats, over each example's target tokens. */
  loss: tf.Tensor1D;
  /** [B] fraction of each example's target tokens whose argmax prediction is the target. */
  accuracy: tf.Tensor1D | null;
}

/**
 * @param logits [B, T, V] from `LanguageModel.forward`
 * @param targets [B, T] int32 next-token ids
 * @param mask [B, T] float32, 1 for target tokens and 0 for padding
 * @param targetCounts [B] float32, the row sums of `mask` (known on the host; passing them saves an op)
 */
export function perExampleMetrics(
  logits: tf.Tensor3D,
  targets: tf.Tensor2D,
  mask: tf.Tensor2D,
  targetCounts: tf.Tensor1D,
  withAccuracy: boolean,
): PerExampleMetrics {
  const vocab = logits.shape[2];
  const targetLogProbs = tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(targets, vocab)), -1);
  const loss = tf.div(tf.neg(tf.sum(tf.mul(targetLogProbs, mask), 1)), targetCounts) as tf.Tensor1D;
  if (!withAccuracy) return { loss, accuracy: null };
  const hits = tf.cast(tf.equal(tf.argMax(logits, -1), targets), "float32");
  const accuracy = tf.div(tf.sum(tf.mul(hits, mask), 1), targetCounts) as tf.Tensor1D;
  return { loss, accuracy };
}

/**
 * The batch objective: Σ wᵢ·lossᵢ / Σ wᵢ over the examples in the batch. Normalising by the weight
 * sum (not the batch size) keeps the step size of a batch independent of how its weights are
 * scaled, so only relative weights matter and an all-ones run is the plain mean. Examples with
 * weight 0 never get here: the batch planner leaves them out entirely.
 */
export function weightedBatchLoss(loss: tf.Tensor1D, weights: tf.Tensor1D, weightSum: number): tf.Scalar {
  return tf.div(tf.sum(tf.mul(loss, weights)), weightSum) as tf.Scalar;
}

/** Host-side tensors for one batch of token sequences (each BOS … [EOS]), right-padded. */
export interface BatchArrays {
  size: number;
  length: number;
  inputs: Int32Array;
  targets: Int32Array;
  mask: Float32Array;
  targetCounts: Float32Array;
}

export function buildBatch(sequences: readonly ArrayLike<number>[]): BatchArrays {
  const size = sequences.length;
  let length = 1;
  for (const s of sequences) length = Math.max(length, s.length - 1);
  const inputs = new Int32Array(size * length).fill(PAD_ID);
  const targets = new Int32Array(size * length).fill(PAD_ID);
  const mask = new Float32Array(size * length);
  const targetCounts = new Float32Array(size);
  sequences.forEach((s, b) => {
    if (s.length < 2 || s[0] !== BOS_ID) throw new Error("a training sequence needs BOS and at least one target token");
    for (let t = 0; t < s.length - 1; t++) {
      inputs[b * length + t] = s[t]!;
      targets[b * length + t] = s[t + 1]!;
      mask[b * length + t] = 1;
    }
    targetCounts[b] = s.length - 1;
  });
  return { size, length, inputs, targets, mask, targetCounts };
}

export interface BatchTensors {
  inputs: tf.Tensor2D;
  targets: tf.Tensor2D;
  mask: tf.Tensor2D;
  targetCounts: tf.Tensor1D;
}

export function batchTensors(batch: BatchArrays): BatchTensors {
  const shape: [number, number] = [batch.size, batch.length];
  return {
    inputs: tf.tensor2d(batch.inputs, shape, "int32"),
    targets: tf.tensor2d(batch.targets, shape, "int32"),
    mask: tf.tensor2d(batch.mask, shape, "float32"),
    targetCounts: tf.tensor1d(batch.targetCounts, "float32"),
  };
}

export function disposeBatch(t: BatchTensors): void {
  t.inputs.dispose();
  t.targets.dispose();
  t.mask.dispose();
  t.targetCounts.dispose();
}

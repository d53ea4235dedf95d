/**
 * Forward-only uses of a trained model: per-example metrics (the "separate pass" the training
 * loop's recorded dynamics are checked against), validation perplexity, greedy decoding, and the
 * log-perplexity of candidate continuations (the canary audit's measurement).
 */
import * as tf from "@tensorflow/tfjs";
import type { LanguageModel } from "./model.ts";
import { batchTensors, buildBatch, disposeBatch, perExampleMetrics } from "./loss.ts";
import { BOS_ID, EOS_ID } from "./tokenizer.ts";

export interface BatchMetrics {
  /** Mean per-token cross-entropy in nats over each sequence's target tokens. */
  loss: Float32Array;
  /** Fraction of each sequence's target tokens predicted exactly by argmax. */
  accuracy: Float32Array;
}

/** Metrics of one batch of token sequences (BOS … [EOS]) under the model's current weights. */
export function forwardMetrics(model: LanguageModel, sequences: readonly ArrayLike<number>[]): BatchMetrics {
  const batch = buildBatch(sequences);
  const t = batchTensors(batch);
  try {
    const [loss, accuracy] = tf.tidy(() => {
      const m = perExampleMetrics(model.forward(t.inputs), t.targets, t.mask, t.targetCounts, true);
      return [m.loss, m.accuracy!];
    });
    // Read outside tidy: reading inside would make tidy walk the typed array.
    const out = { loss: loss.dataSync() as Float32Array, accuracy: accuracy.dataSync() as Float32Array };
    loss.dispose();
    accuracy.dispose();
    return out;
  } finally {
    disposeBatch(t);
  }
}

export interface ExampleEvaluation extends BatchMetrics {
  /** Number of target tokens per example (characters + EOS, after truncation). */
  targetTokens: Int32Array;
  /** exp(total NLL / total target tokens): token-level perplexity, in nats per token exponentiated. */
  perplexity: number;
}

export interface EvaluateOptions {
  /** Truncation as in training. */
  maxTokens: number;
  batchSize?: number;
}

/** Per-example loss and accuracy of texts, in their order, plus the token-level perplexity. */
export function evaluateTexts(model: LanguageModel, texts: readonly string[], options: EvaluateOptions): ExampleEvaluation {
  const batchSize = options.batchSize ?? 64;
  const n = texts.length;
  const loss = new Float32Array(n);
  const accuracy = new Float32Array(n);
  const targetTokens = new Int32Array(n);
  let nll = 0;
  let tokens = 0;
  for (let start = 0; start < n; start += batchSize) {
    const sequences = texts.slice(start, start + batchSize).map((t) => model.tokenizer.encodeExample(t, options.maxTokens));
    const m = forwardMetrics(model, sequences);
    sequences.forEach((s, j) => {
      const i = start + j;
      loss[i] = m.loss[j]!;
      accuracy[i] = m.accuracy[j]!;
      targetTokens[i] = s.length - 1;
      nll += m.loss[j]! * (s.length - 1);
      tokens += s.length - 1;
    });
  }
  return { loss, accuracy, targetTokens, perplexity: tokens > 0 ? Math.exp(nll / tokens) : Number.NaN };
}

/** Token-level perplexity of held-out texts: exp of the mean cross-entropy (nats) over all their target tokens. */
export function validationPerplexity(model: LanguageModel, texts: readonly string[], options: EvaluateOptions): number {
  return evaluateTexts(model, texts, options).perplexity;
}

export interface GreedyOptions {
  /** Stop a continuation at EOS (the EOS is not part of the returned text). Default true. */
  stopAtEos?: boolean;
}

/**
 * Greedy decoding: from BOS + prefix, repeatedly append the argmax token, `length` times.
 * Prefixes of equal token length are decoded together in one batch.
 */
export function greedyContinuations(model: LanguageModel, prefixes: readonly string[], length: number, options: GreedyOptions = {}): string[] {
  const stopAtEos = options.stopAtEos ?? true;
  const results: string[] = new Array<string>(prefixes.length).fill("");
  const groups = new Map<number, number[]>();
  const encoded = prefixes.map((p) => [BOS_ID, ...model.tokenizer.encode(p)]);
  encoded.forEach((e, i) => groups.set(e.length, [...(groups.get(e.length) ?? []), i]));
  for (const [prefixLength, members] of groups) {
    const rows = members.map((i) => [...encoded[i]!]);
    const generated: number[][] = members.map(() => []);
    for (let step = 0; step < length; step++) {
      const T = prefixLength + step;
      const ids = new Int32Array(rows.length * T);
      rows.forEach((r, b) => ids.set(r, b * T));
      const next = tf.tidy(() => {
        const logits = model.forward(tf.tensor2d(ids, [rows.length, T], "int32"));
        return tf.argMax(tf.reshape(tf.slice(logits, [0, T - 1, 0], [rows.length, 1, -1]), [rows.length, -1]), -1);
      });
      const tokens = next.dataSync() as Int32Array;
      next.dispose();
      rows.forEach((r, b) => {
        r.push(tokens[b]!);
        generated[b]!.push(tokens[b]!);
      });
    }
    members.forEach((i, b) => {
      let ids = generated[b]!;
      if (stopAtEos) {
        const end = ids.indexOf(EOS_ID);
        if (end >= 0) ids = ids.slice(0, end);
      }
      results[i] = model.tokenizer.decode(ids);
    });
  }
  return results;
}

export function greedyContinuation(model: LanguageModel, prefix: string, length: number, options: GreedyOptions = {}): string {
  return greedyContinuations(model, [prefix], length, options)[0]!;
}

/**
 * Log-perplexity of each continuation given the prefix, in BITS:
 *   Px(s | prefix) = −Σⱼ log₂ p(sⱼ | BOS, prefix, s₁…sⱼ₋₁)
 * summed over the continuation's characters only (no EOS). This is the quantity The Secret Sharer
 * ranks; the exposure estimators are invariant to its base, bits are used for readability.
 */
export function continuationLogPerplexity(
  model: LanguageModel,
  prefix: string,
  continuations: readonly string[],
  options: { batchSize?: number } = {},
): Float64Array {
  const batchSize = options.batchSize ?? 256;
  const prefixIds = [BOS_ID, ...model.tokenizer.encode(prefix)];
  const p = prefixIds.length;
  const out = new Float64Array(continuations.length);
  for (let start = 0; start < continuations.length; start += batchSize) {
    const chunk = continuations.slice(start, start + batchSize).map((c) => model.tokenizer.encode(c));
    const longest = Math.max(1, ...chunk.map((c) => c.length));
    // Input positions p-1 … p+len-2 predict the continuation's characters.
    const T = p + longest - 1;
    const B = chunk.length;
    const ids = new Int32Array(B * T);
    const targets = new Int32Array(B * T);
    const mask = new Float32Array(B * T);
    chunk.forEach((c, b) => {
      const seq = [...prefixIds, ...c];
      for (let t = 0; t < Math.min(T, seq.length); t++) ids[b * T + t] = seq[t]!;
      for (let j = 0; j < c.length; j++) {
        targets[b * T + p - 1 + j] = c[j]!;
        mask[b * T + p - 1 + j] = 1;
      }
    });
    const nats = tf.tidy(() => {
      const logits = model.forward(tf.tensor2d(ids, [B, T], "int32"));
      const logp = tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(tf.tensor2d(targets, [B, T], "int32"), logits.shape[2])), -1);
      return tf.neg(tf.sum(tf.mul(logp, tf.tensor2d(mask, [B, T])), 1));
    });
    const values = nats.dataSync() as Float32Array;
    nats.dispose();
    for (let b = 0; b < B; b++) out[start + b] = values[b]! / Math.LN2;
  }
  return out;
}

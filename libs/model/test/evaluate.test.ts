import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { BOS_ID, CharTokenizer, LanguageModel, continuationLogPerplexity, evaluateTexts, greedyContinuation, greedyContinuations } from "../src/index.ts";
import { TINY_GRU, TINY_TRANSFORMER, corpus, useWasm } from "./helpers.ts";

beforeAll(useWasm);

const tokenizer = CharTokenizer.fit([...corpus(12), "0123456789"]);

/** −Σ log2 p of the continuation, one softmax at a time, for comparison. */
function slowLogPerplexity(model: LanguageModel, prefix: string, continuation: string): number {
  const ids = [BOS_ID, ...tokenizer.encode(prefix)];
  let bits = 0;
  for (const next of tokenizer.encode(continuation)) {
    const logp = tf.tidy(() => {
      const logits = model.forward(tf.tensor2d([ids], [1, ids.length], "int32"));
      return tf.logSoftmax(tf.reshape(tf.slice(logits, [0, ids.length - 1, 0], [1, 1, -1]), [-1]));
    });
    bits -= logp.dataSync()[next]! / Math.LN2;
    logp.dispose();
    ids.push(next);
  }
  return bits;
}

describe.each([
  ["gru", TINY_GRU],
  ["transformer", TINY_TRANSFORMER],
] as const)("%s", (_name, config) => {
  it("continuation log-perplexity (bits) equals a step-by-step computation, batched and padded", () => {
    const model = LanguageModel.create(config, tokenizer, 11);
    const candidates = ["493027", "000000", "12", "9"];
    const batched = continuationLogPerplexity(model, "my pin is ", candidates, { batchSize: 3 });
    candidates.forEach((c, i) => expect(batched[i]).toBeCloseTo(slowLogPerplexity(model, "my pin is ", c), 4));
    // An untrained model is close to uniform: about log2(V) bits per character.
    expect(batched[0]! / 6).toBeGreaterThan(Math.log2(tokenizer.vocabSize) - 1);
    model.dispose();
  });

  it("greedy decoding appends the argmax step by step, batched by prefix length", () => {
    const model = LanguageModel.create(config, tokenizer, 12);
    const prefixes = ["the whale ", "a", "the sea w"];
    const together = greedyContinuations(model, prefixes, 5, { stopAtEos: false });
    prefixes.forEach((p, i) => expect(together[i]).toBe(greedyContinuation(model, p, 5, { stopAtEos: false })));
    expect(together.every((t) => [...t].length === 5)).toBe(true);
    model.dispose();
  });

  it("serialises and restores exactly", () => {
    const model = LanguageModel.create(config, tokenizer, 13);
    const copy = LanguageModel.deserialize(
      JSON.parse(
        JSON.stringify(model.serialize(), (_k, v) => (v instanceof Float32Array ? Array.from(v) : v)),
        (k, v) => (k === "values" ? Float32Array.from(v) : v),
      ),
    );
    const texts = corpus(5);
    expect(evaluateTexts(copy, texts, { maxTokens: 64 }).loss).toEqual(evaluateTexts(model, texts, { maxTokens: 64 }).loss);
    model.dispose();
    copy.dispose();
  });
});

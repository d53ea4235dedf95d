/**
 * Training throughput per available backend (tfjs-node's "tensorflow" when it loads, wasm with
 * the kernel fixes, cpu with the segment-sum fix), same model, data and seed, in one run.
 *
 *   npx tsx bench/training/backends.ts [passages=64]
 */
import * as tf from "@tensorflow/tfjs";
import { BENCH_MODELS, cpuSeconds, trainPassages } from "./setup.ts";
import { BACKEND_PREFERENCE, CharTokenizer, selectBackend, trainLanguageModel } from "@gdc/model";

const count = Number(process.argv[2] ?? 64);
const texts = trainPassages(count);
const tokenizer = CharTokenizer.fit(texts);
const models = BENCH_MODELS;

const results = new Map<string, number>();
for (const name of BACKEND_PREFERENCE) {
  try {
    await selectBackend([name]);
  } catch (err) {
    console.log(`${name.padEnd(10)} unavailable: ${(err as Error).message.split("\n")[0]}`);
    continue;
  }
  for (const m of models) {
    // Warm-up: first-call costs (kernel setup, JIT) are not throughput.
    const warm = await trainLanguageModel({
      config: { model: m.model, epochs: 1, batchSize: 8, learningRate: 3e-3, maxTokens: 256, seed: 1 },
      texts: texts.slice(0, 8),
      tokenizer,
    });
    warm.model.dispose();
    const c0 = cpuSeconds();
    const t0 = performance.now();
    const run = await trainLanguageModel({
      config: { model: m.model, epochs: 1, batchSize: m.batchSize, learningRate: 3e-3, maxTokens: 256, seed: 1 },
      texts,
      tokenizer,
    });
    const cpuRate = texts.length / (cpuSeconds() - c0);
    const wallRate = texts.length / ((performance.now() - t0) / 1000);
    run.model.dispose();
    results.set(`${name}/${m.name}`, cpuRate);
    console.log(`${tf.getBackend().padEnd(10)} ${m.name.padEnd(20)} ${cpuRate.toFixed(1).padStart(7)} ex/cpu-s ${wallRate.toFixed(1).padStart(7)} ex/s wall`);
  }
}
for (const m of models) {
  const w = results.get(`wasm/${m.name}`);
  const c = results.get(`cpu/${m.name}`);
  if (w && c) console.log(`${m.name}: wasm is ${(w / c).toFixed(1)}× cpu`);
}

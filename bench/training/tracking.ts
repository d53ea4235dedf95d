/**
 * Cost of recording per-example dynamics: with tracking, per-example loss and token accuracy are
 * kept from the training forward pass and read back every step; without, only the weighted batch
 * loss is read. Two measurements in one run:
 * - steps: the same batches through computeBatchGradients with and without tracking,
 *   alternating step by step on one model, so machine load hits both alike (the precise ratio);
 * - epochs: whole training epochs with and without tracking, alternating order over rounds.
 *
 *   npx tsx bench/training/tracking.ts [passages=256] [rounds=3]
 */
import { BENCH_MODELS, cpuSeconds, trainPassages } from "./setup.ts";
import { CharTokenizer, LanguageModel, computeBatchGradients, selectBackend, trainLanguageModel, type ModelConfig } from "@gdc/model";

const count = Number(process.argv[2] ?? 256);
const rounds = Number(process.argv[3] ?? 3);
const { backend } = await selectBackend();
const texts = trainPassages(count);
const tokenizer = CharTokenizer.fit(texts);

const models = BENCH_MODELS;

async function epochRate(model: ModelConfig, batchSize: number, tracking: boolean): Promise<{ cpu: number; wall: number }> {
  const c0 = cpuSeconds();
  const t0 = performance.now();
  const run = await trainLanguageModel({ config: { model, epochs: 1, batchSize, learningRate: 3e-3, maxTokens: 256, seed: 1 }, texts, tokenizer, tracking });
  const result = { cpu: texts.length / (cpuSeconds() - c0), wall: texts.length / ((performance.now() - t0) / 1000) };
  run.model.dispose();
  return result;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Seconds per batch with and without tracking, alternating on the same batches. */
function stepTimes(model: ModelConfig, batchSize: number, repeats: number): { on: number; off: number } {
  const lm = LanguageModel.create(model, tokenizer, 1);
  const sequences = texts.map((t) => tokenizer.encodeExample(t, 256));
  const totals = { on: 0, off: 0 };
  for (let r = 0; r < repeats; r++) {
    for (let s = 0; s + batchSize <= sequences.length; s += batchSize) {
      const batch = sequences.slice(s, s + batchSize);
      const weights = batch.map(() => 1);
      for (const tracking of (s / batchSize + r) % 2 === 0 ? [true, false] : [false, true]) {
        const t0 = performance.now();
        const g = computeBatchGradients(lm, batch, weights, tracking);
        g.grads.forEach((t) => t.dispose());
        if (r > 0) totals[tracking ? "on" : "off"] += performance.now() - t0; // round 0 warms up
      }
    }
  }
  lm.dispose();
  return totals;
}
console.log(`backend ${backend}; ${texts.length} passages per epoch; ${rounds} rounds (alternating order)`);
for (const m of models) {
  const on: number[] = [];
  const off: number[] = [];
  await epochRate(m.model, m.batchSize, true); // warm-up
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? [true, false] : [false, true];
    for (const tracking of order) (tracking ? on : off).push((await epochRate(m.model, m.batchSize, tracking)).cpu);
  }
  const ratio = median(on) / median(off);
  console.log(
    `${m.name.padEnd(20)} epochs: with tracking ${median(on).toFixed(1)} ex/cpu-s, without ${median(off).toFixed(1)} ex/cpu-s, ` +
      `ratio ${ratio.toFixed(3)} (overhead ${((1 / ratio - 1) * 100).toFixed(1)} %)`,
  );
  const steps = stepTimes(m.model, m.batchSize, rounds + 1);
  console.log(
    `${m.name.padEnd(20)} steps:  time with / without tracking ${(steps.on / steps.off).toFixed(3)} ` +
      `(overhead ${((steps.on / steps.off - 1) * 100).toFixed(1)} %, ${((steps.on + steps.off) / 1000).toFixed(0)} s measured)`,
  );
}

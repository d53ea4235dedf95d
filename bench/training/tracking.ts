/**
 * Cost of recording per-example dynamics: the same epoch trained with tracking (per-example loss
 * and token accuracy kept from the training forward pass and read back every step) and without
 * (only the weighted batch loss is read), alternating the order over several rounds so drifting
 * machine load hits both alike. Reports examples per CPU-second and the overhead ratio.
 *
 *   npx tsx bench/training/tracking.ts [passages=256] [rounds=3]
 */
import { CharTokenizer, mobyDickPassages, selectBackend, trainLanguageModel, type ModelConfig } from "@gdc/model";

const count = Number(process.argv[2] ?? 256);
const rounds = Number(process.argv[3] ?? 3);
const { backend } = await selectBackend();
const texts = mobyDickPassages().filter((p) => p.split === "train").slice(0, count).map((p) => p.text);
const tokenizer = CharTokenizer.fit(texts);

const models: { name: string; model: ModelConfig; batchSize: number }[] = [
  { name: "GRU-128", model: { architecture: "gru", embeddingSize: 32, hiddenSize: 128, layers: 1 }, batchSize: 64 },
  {
    name: "Transformer d64 L2",
    model: { architecture: "transformer", modelSize: 64, heads: 2, layers: 2, feedForwardSize: 256, maxPositions: 256 },
    batchSize: 32,
  },
];

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function epochRate(model: ModelConfig, batchSize: number, tracking: boolean): Promise<{ cpu: number; wall: number }> {
  const c0 = cpuSeconds();
  const t0 = performance.now();
  const run = await trainLanguageModel({ config: { model, epochs: 1, batchSize, learningRate: 3e-3, maxTokens: 256, seed: 1 }, texts, tokenizer, tracking });
  const result = { cpu: texts.length / (cpuSeconds() - c0), wall: texts.length / ((performance.now() - t0) / 1000) };
  run.model.dispose();
  return result;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
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
    `${m.name.padEnd(20)} with tracking ${median(on).toFixed(1)} ex/cpu-s, without ${median(off).toFixed(1)} ex/cpu-s, ` +
      `ratio ${ratio.toFixed(3)} (overhead ${((1 / ratio - 1) * 100).toFixed(1)} %)`,
  );
}

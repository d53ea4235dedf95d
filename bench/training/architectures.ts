/**
 * Which small LM gives the best validation perplexity per second of training on the bundled
 * corpus? Trains each candidate on the same passages with the same seed and records, after every
 * epoch, the CPU seconds spent training so far and the validation perplexity of that epoch's
 * weights (evaluated afterwards from the checkpoints, so evaluation time is not counted).
 * CPU time (process.cpuUsage) rather than wall time, because the wasm backend is single-threaded
 * and the machines are shared; ratios between candidates are what to read.
 *
 *   npx tsx bench/training/architectures.ts [trainPassages=1200] [epochs=4]
 */
import { cpuSeconds } from "./setup.ts";
import {
  LanguageModel,
  MemoryCheckpointStore,
  evaluateTexts,
  mobyDickPassages,
  selectBackend,
  trainLanguageModel,
  CharTokenizer,
  type ModelConfig,
} from "@gdc/model";

const trainCount = Number(process.argv[2] ?? 1200);
const epochs = Number(process.argv[3] ?? 4);
const { backend } = await selectBackend();
const passages = mobyDickPassages();
const train = passages
  .filter((p) => p.split === "train")
  .slice(0, trainCount)
  .map((p) => p.text);
const validation = passages
  .filter((p) => p.split === "validation")
  .slice(0, 200)
  .map((p) => p.text);
const tokenizer = CharTokenizer.fit(train);
const maxTokens = 256;

const candidates: { name: string; model: ModelConfig; batchSize: number; learningRate: number }[] = [
  { name: "GRU-128", model: { architecture: "gru", embeddingSize: 32, hiddenSize: 128, layers: 1 }, batchSize: 64, learningRate: 3e-3 },
  { name: "GRU-256", model: { architecture: "gru", embeddingSize: 32, hiddenSize: 256, layers: 1 }, batchSize: 64, learningRate: 3e-3 },
  {
    name: "Transformer d64 L2",
    model: { architecture: "transformer", modelSize: 64, heads: 2, layers: 2, feedForwardSize: 256, maxPositions: maxTokens },
    batchSize: 32,
    learningRate: 3e-3,
  },
  {
    name: "Transformer d128 L2",
    model: { architecture: "transformer", modelSize: 128, heads: 2, layers: 2, feedForwardSize: 512, maxPositions: maxTokens },
    batchSize: 32,
    learningRate: 2e-3,
  },
];

console.log(
  `backend ${backend}; ${train.length} training passages (median ${median(train.map((t) => t.length))} chars), ${validation.length} validation; ${epochs} epochs`,
);
const rows: { name: string; params: number; exPerCpuS: number; curve: { cpu: number; ppl: number }[] }[] = [];
for (const c of candidates) {
  const store = new MemoryCheckpointStore();
  const marks: number[] = [];
  const start = cpuSeconds();
  const run = await trainLanguageModel({
    config: { model: c.model, epochs, batchSize: c.batchSize, learningRate: c.learningRate, maxTokens, seed: 1 },
    texts: train,
    tokenizer,
    checkpoints: store,
    onEpochEnd: () => {
      marks.push(cpuSeconds() - start);
    },
  });
  const params = run.model.parameterCount;
  run.model.dispose();
  const probe = LanguageModel.create(c.model, tokenizer, 1);
  const curve = store.epochs.map((e, i) => {
    probe.setWeights(store.get(e)!.weights);
    return { cpu: marks[i]!, ppl: evaluateTexts(probe, validation, { maxTokens }).perplexity };
  });
  probe.dispose();
  const row = { name: c.name, params, exPerCpuS: (train.length * epochs) / marks.at(-1)!, curve };
  rows.push(row);
  console.log(
    `${c.name.padEnd(20)} ${String(params).padStart(7)} params  ${row.exPerCpuS.toFixed(1).padStart(6)} ex/cpu-s  ` +
      curve.map((p) => `${p.cpu.toFixed(0)}s:${p.ppl.toFixed(2)}`).join("  "),
  );
}

// Perplexity each candidate had reached at the CPU budget the fastest-finishing one used.
const budget = Math.min(...rows.map((r) => r.curve.at(-1)!.cpu));
console.log(`\nvalidation perplexity at an equal budget of ${budget.toFixed(0)} CPU-seconds (linear in epochs between checkpoints):`);
for (const r of rows) console.log(`${r.name.padEnd(20)} ${pplAt(r.curve, budget).toFixed(3)}`);

function pplAt(curve: { cpu: number; ppl: number }[], t: number): number {
  let prev = { cpu: 0, ppl: Number.NaN };
  for (const p of curve) {
    if (p.cpu >= t) return Number.isNaN(prev.ppl) ? p.ppl : prev.ppl + ((p.ppl - prev.ppl) * (t - prev.cpu)) / (p.cpu - prev.cpu);
    prev = p;
  }
  return curve.at(-1)!.ppl;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

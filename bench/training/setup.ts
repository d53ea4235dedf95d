import { mobyDickPassages, type ModelConfig } from "@gdc/model";

/** The first `count` training passages of the bundled corpus. */
export const trainPassages = (count: number) =>
  mobyDickPassages()
    .filter((p) => p.split === "train")
    .slice(0, count)
    .map((p) => p.text);

/** The two architectures the throughput benchmarks compare. */
export const BENCH_MODELS: { name: string; model: ModelConfig; batchSize: number }[] = [
  { name: "GRU-128", model: { architecture: "gru", embeddingSize: 32, hiddenSize: 128, layers: 1 }, batchSize: 64 },
  {
    name: "Transformer d64 L2",
    model: { architecture: "transformer", modelSize: 64, heads: 2, layers: 2, feedForwardSize: 256, maxPositions: 256 },
    batchSize: 32,
  },
];

/** CPU seconds (user + system, all threads) of this process: fairer than wall time on a shared machine. */
export const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/**
 * How much does the default model memorise in a study-sized run? Trains on bundled-corpus
 * passages plus canaries (k = 1, 4, 16 copies, two canaries each), then audits them: extraction
 * and exposure per repetition level, validation perplexity and time. A pilot for choosing the
 * study's size (passages × epochs) on these machines.
 *
 *   npx tsx bench/training/canaries.ts [passages=1000] [epochs=6] [gru|transformer]
 */
import { mobyDickPassages, selectBackend, trainLanguageModel, type ModelConfig } from "@gdc/model";
import { auditCanaries, canaryExamples, createCanaries } from "@gdc/privacy";

const count = Number(process.argv[2] ?? 1000);
const epochs = Number(process.argv[3] ?? 6);
const architecture = (process.argv[4] ?? "transformer") as "gru" | "transformer";
const { backend } = await selectBackend();
const passages = mobyDickPassages({ limit: Math.ceil(count / 0.9) });
const train = passages
  .filter((p) => p.split === "train")
  .slice(0, count)
  .map((p) => p.text);
const validation = passages.filter((p) => p.split === "validation").map((p) => p.text);
const set = createCanaries({ seed: 1, repetitions: [1, 4, 16], perLevel: 2 });
const texts = [...train, ...canaryExamples(set).map((e) => e.text)];
const model: ModelConfig =
  architecture === "gru"
    ? { architecture: "gru", embeddingSize: 32, hiddenSize: 128, layers: 1 }
    : { architecture: "transformer", modelSize: 64, heads: 2, layers: 2, feedForwardSize: 256, maxPositions: 256 };
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
console.log(
  `backend ${backend}; ${train.length} passages + ${texts.length - train.length} canary copies; ${validation.length} validation; ${epochs} epochs; ${architecture}`,
);
const c0 = cpu();
const t0 = performance.now();
const run = await trainLanguageModel({
  config: { model, epochs, batchSize: 32, learningRate: 3e-3, maxTokens: 256, seed: 1 },
  texts,
  validationTexts: validation,
  onEpochEnd: (s) => console.log(`epoch ${s.epoch}: train loss ${s.trainLoss.toFixed(3)}, ${s.examplesPerSecond.toFixed(1)} ex/s`),
});
const trainCpu = cpu() - c0;
const trainWall = (performance.now() - t0) / 1000;
const a0 = cpu();
const audit = auditCanaries(run.model, set, { references: 1000 });
console.log(
  `training ${trainCpu.toFixed(0)} CPU-s (${trainWall.toFixed(0)} s wall), audit ${(cpu() - a0).toFixed(1)} CPU-s; validation perplexity ${run.validationPerplexity?.toFixed(3)}`,
);
for (const f of audit.findings) {
  console.log(
    `k=${String(f.repetitions).padStart(2)} ${f.secret} greedy ${f.greedy} ${f.extracted ? "EXTRACTED" : "         "} ` +
      `log-ppl ${f.logPerplexity.toFixed(1)} bits, exposure rank ${f.exposureRank.toFixed(2)}, skew-normal ${f.exposureSkewNormal.toFixed(2)} (${f.referenceFit.kind})`,
  );
}
console.log("by k:", JSON.stringify(audit.summary.byRepetitions));
run.model.dispose();

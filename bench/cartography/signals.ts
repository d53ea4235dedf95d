// What the memorization signals (lossDrop, relativeLossDrop, accuracyGain, meanLoss, besides the
// paper's forget frequency) cost over the scoring pass as it was before them (issue 11's
// target: ≤ 10 %). The baseline is that pass, kept verbatim in ./baseline/; both run
// alternately in one process on the same 1 M × 20 matrix, timed like scoring.ts (main-thread
// CPU from /proc, and wall clock), after a warm-up. Ratios of medians are printed.
//   npx tsx bench/cartography/signals.ts [examples] [epochs] [rounds]
import { computeScores, type DynamicsMatrix } from "@gdc/cartography";
import { computeScores as computeScoresBefore } from "./baseline/scores-before-signals.ts";
import { mainThreadCpuMs, median } from "./cpu.ts";
import { syntheticDynamics } from "./synthetic.ts";

const n = Number(process.argv[2] ?? 1_000_000);
const epochs = Number(process.argv[3] ?? 20);
const rounds = Number(process.argv[4] ?? 11);

const lm = syntheticDynamics(n, epochs);
// Classifier input: the same losses, accuracy 1 where the target's probability is above ½.
const classifier: DynamicsMatrix = { ...lm, acc: lm.loss.map((l) => (l < Math.LN2 ? 1 : 0)) };

let sink = 0;
const pairs: [string, () => number, () => number][] = [
  ["language model, ε = median", () => computeScoresBefore(lm).difficulty[0]!, () => computeScores(lm).lossDrop[0]!],
  [
    "classifier, learned ⇔ correct",
    () => computeScoresBefore(classifier, { learnedBy: "accuracy" }).difficulty[0]!,
    () => computeScores(classifier).lossDrop[0]!,
  ],
];
console.log(`memorization signals: ${n} examples × ${epochs} epochs, medians of ${rounds} alternating rounds`);
console.log(`  ${"".padEnd(32)} ${"before cpu".padStart(10)} ${"after cpu".padStart(10)} ${"× (cpu)".padStart(8)} ${"× (wall)".padStart(9)}`);
for (const [label, before, after] of pairs) {
  for (let w = 0; w < 3; w++) sink += before() + after();
  const t: Record<"before" | "after", { cpu: number[]; wall: number[] }> = { before: { cpu: [], wall: [] }, after: { cpu: [], wall: [] } };
  for (let r = 0; r < rounds; r++) {
    for (const [key, run] of [
      ["before", before],
      ["after", after],
    ] as const) {
      const c0 = mainThreadCpuMs();
      const w0 = performance.now();
      sink += run();
      t[key].wall.push(performance.now() - w0);
      t[key].cpu.push(mainThreadCpuMs() - c0);
    }
  }
  const cpu = median(t.after.cpu) / median(t.before.cpu);
  const wall = median(t.after.wall) / median(t.before.wall);
  console.log(
    `  ${label.padEnd(32)} ${`${median(t.before.cpu)} ms`.padStart(10)} ${`${median(t.after.cpu)} ms`.padStart(10)} ${`${cpu.toFixed(3)}×`.padStart(8)} ${`${wall.toFixed(3)}×`.padStart(9)}`,
  );
}
console.log("  target: ≤ 1.10× (the signals cost at most 10 % over the pass before them)");
if (sink === 42) console.log("");

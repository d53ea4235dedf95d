// Scoring 1 M examples × 20 epochs against the unavoidable work: one pass over the same
// Float32Array that reads every cell once and computes its exp (Math.exp).
//
// Method: after a warm-up (so every function runs optimised code), the floor and the scorer
// run alternately in one process; each call is timed by the main thread's CPU time (from
// /proc/self/task/<pid>/stat, 10 ms ticks; it leaves out other processes and V8's helper
// threads, which matters on a shared machine) and by wall clock. The ratio of medians is
// printed. A breakdown times the parts separately: the median bracket (sample + select), the
// scan alone (ε given exactly, so nothing to recount), and the whole default call.
//   npx tsx bench/cartography/scoring.ts [examples] [epochs] [rounds]
import { computeScores } from "@gdc/cartography";
import { computeScoresWithBracket, medianBracket } from "../../libs/cartography/src/scores.ts";
import { mainThreadCpuMs, median } from "./cpu.ts";
import { syntheticDynamics } from "./synthetic.ts";

const n = Number(process.argv[2] ?? 1_000_000);
const epochs = Number(process.argv[3] ?? 20);
const rounds = Number(process.argv[4] ?? 11);

function expFloor(loss: Float32Array): number {
  let sum = 0;
  for (let j = 0; j < loss.length; j++) sum += Math.exp(-loss[j]!);
  return sum;
}

interface Timing {
  wall: number;
  cpu: number;
}
const timings = new Map<string, Timing[]>();
let sink = 0;
function timed(label: string, run: () => number): void {
  const c0 = mainThreadCpuMs();
  const t0 = performance.now();
  sink += run();
  const wall = performance.now() - t0;
  const cpu = mainThreadCpuMs() - c0;
  if (!timings.has(label)) timings.set(label, []);
  timings.get(label)!.push({ wall, cpu });
}

const dyn = syntheticDynamics(n, epochs);
const epsilon = computeScores(dyn).config.epsilon!;
const exact = { lo: epsilon, hi: epsilon, insideShare: 0 };
const steps: [string, () => number][] = [
  ["floor: read + Math.exp per cell", () => expFloor(dyn.loss)],
  ["computeScores, ε = median", () => computeScores(dyn).confidence[0]!],
  ["computeScores, accuracy ≥ τ", () => computeScores(dyn, { learnedBy: "accuracy", tau: 1 }).confidence[0]!],
  ["  part: median bracket", () => medianBracket(dyn.loss, epochs).lo],
  ["  part: scan with ε known", () => computeScoresWithBracket(dyn, { epsilon }, exact).confidence[0]!],
];
for (let w = 0; w < 4; w++) for (const [, run] of steps) sink += run();
for (let r = 0; r < rounds; r++) for (const [label, run] of steps) timed(label, run);

const floor = timings.get(steps[0]![0])!;
const m = (xs: Timing[], key: keyof Timing) => median(xs.map((x) => x[key]));
console.log(`scoring ${n} examples × ${epochs} epochs: medians of ${rounds} alternating rounds (ε = ${epsilon})`);
console.log(`  ${"".padEnd(34)} ${"cpu ms".padStart(7)} ${"wall ms".padStart(8)} ${"× floor (cpu)".padStart(14)} ${"× floor (wall)".padStart(15)}`);
for (const [label] of steps) {
  const xs = timings.get(label)!;
  const cpuRatio = m(xs, "cpu") / m(floor, "cpu");
  const wallRatio = m(xs, "wall") / m(floor, "wall");
  console.log(
    `  ${label.padEnd(34)} ${m(xs, "cpu").toFixed(0).padStart(7)} ${m(xs, "wall").toFixed(0).padStart(8)} ${`${cpuRatio.toFixed(2)}×`.padStart(14)} ${`${wallRatio.toFixed(2)}×`.padStart(15)}`,
  );
}
console.log("  target: computeScores ≤ 1.5× the floor");
if (sink === 42) console.log("");

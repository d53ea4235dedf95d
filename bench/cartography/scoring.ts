// Scoring 1 M examples × 20 epochs against the unavoidable work: one pass over the same
// Float32Array that reads every cell once and computes its exp (Math.exp).
//
// Method: both are run alternately in one process, after a warm-up, with a full GC before
// each timed call (so no call pays for collecting the previous call's outputs). Each call is
// timed by wall clock and by process CPU time; the machine is shared, so the CPU-time ratio
// of medians is the number to read, and the wall ratio is printed beside it.
//   npx tsx bench/cartography/scoring.ts [examples] [epochs] [rounds]
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { computeScores } from "@gdc/cartography";
import { syntheticDynamics } from "./synthetic.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const n = Number(process.argv[2] ?? 1_000_000);
const epochs = Number(process.argv[3] ?? 20);
const rounds = Number(process.argv[4] ?? 9);

function expFloor(loss: Float32Array): number {
  let sum = 0;
  for (let j = 0; j < loss.length; j++) sum += Math.exp(-loss[j]!);
  return sum;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

interface Timing {
  wall: number;
  cpu: number;
}

function timed(run: () => number): [Timing, number] {
  gc();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = run();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return [{ wall, cpu: (c.user + c.system) / 1000 }, value];
}

const dyn = syntheticDynamics(n, epochs);
let sink = 0;
for (let w = 0; w < 3; w++) {
  sink += expFloor(dyn.loss);
  sink += computeScores(dyn).confidence[0]!;
  sink += computeScores(dyn, { learnedBy: "accuracy", tau: 1 }).confidence[0]!;
}

const floor: Timing[] = [];
const byMedian: Timing[] = [];
const byAccuracy: Timing[] = [];
let epsilon: number | null = null;
for (let r = 0; r < rounds; r++) {
  const [f, v1] = timed(() => expFloor(dyn.loss));
  const [s, v2] = timed(() => {
    const scores = computeScores(dyn);
    epsilon = scores.config.epsilon;
    return scores.confidence[0]!;
  });
  const [a, v3] = timed(() => computeScores(dyn, { learnedBy: "accuracy", tau: 1 }).confidence[0]!);
  floor.push(f);
  byMedian.push(s);
  byAccuracy.push(a);
  sink += v1 + v2 + v3;
}

const m = (xs: Timing[], key: keyof Timing) => median(xs.map((x) => x[key]));
const ratio = (xs: Timing[], key: keyof Timing) => (m(xs, key) / m(floor, key)).toFixed(2);
console.log(`scoring ${n} examples × ${epochs} epochs, ${rounds} alternating rounds (medians; ε = ${epsilon})`);
console.log(`                                   wall ms   cpu ms   ratio (cpu)   ratio (wall)`);
const line = (label: string, xs: Timing[]) =>
  console.log(
    `  ${label.padEnd(32)} ${m(xs, "wall").toFixed(0).padStart(7)} ${m(xs, "cpu").toFixed(0).padStart(8)} ${`${ratio(xs, "cpu")}×`.padStart(13)} ${`${ratio(xs, "wall")}×`.padStart(14)}`,
  );
line("floor: read + Math.exp per cell", floor);
line("computeScores, ε = median", byMedian);
line("computeScores, accuracy ≥ τ", byAccuracy);
console.log(`  target: computeScores ≤ 1.5× the floor`);
if (sink === 42) console.log("");

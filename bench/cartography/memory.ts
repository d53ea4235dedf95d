// Peak memory of computeScores on 1 M examples × 20 epochs, against the size of its input
// (the loss + accuracy matrices, 2 × 4 bytes per cell).
//
// Method (Linux): a fresh child process builds the matrices in place (no temporaries), runs a
// full GC, reads its resident set (VmRSS), then resets the kernel's peak-RSS counter by
// writing 5 to /proc/self/clear_refs, scores once, and reads the peak (VmHWM). The difference
// is everything scoring touched on top of what was already resident: its outputs, the sample,
// the bracket cells and any garbage — measured by the kernel, not estimated.
//   npx tsx bench/cartography/memory.ts [examples] [epochs]
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { computeScores } from "@gdc/cartography";
import { syntheticDynamics } from "./synthetic.ts";

const n = Number(process.argv[2] ?? 1_000_000);
const epochs = Number(process.argv[3] ?? 20);
const MB = 1024 * 1024;

function statusKb(field: "VmRSS" | "VmHWM"): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync("/proc/self/status", "utf8"));
  if (match === null) throw new Error(`no ${field} in /proc/self/status`);
  return Number(match[1]) * 1024;
}

if (process.env.GDC_MEMORY_CHILD === "1") {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const runtime = statusKb("VmRSS");
  const dyn = syntheticDynamics(n, epochs);
  gc();
  const before = statusKb("VmRSS");
  writeFileSync("/proc/self/clear_refs", "5");
  const scores = computeScores(dyn);
  const peak = statusKb("VmHWM");
  process.stdout.write(JSON.stringify({ runtime, before, peak, examples: scores.config.examples }));
} else {
  const output = execFileSync(process.execPath, [...process.execArgv, process.argv[1]!, String(n), String(epochs)], {
    env: { ...process.env, GDC_MEMORY_CHILD: "1" },
    encoding: "utf8",
  });
  const { runtime, before, peak } = JSON.parse(output) as { runtime: number; before: number; peak: number };
  const matrices = n * epochs * 2 * 4;
  const extra = peak - before;
  console.log(`peak memory of computeScores on ${n} × ${epochs} (kernel VmHWM after a reset, fresh process)`);
  console.log(`  loss + acc matrices:            ${(matrices / MB).toFixed(0)} MB`);
  console.log(`  resident before scoring:        ${(before / MB).toFixed(0)} MB (node itself ${(runtime / MB).toFixed(0)} MB, ids and matrices the rest)`);
  console.log(`  added at the peak of scoring:   ${(extra / MB).toFixed(0)} MB (${((extra / matrices) * 100).toFixed(0)} % of the matrices)`);
  console.log(`  (matrices + scoring) / matrices: ${((matrices + extra) / matrices).toFixed(2)}× (target ≤ 1.5×)`);
}

/**
 * The kernel fixes, stock vs fixed, on the shapes that dominate training (one run, ratios).
 *
 *   npx tsx bench/training/kernels.ts
 */
import * as tf from "@tensorflow/tfjs";
import { registerKernelFixes, restoreReferenceKernels, selectBackend } from "@gdc/model";

await selectBackend(["wasm"]);

function msPer(f: () => tf.Tensor | tf.Tensor[], reps: number): number {
  const run = () => {
    const out = f();
    tf.dispose(out);
  };
  run();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) run();
  return (performance.now() - t0) / reps;
}

function compare(label: string, backend: "wasm" | "cpu", f: () => tf.Tensor | tf.Tensor[], reps = 5): void {
  restoreReferenceKernels(backend);
  let stock: number | string;
  try {
    stock = msPer(f, reps);
  } catch (err) {
    stock = `fails (${(err as Error).message.split("\n")[0]!.slice(0, 60)})`;
  }
  registerKernelFixes(backend);
  const fixed = msPer(f, reps);
  const ratio = typeof stock === "number" ? `${(stock / fixed).toFixed(1)}×` : "";
  console.log(`${label.padEnd(52)} stock ${typeof stock === "number" ? stock.toFixed(1) + " ms" : stock}  fixed ${fixed.toFixed(1)} ms  ${ratio}`);
}

const a = tf.randomNormal([64, 1024]);
const b = tf.randomNormal([64, 1024]);
compare("wasm matMul [64,1024]ᵀ × [64,1024]", "wasm", () => tf.matMul(a, b, true, false));
const q = tf.randomNormal([64, 170, 32]);
const k = tf.randomNormal([64, 170, 32]);
compare("wasm batched attention [64,170,32] × [64,170,32]ᵀ", "wasm", () => tf.matMul(q, k, false, true));
const x = tf.randomNormal([32, 170, 384]);
compare("wasm unstack [32,170,384] along axis 1", "wasm", () => tf.unstack(x, 1), 2);
compare("wasm split [5440,384] into 3", "wasm", () => tf.split(tf.reshape(x, [5440, 384]), [128, 128, 128], 1));
const upstream = tf.randomNormal([2048, 32]);
const ids = tf.tensor1d(
  Int32Array.from({ length: 2048 }, (_, i) => (i * 7) % 93),
  "int32",
);
compare("wasm UnsortedSegmentSum (embedding grad) V=93", "wasm", () => tf.unsortedSegmentSum(upstream, ids, 93));
await tf.setBackend("cpu");
compare("cpu UnsortedSegmentSum (embedding grad) V=93", "cpu", () => tf.unsortedSegmentSum(upstream, ids, 93), 2);

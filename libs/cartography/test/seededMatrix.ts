import { mulberry32, type DynamicsMatrix } from "../src/index.ts";

/**
 * A reproducible matrix for tests: decaying noisy losses (so rows are learned and forgotten),
 * or, with `values`, losses drawn from that small set (many ties).
 */
export function seededMatrix(n: number, epochs: number, seed: number, values?: number[]): DynamicsMatrix {
  const random = mulberry32(seed);
  const loss = new Float32Array(n * epochs);
  const acc = new Float32Array(n * epochs);
  for (let i = 0; i < n; i++) {
    const start = 0.5 + 3 * random();
    const rate = 0.05 + 0.4 * random();
    for (let t = 0; t < epochs; t++) {
      const l = values ? values[Math.floor(random() * values.length)]! : Math.max(0, start * Math.exp(-rate * t) + 0.6 * (random() - 0.5));
      loss[i * epochs + t] = l;
      acc[i * epochs + t] = random() < Math.exp(-l) ? 1 : 0;
    }
  }
  return { ids: Array.from({ length: n }, (_, i) => `row-${i}`), epochs, loss, acc };
}

import type { DynamicsMatrix } from "../src/index.ts";

/**
 * A reproducible matrix for tests: decaying noisy losses (so rows are learned and forgotten),
 * or, with `values`, losses drawn from that small set (many ties).
 */
export function seededMatrix(n: number, epochs: number, seed: number, values?: number[]): DynamicsMatrix {
  let s = seed >>> 0;
  const random = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let r = Math.imul(s ^ (s >>> 15), 1 | s);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
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

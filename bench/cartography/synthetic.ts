import { mulberry32, type DynamicsMatrix } from "@gdc/cartography";

/**
 * Training dynamics that look like a real run: each example's loss decays from its own
 * starting point at its own rate, with noise, so some examples are learned and forgotten
 * (memorization spreads over [0, 1]) and a few are never learned. Written in place into the
 * two matrices, with no temporaries, so memory measurements see only the matrices.
 */
export function syntheticDynamics(n: number, epochs: number, seed = 1): DynamicsMatrix {
  const random = mulberry32(seed); // so every benchmark run scores the same matrix
  const loss = new Float32Array(n * epochs);
  const acc = new Float32Array(n * epochs);
  const ids: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    ids[i] = `ex-${i}`;
    const start = 0.5 + 3 * random();
    const rate = 0.05 + 0.4 * random();
    const noise = 0.6 * random();
    for (let t = 0; t < epochs; t++) {
      const l = Math.max(0, start * Math.exp(-rate * t) + noise * (random() - 0.5));
      loss[i * epochs + t] = l;
      acc[i * epochs + t] = Math.min(1, Math.exp(-l) * (0.8 + 0.4 * random()));
    }
  }
  return { ids, epochs, loss, acc };
}

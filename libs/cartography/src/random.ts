/**
 * mulberry32: a small, fully specified PRNG (uniform in [0, 1)), so a seed means the same
 * sample everywhere — policies, tests, benchmarks and seeded demo data alike.
 */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let r = Math.imul(s ^ (s >>> 15), 1 | s);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

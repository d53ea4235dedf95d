/** Summary statistics over seeds, and set overlap. */

export interface Spread {
  mean: number;
  /** Sample standard deviation (n − 1); 0 for a single value. */
  std: number;
  min: number;
  max: number;
  n: number;
}

export function spreadOf(values: readonly number[]): Spread {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, std: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, std: Math.sqrt(variance), min: Math.min(...values), max: Math.max(...values), n };
}

/** |A ∩ B| / |A ∪ B|; null when both sets are empty (nothing to compare). */
export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number | null {
  let intersection = 0;
  for (const x of a) if (b.has(x)) intersection++;
  const union = a.size + b.size - intersection;
  return union === 0 ? null : intersection / union;
}

export interface PairwiseJaccard {
  /** Mean over the pairs whose union is not empty; null without such a pair (or with one set). */
  mean: number | null;
  min: number | null;
  max: number | null;
  pairs: number;
  /** Set sizes, in input order. */
  sizes: number[];
}

export function pairwiseJaccard(sets: readonly ReadonlySet<string>[]): PairwiseJaccard {
  const values: number[] = [];
  for (let i = 0; i < sets.length; i++) {
    for (let j = i + 1; j < sets.length; j++) {
      const v = jaccard(sets[i]!, sets[j]!);
      if (v !== null) values.push(v);
    }
  }
  const sizes = sets.map((s) => s.size);
  if (values.length === 0) return { mean: null, min: null, max: null, pairs: 0, sizes };
  return { mean: values.reduce((a, b) => a + b, 0) / values.length, min: Math.min(...values), max: Math.max(...values), pairs: values.length, sizes };
}

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

/** A percentile bootstrap interval. */
export interface Interval {
  lo: number;
  hi: number;
}

export interface BootstrapOptions {
  /** Resamples (default 2000). */
  resamples?: number;
  /** Seeds the resampling, so a report is reproducible (default 0). */
  seed?: number;
  /** Coverage (default 0.95). */
  level?: number;
}

/** Draws uniform integers in [0, n); any seeded generator (the study passes @gdc/model's Rng). */
export interface IntSource {
  nextInt(n: number): number;
}

/** The q-quantile of sorted values, linear interpolation between order statistics. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

export interface PairedBootstrap {
  /** Mean over every (seed, canary) cell of a, of b, and of a − b. */
  a: number;
  b: number;
  difference: number;
  /** (a − b) ÷ b: the relative change of a's mean from b's (−0.4 = a 40 % cut). */
  relativeChange: number;
  aCI: Interval;
  differenceCI: Interval;
  relativeChangeCI: Interval;
  resamples: number;
  level: number;
}

/**
 * Two-level bootstrap of means over a seeds × canaries table (Davison & Hinkley's hierarchical
 * resampling): resample seeds with replacement, then, within each drawn seed, its canaries with
 * replacement. `a` and `b` are paired cell by cell (same seed, same canary) and drawn together,
 * so the interval of a − b reflects only the variation of the difference. Rows may differ in
 * length but a's and b's rows must match. Intervals are percentile intervals.
 */
export function pairedBootstrap(
  a: readonly (readonly number[])[],
  b: readonly (readonly number[])[],
  rng: IntSource,
  options: BootstrapOptions = {},
): PairedBootstrap {
  if (a.length !== b.length || a.some((row, s) => row.length !== b[s]!.length)) throw new RangeError("paired tables must have the same shape");
  const resamples = options.resamples ?? 2000;
  const level = options.level ?? 0.95;
  const means = (pick: (s: number) => [number, number][]) => {
    let sa = 0;
    let sb = 0;
    let n = 0;
    for (let s = 0; s < a.length; s++) {
      for (const [x, y] of pick(s)) {
        sa += x;
        sb += y;
        n++;
      }
    }
    return [sa / n, sb / n] as const;
  };
  const cells = (s: number) => a[s]!.map((x, c): [number, number] => [x, b[s]![c]!]);
  const [ma, mb] = means(cells);
  const as: number[] = [];
  const ds: number[] = [];
  const rs: number[] = [];
  const S = a.length;
  for (let r = 0; r < resamples; r++) {
    const drawn = Array.from({ length: S }, () => rng.nextInt(S));
    const [xa, xb] = means((i) => {
      const s = drawn[i]!;
      const row = a[s]!;
      return Array.from({ length: row.length }, () => {
        const c = rng.nextInt(row.length);
        return [row[c]!, b[s]![c]!];
      });
    });
    as.push(xa);
    ds.push(xa - xb);
    rs.push((xa - xb) / xb);
  }
  const tail = (1 - level) / 2;
  const interval = (xs: number[]): Interval => {
    const sorted = xs.filter((x) => !Number.isNaN(x)).sort((x, y) => x - y);
    return { lo: quantileSorted(sorted, tail), hi: quantileSorted(sorted, 1 - tail) };
  };
  return {
    a: ma,
    b: mb,
    difference: ma - mb,
    relativeChange: (ma - mb) / mb,
    aCI: interval(as),
    differenceCI: interval(ds),
    relativeChangeCI: interval(rs),
    resamples,
    level,
  };
}

/**
 * ROC-AUC of `score` for telling positives from negatives: the probability that a random
 * positive scores higher than a random negative, ties counted half (the Mann–Whitney U ÷ n₊n₋,
 * from average ranks). NaN without positives or without negatives.
 */
export function rocAuc(score: ArrayLike<number>, positive: ArrayLike<boolean>): number {
  const n = score.length;
  if (positive.length !== n) throw new RangeError("score and positive differ in length");
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => score[i]! - score[j]!);
  let rankSum = 0;
  let positives = 0;
  for (let start = 0; start < n;) {
    let end = start;
    while (end + 1 < n && score[order[end + 1]!] === score[order[start]!]) end++;
    const averageRank = (start + end) / 2 + 1;
    for (let r = start; r <= end; r++) {
      if (positive[order[r]!]) {
        rankSum += averageRank;
        positives++;
      }
    }
    start = end + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * Each example's chance of being in the top k by `score` when ties are broken at random: 1
 * above the k-th largest value, (slots left ÷ examples tied) at it, 0 below.
 */
export function topShare(score: ArrayLike<number>, k: number): Float64Array {
  const n = score.length;
  const share = new Float64Array(n);
  if (k <= 0 || n === 0) return share;
  if (k >= n) return share.fill(1);
  const sorted = Float64Array.from(score).sort().reverse();
  const threshold = sorted[k - 1]!;
  let above = 0;
  let tied = 0;
  for (let i = 0; i < n; i++) {
    if (score[i]! > threshold) above++;
    else if (score[i] === threshold) tied++;
  }
  const tiedShare = (k - above) / tied;
  for (let i = 0; i < n; i++) share[i] = score[i]! > threshold ? 1 : score[i] === threshold ? tiedShare : 0;
  return share;
}

/**
 * Recall of the examples in `members` among the top k by `score`, ties broken at random
 * (expected value, from topShare); NaN when `members` is empty.
 */
export function topRecall(score: ArrayLike<number>, members: readonly number[], k: number): number {
  if (members.length === 0) return Number.NaN;
  const share = topShare(score, k);
  return members.reduce((sum, i) => sum + share[i]!, 0) / members.length;
}

/**
 * Order statistics used by the engine: the default ε (median of the whole loss matrix) and the
 * quadrant thresholds (lower quantiles of per-example scores).
 */

/**
 * Maps float32 bit patterns to uint32 keys whose unsigned order is the numeric order
 * (negative floats have all bits flipped, positive floats only the sign bit).
 */
function sortableKey(bits: number): number {
  return (bits ^ ((bits >> 31) | 0x80000000)) >>> 0;
}

function keyToFloat32(key: number): number {
  const bits = key & 0x80000000 ? key ^ 0x80000000 : ~key;
  const view = new Int32Array(1);
  view[0] = bits;
  return new Float32Array(view.buffer)[0]!;
}

/** 65 536 counts of the top 16 bits of each value's sortable key. */
export type TopBitsHistogram = Uint32Array;

export function createTopBitsHistogram(): TopBitsHistogram {
  return new Uint32Array(65536);
}

/** Adds one float32 (given as its int32 bits) to the histogram; inlined by hand in hot loops. */
export function addToTopBitsHistogram(hist: TopBitsHistogram, bits: number): void {
  hist[sortableKey(bits) >>> 16]!++;
}

/** Locates the bin holding the k-th smallest value (0-based) and its rank inside that bin. */
function findBin(hist: Uint32Array, k: number): { bin: number; rank: number } {
  let cum = 0;
  for (let bin = 0; bin < hist.length; bin++) {
    const c = hist[bin]!;
    if (cum + c > k) return { bin, rank: k - cum };
    cum += c;
  }
  throw new RangeError(`rank ${k} is beyond the ${cum} values counted`);
}

/**
 * The k1-th and k2-th smallest values (0-based, k1 ≤ k2) of `values`, exactly, by a two-level
 * radix select: the top-16-bit histogram (already filled by the caller's pass) picks a bin, one
 * more pass histograms the low 16 bits inside that bin. Two passes, no copy of the matrix
 * (a sorted copy of 20 M cells would cost 80 MB and ~2 s).
 */
export function selectFromTopBitsHistogram(values: Float32Array, hist: TopBitsHistogram, k1: number, k2: number): [number, number] {
  const bits = new Int32Array(values.buffer, values.byteOffset, values.length);
  const a = findBin(hist, k1);
  const b = findBin(hist, k2);
  const lowA = new Uint32Array(65536);
  const lowB = a.bin === b.bin ? lowA : new Uint32Array(65536);
  const binA = a.bin;
  const binB = b.bin;
  for (let j = 0; j < bits.length; j++) {
    const key = (bits[j]! ^ ((bits[j]! >> 31) | 0x80000000)) >>> 0;
    const hi = key >>> 16;
    if (hi === binA) lowA[key & 0xffff]!++;
    else if (hi === binB) lowB[key & 0xffff]!++;
  }
  const la = findBin(lowA, a.rank);
  const lb = findBin(lowB, b.rank);
  return [keyToFloat32(((binA << 16) | la.bin) >>> 0), keyToFloat32(((binB << 16) | lb.bin) >>> 0)];
}

/**
 * Median of all values, as numpy.median: the middle value, or the mean (in float64) of the two
 * middle values when the count is even. Values must be finite (callers check first).
 */
export function medianOfFloat32(values: Float32Array): number {
  if (values.length === 0) throw new RangeError("median of no values");
  const hist = createTopBitsHistogram();
  const bits = new Int32Array(values.buffer, values.byteOffset, values.length);
  for (let j = 0; j < bits.length; j++) addToTopBitsHistogram(hist, bits[j]!);
  return medianFromTopBitsHistogram(values, hist);
}

export function medianFromTopBitsHistogram(values: Float32Array, hist: TopBitsHistogram): number {
  const n = values.length;
  const k2 = n >>> 1;
  const k1 = n % 2 === 0 ? k2 - 1 : k2;
  const [lo, hi] = selectFromTopBitsHistogram(values, hist, k1, k2);
  return k1 === k2 ? lo : (lo + hi) / 2;
}

/**
 * q·n rounded to 12 significant digits, so that e.g. 0.7 × 10 counts as 7 (not
 * 7.000000000000001, whose ceiling would be 8).
 */
export function scaledCount(q: number, n: number): number {
  return Number((q * n).toPrecision(12));
}

/**
 * Lower (inverse-CDF, Hyndman–Fan type 1) quantile: the smallest value v such that at least
 * q·n of the values are ≤ v, i.e. sorted[max(0, ceil(q·n) − 1)]. It is always one of the
 * values; with "high" meaning strictly greater, every value tied with the threshold is low,
 * so at most n − ceil(q·n) values are high.
 */
export function lowerQuantile(values: ArrayLike<number>, q: number): number {
  const n = values.length;
  if (n === 0) throw new RangeError("quantile of no values");
  const sorted = Float64Array.from(values).sort();
  const k = Math.max(0, Math.ceil(scaledCount(q, n)) - 1);
  return sorted[Math.min(k, n - 1)]!;
}

/**
 * Rearranges `values` so that values[k] is the k-th smallest (0-based), everything before it
 * ≤ it and everything after it ≥ it, and returns it. Quickselect (Hoare partition, median of
 * three): O(n) on average, without the O(n log n) of a sort. Values must not be NaN.
 */
export function selectKth(values: Float32Array, k: number): number {
  let left = 0;
  let right = values.length - 1;
  while (right > left) {
    const mid = (left + right) >>> 1;
    // Median of three as the pivot, so sorted or reversed input does not go quadratic.
    let a = values[left]!;
    let b = values[mid]!;
    const c = values[right]!;
    if (a > b) [a, b] = [b, a];
    const pivot = c < a ? a : c > b ? b : c;
    let i = left;
    let j = right;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const tmp = values[i]!;
        values[i] = values[j]!;
        values[j] = tmp;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else break;
  }
  return values[k]!;
}

/** The smallest of values[from …]. */
export function minFrom(values: Float32Array, from: number): number {
  let min = Infinity;
  for (let j = from; j < values.length; j++) if (values[j]! < min) min = values[j]!;
  return min;
}

/** The largest of values[0 … end). */
export function maxBefore(values: Float32Array, end: number): number {
  let max = -Infinity;
  for (let j = 0; j < end; j++) if (values[j]! > max) max = values[j]!;
  return max;
}

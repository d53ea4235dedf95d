/**
 * The standard normal distribution with relative accuracy deep into the left tail, which the
 * skew-normal exposure needs (a memorised canary sits many standard deviations below the
 * references). JavaScript has no erf; these are built from two classical expansions:
 * - |x| ≤ 2: Φ(x) = ½ + φ(x)·Σₙ x^(2n+1)/(1·3·…·(2n+1)) (all terms of one sign);
 * - x < −2: Φ(x) = φ(x)/D(−x), D(t) = t + 1/(t + 2/(t + 3/(t + …))) (Laplace's continued
 *   fraction for the Mills ratio), evaluated with the modified Lentz method.
 */
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const SWITCH = 2;

export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x - LOG_SQRT_2PI);
}

export function normalLogPdf(x: number): number {
  return -0.5 * x * x - LOG_SQRT_2PI;
}

/** Σ x^(2n+1)/(2n+1)!!, converging for all x; used for |x| ≤ 2 only. */
function marsagliaSeries(x: number): number {
  let term = x;
  let sum = x;
  const x2 = x * x;
  for (let k = 3; Math.abs(term) > 1e-17 * Math.abs(sum); k += 2) {
    term *= x2 / k;
    sum += term;
  }
  return sum;
}

/** D(t) = t + 1/(t + 2/(t + 3/(t + …))) for t ≥ 2, so that Φ(−t) = φ(t)/D(t). */
export function millsDenominator(t: number): number {
  const tiny = 1e-300;
  let f = t;
  let c = f;
  let d = 0;
  for (let k = 1; k < 5000; k++) {
    d = t + k * d;
    d = d === 0 ? tiny : d;
    c = t + k / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return f;
}

/** Φ(x), the standard normal CDF. */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < -SWITCH) return normalPdf(x) / millsDenominator(-x);
  if (x > SWITCH) return 1 - normalPdf(x) / millsDenominator(x);
  return 0.5 + normalPdf(x) * marsagliaSeries(x);
}

/** log Φ(x), finite for every finite x (about −x²/2 far in the left tail). */
export function normalLogCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < -SWITCH) return normalLogPdf(x) - Math.log(millsDenominator(-x));
  if (x > SWITCH) return Math.log1p(-normalPdf(x) / millsDenominator(x));
  return Math.log(0.5 + normalPdf(x) * marsagliaSeries(x));
}

/** φ(u)/Φ(u) (inverse Mills ratio), stable for very negative u where both underflow. */
export function inverseMillsRatio(u: number): number {
  if (u < -SWITCH) return millsDenominator(-u);
  return normalPdf(u) / normalCdf(u);
}

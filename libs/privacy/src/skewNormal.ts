/**
 * The skew-normal distribution SN(location ξ, scale ω, shape α), density
 *   f(x) = (2/ω)·φ(z)·Φ(αz),  z = (x − ξ)/ω,
 * (scipy.stats.skewnorm's parametrisation: `skewnorm(a=α, loc=ξ, scale=ω)`), its CDF, and a
 * maximum-likelihood fit, as TensorFlow Privacy's exposure extrapolation uses them
 * (`scipy.stats.skewnorm.fit` is MLE over all three parameters).
 */
import { integrate } from "./owensT.ts";
import { owensT } from "./owensT.ts";
import { inverseMillsRatio, normalCdf, normalLogCdf, normalLogPdf } from "./normal.ts";

export interface SkewNormal {
  location: number;
  scale: number;
  shape: number;
}

export function skewNormalLogPdf(x: number, d: SkewNormal): number {
  const z = (x - d.location) / d.scale;
  return Math.LN2 - Math.log(d.scale) + normalLogPdf(z) + normalLogCdf(d.shape * z);
}

/** CDF of the standardised skew normal, Φ(z) − 2T(z, α), clipped to [0, 1]. */
function standardCdf(z: number, shape: number): number {
  return Math.min(1, Math.max(0, normalCdf(z) - 2 * owensT(z, shape)));
}

/**
 * log F(x). Where F < 1e-6 left of the mode, Φ(z) − 2T(z,α) has lost its relative precision
 * (two nearly equal numbers are subtracted when α > 0), so log F is computed instead as
 *   log f(z) + log ∫₀^∞ f(z − s)/f(z) ds
 * with the density in log space; the integrand is log-concave and ≤ exp(−r·s), r = −(log f)′(z).
 * (scipy does the same switch at 1e-6, integrating the density numerically.)
 */
export function skewNormalLogCdf(x: number, d: SkewNormal): number {
  const z = (x - d.location) / d.scale;
  const direct = standardCdf(z, d.shape);
  const a = d.shape;
  const rate = -z + a * inverseMillsRatio(a * z); // −(log f)′(z)
  if (direct >= 1e-6 || !(rate > 0)) return Math.log(direct);
  const logDensity = (t: number) => normalLogPdf(t) + normalLogCdf(a * t);
  const at = logDensity(z);
  // u = r·s; the integrand is below e^(−u), negligible beyond u = 60.
  const integral = integrate((u) => Math.exp(logDensity(z - u / rate) - at), 0, 60, 30) / rate;
  return Math.LN2 + at + Math.log(integral);
}

export function skewNormalCdf(x: number, d: SkewNormal): number {
  return Math.exp(skewNormalLogCdf(x, d));
}

export interface SkewNormalFit extends SkewNormal {
  /** Log-likelihood of the data at the fitted parameters. */
  logLikelihood: number;
  /**
   * "interior": an ordinary maximum. "shape-bound": the likelihood keeps rising as |α| → ∞
   * (data more skewed than any skew normal allows, e.g. half-normal-like or exponential), and the
   * fit stops at |α| = MAX_SHAPE, practically the half-normal limit. "degenerate": all values
   * equal, scale 0 (a point mass).
   */
  kind: "interior" | "shape-bound" | "degenerate";
}

/**
 * Largest |shape| the fit returns. On data at the half-normal boundary the supremum of the
 * likelihood is only approached as |α| → ∞; at |α| = 10⁵ it is within ~0.005 nats of it (n = 200
 * exponential sample), and exposures stay finite: a canary below every reference gets a very
 * large but finite exposure instead of scipy's infinite one.
 */
export const MAX_SHAPE = 1e5;

interface Profile {
  /** Log-likelihood of the standardised data at its best (β, θ) for this α. */
  value: number;
  beta: number;
  theta: number;
}

/**
 * For fixed α, the log-likelihood of standardised data y in (β, θ) = (ξ/ω, 1/ω),
 *   ℓ = n·log θ + Σ [log φ(θyᵢ − β) + log Φ(α(θyᵢ − β))]  (+ n·log 2),
 * is concave (z is linear in (β, θ); log φ, log Φ and log are concave), so Newton's method with a
 * backtracking line search finds its maximum from any start.
 */
function profile(y: Float64Array, alpha: number, start: { beta: number; theta: number }): Profile {
  const n = y.length;
  const value = (beta: number, theta: number): number => {
    if (!(theta > 0)) return -Infinity;
    let s = n * Math.log(theta);
    for (let i = 0; i < n; i++) {
      const z = theta * y[i]! - beta;
      s += normalLogPdf(z) + normalLogCdf(alpha * z);
    }
    return s + n * Math.LN2;
  };
  let { beta, theta } = start;
  let current = value(beta, theta);
  for (let iter = 0; iter < 200; iter++) {
    // Gradient and Hessian; g1 = d/dz log f, g2 = d²/dz² log f < 0.
    let gb = 0;
    let gt = n / theta;
    let hbb = 0;
    let hbt = 0;
    let htt = -n / (theta * theta);
    for (let i = 0; i < n; i++) {
      const yi = y[i]!;
      const z = theta * yi - beta;
      const lam = inverseMillsRatio(alpha * z);
      const g1 = -z + alpha * lam;
      const g2 = -1 - alpha * alpha * lam * (alpha * z + lam);
      gb -= g1;
      gt += g1 * yi;
      hbb += g2;
      hbt -= g2 * yi;
      htt += g2 * yi * yi;
    }
    const det = hbb * htt - hbt * hbt;
    // Newton step −H⁻¹g (H is negative definite); fall back to gradient ascent if it is not.
    let db: number;
    let dt: number;
    if (det > 0 && hbb < 0) {
      db = -(htt * gb - hbt * gt) / det;
      dt = -(-hbt * gb + hbb * gt) / det;
    } else {
      db = gb * 1e-3;
      dt = gt * 1e-3;
    }
    let step = 1;
    let next = value(beta + db, theta + dt);
    while (!(next >= current) && step > 1e-12) {
      step /= 2;
      next = value(beta + step * db, theta + step * dt);
    }
    if (!(next >= current)) break;
    const moved = Math.abs(step * db) + Math.abs(step * dt);
    beta += step * db;
    theta += step * dt;
    const gain = next - current;
    current = next;
    if (moved < 1e-13 * (1 + Math.abs(beta) + theta) || gain < 1e-13 * Math.max(1, Math.abs(current))) break;
  }
  return { value: current, beta, theta };
}

/** Method-of-moments (β, θ) for standardised data (mean 0, variance 1) at shape α. */
function momentStart(alpha: number): { beta: number; theta: number } {
  const delta = alpha / Math.sqrt(1 + alpha * alpha);
  const omega = 1 / Math.sqrt(1 - (2 * delta * delta) / Math.PI);
  const xi = -omega * delta * Math.sqrt(2 / Math.PI);
  return { beta: xi / omega, theta: 1 / omega };
}

/**
 * Maximum-likelihood skew-normal fit over location, scale and shape.
 *
 * The data are standardised (the MLE is affine-equivariant), then the profile likelihood
 * ℓ*(α) = max over (ξ, ω) is maximised over u = asinh(α) ∈ [−asinh(MAX_SHAPE), asinh(MAX_SHAPE)]
 * (steps of about ¼ in α near 0, geometric steps for large |α|): a grid of 81 values, the inner
 * fits warm-started from their neighbour, then golden-section refinement around the best. The
 * grid guards against the flat stationary point of the skew-normal likelihood at α = 0 and
 * against stopping short of the boundary, where a local optimiser started from the moments (as
 * scipy's Nelder–Mead is) can stall: on such data this fit's likelihood is higher than scipy's.
 *
 * Degenerate input (all values equal) returns scale 0, shape 0, kind "degenerate".
 */
export function fitSkewNormal(values: readonly number[]): SkewNormalFit {
  const n = values.length;
  if (n === 0) throw new RangeError("fitSkewNormal: no values");
  for (const v of values) if (!Number.isFinite(v)) throw new RangeError(`fitSkewNormal: non-finite value ${v}`);
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / n);
  if (!(sd > 0) || values.every((v) => v === values[0])) {
    return { location: values[0]!, scale: 0, shape: 0, logLikelihood: Infinity, kind: "degenerate" };
  }
  const y = Float64Array.from(values, (v) => (v - mean) / sd);

  const maxU = Math.asinh(MAX_SHAPE);
  const K = 40;
  const grid = Array.from({ length: 2 * K + 1 }, (_, k) => ((k - K) / K) * maxU);
  const fits = new Array<Profile>(grid.length);
  // Sweep outwards from α = 0 so each fit starts from its neighbour's optimum.
  fits[K] = profile(y, 0, momentStart(0));
  for (let k = K + 1; k < grid.length; k++) fits[k] = profile(y, Math.sinh(grid[k]!), fits[k - 1]!);
  for (let k = K - 1; k >= 0; k--) fits[k] = profile(y, Math.sinh(grid[k]!), fits[k + 1]!);
  let best = 0;
  for (let k = 1; k < fits.length; k++) if (fits[k]!.value > fits[best]!.value) best = k;

  let bestU = grid[best]!;
  let bestFit = fits[best]!;
  const lo = grid[Math.max(0, best - 1)]!;
  const hi = grid[Math.min(grid.length - 1, best + 1)]!;
  if (hi > lo) {
    const evaluate = (u: number) => profile(y, Math.sinh(u), bestFit);
    const g = (Math.sqrt(5) - 1) / 2;
    let a = lo;
    let b = hi;
    let c = b - g * (b - a);
    let d = a + g * (b - a);
    let fc = evaluate(c);
    let fd = evaluate(d);
    while (b - a > 1e-9) {
      if (fc.value >= fd.value) {
        b = d;
        d = c;
        fd = fc;
        c = b - g * (b - a);
        fc = evaluate(c);
      } else {
        a = c;
        c = d;
        fc = fd;
        d = a + g * (b - a);
        fd = evaluate(d);
      }
    }
    for (const [u, fit] of [
      [c, fc],
      [d, fd],
    ] as const) {
      if (fit.value > bestFit.value) {
        bestFit = fit;
        bestU = u;
      }
    }
  }
  const shape = Math.abs(bestU) >= maxU * (1 - 1e-12) ? Math.sign(bestU) * MAX_SHAPE : Math.sinh(bestU);
  const omega = 1 / bestFit.theta;
  return {
    location: mean + sd * bestFit.beta * omega,
    scale: sd * omega,
    shape,
    logLikelihood: bestFit.value - n * Math.log(sd),
    kind: Math.abs(shape) >= MAX_SHAPE * (1 - 1e-9) ? "shape-bound" : "interior",
  };
}

/** Log-likelihood of values under a skew normal (for comparing fits). */
export function skewNormalLogLikelihood(values: readonly number[], d: SkewNormal): number {
  return values.reduce((s, v) => s + skewNormalLogPdf(v, d), 0);
}

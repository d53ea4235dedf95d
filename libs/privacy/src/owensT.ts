/**
 * Owen's T function
 *   T(h, a) = (1/2π) ∫₀ᵃ exp(−½h²(1+x²)) / (1+x²) dx,
 * which gives the skew-normal CDF: F(z; α) = Φ(z) − 2·T(z, α).
 *
 * Method (an accurate alternative to Patefield–Tandy's six series): symmetries T(−h,a) = T(h,a),
 * T(h,−a) = −T(h,a); for |a| ≤ 1 the integral of the positive integrand exp(−½h²x²)/(1+x²) is
 * taken by composite 20-point Gauss–Legendre quadrature on panels no wider than 1/h, so the
 * Gaussian factor is resolved and the result has full *relative* precision; for |a| > 1 the
 * reflection
 *   T(h, a) = ½[Φ(h)Φ(−ah) + Φ(ah)Φ(−h)] − T(ah, 1/a)        (h ≥ 0, a > 0)
 * brings the angle back into (0, 1] without cancellation (its first term is written so that no
 * 1 − Φ appears). Verified against T(h,0)=0, T(0,a)=atan(a)/2π, T(h,1)=½Φ(h)(1−Φ(h)), the a→∞
 * limit ½Φ(−|h|), and Patefield–Tandy's tabulated values.
 */
import { normalCdf } from "./normal.ts";

const NODES = 20;
const { nodes: GL_NODES, weights: GL_WEIGHTS } = gaussLegendre(NODES);

/** Pₙ(x) and Pₙ′(x), by the three-term recurrence (x ≠ ±1). */
function legendre(n: number, x: number): { p: number; dp: number } {
  let p0 = 1;
  let p1 = x;
  for (let k = 2; k <= n; k++) {
    const p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
    p0 = p1;
    p1 = p2;
  }
  return { p: p1, dp: (n * (x * p1 - p0)) / (x * x - 1) };
}

/** Nodes and weights of n-point Gauss–Legendre quadrature on [−1, 1] (Newton on Pₙ). */
export function gaussLegendre(n: number): { nodes: Float64Array; weights: Float64Array } {
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    for (let iter = 0; iter < 100; iter++) {
      const { p, dp } = legendre(n, x);
      const dx = p / dp;
      x -= dx;
      if (Math.abs(dx) < 1e-16) break;
    }
    // The derivative at the converged root, for the weight.
    const { dp } = legendre(n, x);
    nodes[i] = -x;
    nodes[n - 1 - i] = x;
    weights[i] = weights[n - 1 - i] = 2 / ((1 - x * x) * dp * dp);
  }
  return { nodes, weights };
}

/** ∫ₗᵘ f by Gauss–Legendre on one panel. */
function panel(f: (x: number) => number, lo: number, hi: number): number {
  const mid = 0.5 * (lo + hi);
  const half = 0.5 * (hi - lo);
  let s = 0;
  for (let i = 0; i < NODES; i++) s += GL_WEIGHTS[i]! * f(mid + half * GL_NODES[i]!);
  return s * half;
}

/** Integral over [lo, hi] split into `panels` equal panels. */
export function integrate(f: (x: number) => number, lo: number, hi: number, panels: number): number {
  const width = (hi - lo) / panels;
  let s = 0;
  for (let p = 0; p < panels; p++) s += panel(f, lo + p * width, p === panels - 1 ? hi : lo + (p + 1) * width);
  return s;
}

// Beyond x = CUTOFF/h the factor exp(−½h²x²) is below 1e-19 of its value at 0.
const CUTOFF = 9.4;

/** T(h, a) for h ≥ 0 and 0 < a ≤ 1. */
function owensTSmallAngle(h: number, a: number): number {
  const scale = Math.exp(-0.5 * h * h) / (2 * Math.PI);
  if (scale === 0) return 0;
  const hi = h > 0 ? Math.min(a, CUTOFF / h) : a;
  const panels = Math.max(1, Math.ceil(hi * h));
  const h2 = 0.5 * h * h;
  return scale * integrate((x) => Math.exp(-h2 * x * x) / (1 + x * x), 0, hi, panels);
}

export function owensT(h: number, a: number): number {
  if (Number.isNaN(h) || Number.isNaN(a)) return Number.NaN;
  if (a === 0) return 0;
  if (a < 0) return -owensT(h, -a);
  h = Math.abs(h);
  if (h === 0) return Math.atan(a) / (2 * Math.PI);
  if (a === Infinity) return 0.5 * normalCdf(-h);
  if (a <= 1) return owensTSmallAngle(h, a);
  const ah = a * h;
  return 0.5 * (normalCdf(h) * normalCdf(-ah) + normalCdf(ah) * normalCdf(-h)) - owensTSmallAngle(ah, 1 / a);
}

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_SHAPE, exposureByRank, exposureBySkewNormal, exposureUnderFit, fitSkewNormal, normalCdf, skewNormalLogLikelihood } from "../src/index.ts";
import fixture from "./fixtures/skewnormal-scipy.json" with { type: "json" };

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
const dataset = (name: string) => fixture.datasets.find((d) => d.name === name)!;

describe("exposureByRank (TensorFlow Privacy's compute_exposure_interpolation)", () => {
  const sixteen = Array.from({ length: 16 }, (_, i) => i + 1);

  it("reproduces TF Privacy's own test case: references 1..16", () => {
    expect(exposureByRank(0, sixteen)).toBe(4); // below all: log2 16
    expect(exposureByRank(0.1, sixteen)).toBe(4);
    expect(exposureByRank(3.5, sixteen)).toBe(4 - 2); // 3 references below: rank 4
    expect(exposureByRank(20, sixteen)).toBe(4 - Math.log2(17)); // above all: rank 17, slightly negative
  });

  it("counts ties against the canary", () => {
    expect(exposureByRank(2, [1, 2, 2, 2, 3])).toBe(Math.log2(5) - Math.log2(5)); // rank 1 + 4
    expect(exposureByRank(7, [7, 7, 7, 7])).toBe(2 - Math.log2(5)); // all tied: worst rank
    expect(exposureByRank(6.999, [7, 7, 7, 7])).toBe(2);
  });

  it("lies in [log2|R| − log2(|R|+1), log2|R|] and never rises as the canary's log-perplexity rises", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 50 }), fc.integer({ min: -1, max: 21 }), (refs, c) => {
        const n = refs.length;
        const e = exposureByRank(c, refs);
        expect(e).toBeLessThanOrEqual(Math.log2(n));
        expect(e).toBeGreaterThanOrEqual(Math.log2(n) - Math.log2(n + 1));
        expect(exposureByRank(c + 1, refs)).toBeLessThanOrEqual(e);
      }),
    );
  });

  it("rejects empty or non-finite input", () => {
    expect(() => exposureByRank(1, [])).toThrow(RangeError);
    expect(() => exposureByRank(Number.NaN, [1])).toThrow(RangeError);
    expect(() => exposureByRank(1, [1, Infinity])).toThrow(/\[1\]/);
  });
});

describe("exposureBySkewNormal (compute_exposure_extrapolation)", () => {
  it("on references shaped exactly like a normal sample, fits shape 0 and gives −log2 Φ(z)", () => {
    // Normal quantiles at (i − ½)/n: symmetric and bell-shaped, so the MLE is the normal one —
    // mean and population standard deviation — and F is Φ (hand-derived expectations).
    const n = 99;
    const refs = Array.from({ length: n }, (_, i) => 30 + 2 * inverseNormal((i + 0.5) / n));
    const mean = refs.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(refs.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
    const fit = fitSkewNormal(refs);
    // The likelihood is flat to fourth order in α at 0, so α is only resolved to ~1e-3 and the
    // location to ~1e-3 sd; the exposures barely notice.
    expect(Math.abs(fit.shape)).toBeLessThan(5e-3);
    expect(Math.abs(fit.location - mean) / sd).toBeLessThan(5e-3);
    expect(Math.abs(fit.scale - sd) / sd).toBeLessThan(1e-4);
    expect(exposureBySkewNormal(mean, refs)).toBeCloseTo(1, 2); // −log2 ½
    expect(exposureBySkewNormal(mean - 3 * sd, refs)).toBeCloseTo(9.53293385132495, 1); // −log2 Φ(−3)
    expect(exposureBySkewNormal(mean - 1.5 * sd, refs)).toBeCloseTo(-Math.log2(normalCdf(-1.5)), 2);
  });

  describe.each(fixture.datasets.map((d) => [d.name, d] as const))("on the %s references (scipy fixture)", (_name, d) => {
    const fit = fitSkewNormal(d.values);

    it("reaches at least scipy.stats.skewnorm.fit's likelihood (up to the shape bound)", () => {
      // At the half-normal boundary scipy drifts to α ~ 1e8; the bound at MAX_SHAPE costs < 0.01 nats.
      expect(fit.logLikelihood).toBeGreaterThanOrEqual(d.scipy.logLikelihood - (fit.kind === "shape-bound" ? 0.01 : 1e-6));
      expect(rel(skewNormalLogLikelihood(d.values, fit), fit.logLikelihood)).toBeLessThan(1e-10);
    });

    it("has a CDF equal to the high-precision one at scipy's parameters, far into the tail", () => {
      const scipyFit = { location: d.scipy.location, scale: d.scipy.scale, shape: d.scipy.shape, logLikelihood: 0, kind: "interior" as const };
      for (const e of d.scipy.exposures) {
        if (e.exact === null) continue;
        expect(rel(exposureUnderFit(e.x, scipyFit), e.exact)).toBeLessThan(1e-9);
      }
    });
  });

  it.each(["right-skewed", "normal", "heavily-tied"])("finds scipy's interior optimum on %s and its exposures", (name) => {
    const d = dataset(name);
    const fit = fitSkewNormal(d.values);
    expect(fit.kind).toBe("interior");
    expect(rel(fit.shape, d.scipy.shape)).toBeLessThan(1e-3);
    expect(rel(fit.location, d.scipy.location)).toBeLessThan(1e-4);
    expect(rel(fit.scale, d.scipy.scale)).toBeLessThan(1e-4);
    for (const e of d.scipy.exposures) {
      if (e.exact === null) continue;
      // scipy's Nelder–Mead stops at ~1e-4 relative parameter tolerance; far-tail exposures
      // amplify that difference.
      expect(rel(exposureBySkewNormal(e.x, d.values), e.exact)).toBeLessThan(e.exact > 100 ? 1e-3 : 1e-4);
    }
  });

  it("goes to the shape bound on heavily skewed references, with finite, huge exposures below them", () => {
    for (const name of ["exponential", "five-values", "left-skewed"]) {
      const d = dataset(name);
      const fit = fitSkewNormal(d.values);
      expect(fit.kind).toBe("shape-bound");
      expect(Math.abs(fit.shape)).toBe(MAX_SHAPE);
      // scipy stops at α ≈ −16.6 on left-skewed (Nelder–Mead stalls); the bound is more likely.
      if (name === "left-skewed") expect(fit.logLikelihood).toBeGreaterThan(d.scipy.logLikelihood + 1);
    }
    const exp = dataset("exponential");
    const below = exposureBySkewNormal(Math.min(...exp.values) - 1, exp.values);
    expect(Number.isFinite(below)).toBe(true);
    expect(below).toBeGreaterThan(1e6);
    // Inside the references the boundary fit agrees with scipy's near-half-normal one.
    const median = exp.scipy.exposures[4]!;
    expect(exposureBySkewNormal(median.x, exp.values)).toBeCloseTo(median.exposure!, 1);
  });

  it("treats identical references as a point mass", () => {
    expect(exposureBySkewNormal(4.9, [5, 5, 5])).toBe(Infinity);
    expect(exposureBySkewNormal(5, [5, 5, 5])).toBe(0);
    expect(exposureBySkewNormal(6, [5, 5, 5])).toBe(0);
  });

  it("is invariant to the log base / affine rescaling, and decreases as the canary's log-perplexity rises", () => {
    const d = dataset("right-skewed");
    const refs = d.values.slice(0, 60);
    fc.assert(
      fc.property(fc.double({ min: 0.1, max: 10, noNaN: true }), fc.double({ min: -50, max: 50, noNaN: true }), (scale, shift) => {
        for (const c of [14, 18]) {
          expect(
            rel(
              exposureBySkewNormal(
                scale * c + shift,
                refs.map((r) => scale * r + shift),
              ),
              exposureBySkewNormal(c, refs),
            ),
          ).toBeLessThan(1e-5);
        }
      }),
      { numRuns: 5 },
    );
    const fit = fitSkewNormal(refs);
    const xs = [5, 10, 15, 20, 25, 30];
    const es = xs.map((x) => exposureUnderFit(x, fit));
    for (let i = 1; i < es.length; i++) expect(es[i]).toBeLessThan(es[i - 1]!);
    expect(es.every((e) => e >= 0)).toBe(true);
  });
});

/** Inverse of the normal CDF by bisection (test helper). */
function inverseNormal(p: number): number {
  let lo = -10;
  let hi = 10;
  for (let i = 0; i < 200; i++) {
    const mid = 0.5 * (lo + hi);
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

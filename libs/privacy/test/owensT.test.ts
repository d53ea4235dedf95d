import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalCdf, normalLogCdf, owensT } from "../src/index.ts";

// Reference values are copied digit for digit from their sources (mpmath, Patefield & Tandy's
// table); the double nearest each is what the tests compare, so the extra digits are harmless.
/* eslint-disable no-loss-of-precision */

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

describe("standard normal CDF", () => {
  // Values from scipy.stats.norm (cdf, logcdf).
  it.each([
    [-1, 0.15865525393145707, -1.8410216450092634],
    [-2, 0.022750131948179195, -3.7831843336820317],
    [-3, 0.0013498980316300933, -6.60772622151035],
    [-5, 2.866515718791933e-7, -15.064998393988727],
    [-10, 7.61985302416047e-24, -53.23128515051248],
    [-20, 2.7536241186061556e-89, -203.9171553710973],
    [0.5, 0.6914624612740131, -0.36894641528865635],
    [2, 0.9772498680518208, -0.023012909328963476],
  ])("Φ(%d) and log Φ to 1e-13 relative", (x, cdf, logCdf) => {
    expect(rel(normalCdf(x), cdf)).toBeLessThan(1e-13);
    expect(rel(normalLogCdf(x), logCdf)).toBeLessThan(1e-13);
  });

  it("stays finite in log space far beyond underflow", () => {
    expect(normalCdf(-40)).toBe(0);
    expect(rel(normalLogCdf(-200), -20006.217280898190402)).toBeLessThan(1e-14); // mpmath
  });

  it("is continuous where its two expansions meet (|x| = 2)", () => {
    for (const x of [-2, 2]) expect(rel(normalCdf(x - 1e-12), normalCdf(x + 1e-12))).toBeLessThan(1e-11);
  });
});

describe("Owen's T", () => {
  it("T(h, 0) = 0 and T(0, a) = atan(a)/2π", () => {
    for (const h of [0, 0.3, 2, 9]) expect(owensT(h, 0)).toBe(0);
    for (const a of [0.01, 0.5, 1, 3, 250]) expect(rel(owensT(0, a), Math.atan(a) / (2 * Math.PI))).toBeLessThan(1e-14);
  });

  it("T(h, 1) = ½Φ(h)(1 − Φ(h)) and T(h, a→∞) = ½Φ(−|h|)", () => {
    for (const h of [0.1, 0.7, 1.5, 3, 6, -2.5]) {
      expect(rel(owensT(h, 1), 0.5 * normalCdf(h) * normalCdf(-h))).toBeLessThan(1e-13);
      expect(rel(owensT(h, 1e12), 0.5 * normalCdf(-Math.abs(h)))).toBeLessThan(1e-10);
      expect(owensT(h, Infinity)).toBe(0.5 * normalCdf(-Math.abs(h)));
    }
  });

  // Patefield & Tandy (2000), Table 4 test values (also Boost's owens_t tests).
  it.each([
    [0.0625, 0.25, 0.0389119302347013668966224771378],
    [6.5, 0.4375, 2.00057730485083154100907167685e-11],
    [7, 0.96875, 6.39906271938986853083219914429e-13],
    [4.78125, 0.0625, 1.06329748046874638058307112826e-7],
    [2, 0.5, 0.00862507798552150713113488319155],
    [1, 0.9999975, 0.0667418089782285927715589822405],
  ])("T(%f, %f) matches the tabulated value to 1e-14", (h, a, t) => {
    expect(rel(owensT(h, a), t)).toBeLessThan(1e-14);
  });

  // scipy.special.owens_t for angles > 1 (the reflection branch) and far tails.
  it.each([
    [0.5, 3, 0.15108404307601844],
    [3, 7, 0.0006749490158150479],
    [1.5, 100, 0.03340360063442904],
    [2.5, 1.5, 0.0031046570510844984],
    [10, 0.5, 3.8099247740170695e-24],
    [20, 0.3, 1.3768120568156201e-89],
  ])("T(%f, %f) matches scipy to 1e-13", (h, a, t) => {
    expect(rel(owensT(h, a), t)).toBeLessThan(1e-13);
  });

  it("is even in h, odd in a, and satisfies T(h,a) + T(ah,1/a) = ½Φ(h) + ½Φ(ah) − Φ(h)Φ(ah)", () => {
    fc.assert(
      fc.property(fc.double({ min: 0.01, max: 6, noNaN: true }), fc.double({ min: 0.01, max: 20, noNaN: true }), (h, a) => {
        const t = owensT(h, a);
        expect(owensT(-h, a)).toBe(t);
        expect(owensT(h, -a)).toBe(-t);
        const lhs = t + owensT(a * h, 1 / a);
        const rhs = 0.5 * normalCdf(h) + 0.5 * normalCdf(a * h) - normalCdf(h) * normalCdf(a * h);
        expect(Math.abs(lhs - rhs)).toBeLessThan(1e-15);
      }),
    );
  });
});

/**
 * Exposure of a canary (Carlini et al. 2019, "The Secret Sharer"), defined exactly as
 * TensorFlow Privacy's secret_sharer/exposures.py does:
 *
 * - compute_exposure_interpolation: exposure = log₂|R| − log₂ rank, where rank = 1 + the number of
 *   reference log-perplexities ≤ the canary's (its sort puts a reference before a canary on a
 *   tie, so ties count against the canary). A canary below every reference gets log₂|R|; one
 *   above every reference gets log₂|R| − log₂(|R|+1) < 0.
 * - compute_exposure_extrapolation: exposure = −log₂ F(canary), F the CDF of a skew normal fitted
 *   to the references by maximum likelihood (scipy.stats.skewnorm.fit).
 *
 * Log-perplexities may be in any base as long as canary and references share it: ranks are
 * base-free and the skew-normal fit is scale-equivariant. The audit uses bits.
 */
import { fitSkewNormal, skewNormalLogCdf, type SkewNormalFit } from "./skewNormal.ts";

function checkInputs(canary: number, references: readonly number[]): void {
  if (!Number.isFinite(canary)) throw new RangeError(`canary log-perplexity must be finite, got ${canary}`);
  if (references.length === 0) throw new RangeError("exposure needs at least one reference log-perplexity");
  references.forEach((r, i) => {
    if (!Number.isFinite(r)) throw new RangeError(`reference log-perplexity [${i}] must be finite, got ${r}`);
  });
}

export function exposureByRank(canaryLogPerplexity: number, referenceLogPerplexities: number[]): number {
  checkInputs(canaryLogPerplexity, referenceLogPerplexities);
  let atOrBelow = 0;
  for (const r of referenceLogPerplexities) if (r <= canaryLogPerplexity) atOrBelow++;
  return Math.log2(referenceLogPerplexities.length) - Math.log2(1 + atOrBelow);
}

/**
 * −log₂ F(canary) under the skew normal fitted to the references.
 *
 * Boundary behaviour (documented because the definition leaves it open):
 * - references more skewed than any skew normal: the fit stops at |shape| = MAX_SHAPE (see
 *   fitSkewNormal); the exposure stays finite however far below the references the canary is,
 *   because log F is computed in log space rather than as −log₂ of an underflowed 0;
 * - all references equal (a point mass at c): +Infinity for a canary below c, 0 otherwise.
 */
export function exposureBySkewNormal(canaryLogPerplexity: number, referenceLogPerplexities: number[]): number {
  checkInputs(canaryLogPerplexity, referenceLogPerplexities);
  return exposureUnderFit(canaryLogPerplexity, fitSkewNormal(referenceLogPerplexities));
}

/** −log₂ F(x) for an existing fit (one fit serves many canaries sharing references). */
export function exposureUnderFit(logPerplexity: number, fit: SkewNormalFit): number {
  if (fit.kind === "degenerate") return logPerplexity < fit.location ? Infinity : 0;
  // −log₂F ≥ 0; max(0, ·) removes a −0 or rounding below zero when F rounds to 1.
  return Math.max(0, -skewNormalLogCdf(logPerplexity, fit) / Math.LN2);
}

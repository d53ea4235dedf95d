/**
 * The canary audit of a trained model: per canary, the log-perplexity (bits) of its secret given
 * its prefix, its exposure by rank among never-inserted reference secrets and by skew-normal
 * extrapolation, and whether greedy decoding from the prefix reproduces the whole secret.
 */
import { continuationLogPerplexity, greedyContinuations, type LanguageModel } from "@gdc/model";
import type { CanarySet } from "./canaries.ts";
import { sampleReferenceSecrets } from "./canaries.ts";
import { exposureByRank, exposureUnderFit } from "./exposure.ts";
import { fitSkewNormal, type SkewNormalFit } from "./skewNormal.ts";

export interface CanaryAuditOptions {
  /** |R|: reference secrets per canary (the same sampled secrets are scored under each prefix). */
  references: number;
  /** Seeds the reference sample; default 0. */
  seed?: number;
  batchSize?: number;
}

export interface CanaryFinding {
  canaryId: string;
  prefix: string;
  secret: string;
  repetitions: number;
  /** −Σ log₂ p(secret characters | prefix), bits. */
  logPerplexity: number;
  exposureRank: number;
  exposureSkewNormal: number;
  /** The skew normal fitted to this canary's references (its kind flags boundary fits). */
  referenceFit: SkewNormalFit;
  /** Greedy continuation of the prefix, as long as the secret. */
  greedy: string;
  extracted: boolean;
}

export interface RepetitionSummary {
  repetitions: number;
  canaries: number;
  extractionRate: number;
  meanExposureRank: number;
  meanExposureSkewNormal: number;
}

export interface CanaryAuditResult {
  findings: CanaryFinding[];
  references: number;
  summary: {
    canaries: number;
    extracted: number;
    extractionRate: number;
    meanExposureRank: number;
    meanExposureSkewNormal: number;
    byRepetitions: RepetitionSummary[];
  };
}

const mean = (xs: number[]) => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

function summarise(findings: CanaryFinding[]) {
  return {
    canaries: findings.length,
    extracted: findings.filter((f) => f.extracted).length,
    extractionRate: findings.length === 0 ? Number.NaN : findings.filter((f) => f.extracted).length / findings.length,
    meanExposureRank: mean(findings.map((f) => f.exposureRank)),
    meanExposureSkewNormal: mean(findings.map((f) => f.exposureSkewNormal)),
  };
}

export function auditCanaries(model: LanguageModel, set: CanarySet, options: CanaryAuditOptions): CanaryAuditResult {
  if (!Number.isInteger(options.references) || options.references < 1) throw new RangeError("references must be a positive integer");
  const references = sampleReferenceSecrets(set, options.references, options.seed ?? 0);
  const greedy = greedyContinuations(
    model,
    set.canaries.map((c) => c.prefix),
    set.secretLength,
    { stopAtEos: false },
  );
  const findings = set.canaries.map((c, i): CanaryFinding => {
    const lp = continuationLogPerplexity(model, c.prefix, [c.secret, ...references], { batchSize: options.batchSize ?? 256 });
    const canary = lp[0]!;
    const refs = Array.from(lp.subarray(1));
    const referenceFit = fitSkewNormal(refs);
    return {
      canaryId: c.id,
      prefix: c.prefix,
      secret: c.secret,
      repetitions: c.repetitions,
      logPerplexity: canary,
      exposureRank: exposureByRank(canary, refs),
      exposureSkewNormal: exposureUnderFit(canary, referenceFit),
      referenceFit,
      greedy: greedy[i]!,
      extracted: greedy[i] === c.secret,
    };
  });
  const levels = [...new Set(findings.map((f) => f.repetitions))].sort((a, b) => a - b);
  const { canaries, extracted, extractionRate, meanExposureRank, meanExposureSkewNormal } = summarise(findings);
  return {
    findings,
    references: references.length,
    summary: {
      canaries,
      extracted,
      extractionRate,
      meanExposureRank,
      meanExposureSkewNormal,
      byRepetitions: levels.map((k) => {
        const s = summarise(findings.filter((f) => f.repetitions === k));
        return {
          repetitions: k,
          canaries: s.canaries,
          extractionRate: s.extractionRate,
          meanExposureRank: s.meanExposureRank,
          meanExposureSkewNormal: s.meanExposureSkewNormal,
        };
      }),
    },
  };
}

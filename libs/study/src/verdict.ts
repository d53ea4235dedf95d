/**
 * What the study's numbers say, in numbers and sentences, computed — never written by hand.
 *
 * Release-gate summary (libs/db evaluate-release-gate.ts reads the first two):
 *   extractionRatio    = Σ_seeds extracted(policy) ÷ Σ_seeds extracted(baseline)  (pooled over
 *                        seeds, i.e. the ratio of mean extraction rates; null when the baseline
 *                        extracted nothing — no reduction can be measured);
 *   perplexityIncrease = mean over seeds of (ppl(policy) − ppl(baseline)) ÷ ppl(baseline).
 *
 * "Beats a baseline policy": lower mean extraction rate; on a tie, lower mean exposure (rank
 * estimator). The paper's claim holds iff the policy prunes 10 %, the baseline extracted at
 * least one canary, the extraction reduction 1 − extractionRatio is > 40 % and the perplexity
 * increase is < 0.5 %.
 */
import type { ArmResult, StudySummary, Verdict } from "./report-types.ts";

export const PAPER_CLAIM = "pruning 10 % of the data by memorization cuts canary extraction by over 40 % at under 0.5 % validation-perplexity cost";
export const BEAT_RULE = "lower mean extraction rate over seeds; on a tie, lower mean exposure (rank estimator)";

const pct = (x: number | null, digits = 1) => (x === null || !Number.isFinite(x) ? "n/a" : `${(x * 100).toFixed(digits)} %`);
const signedPct = (x: number | null, digits = 2) => (x === null || !Number.isFinite(x) ? "n/a" : `${x >= 0 ? "+" : "−"}${Math.abs(x * 100).toFixed(digits)} %`);

function beats(a: ArmResult, b: ArmResult): boolean {
  if (a.extractionRate !== b.extractionRate) return a.extractionRate < b.extractionRate;
  return a.meanExposureRank < b.meanExposureRank;
}

export function summarize(
  arms: readonly ArmResult[],
  policyName: string | null,
  hotspotJaccard: number | null,
  prunePercent: number | null,
): { summary: StudySummary; verdict: Verdict } {
  const baseline = arms.find((a) => a.name === "baseline")!;
  const policy = arms.find((a) => a.name === policyName) ?? null;
  const baseExtracted = baseline.perSeed.reduce((n, s) => n + s.extracted, 0);
  if (!policy) {
    const note = "no GenDataCarto policy in this study: nothing to summarise";
    return {
      summary: {
        extractionRatio: null,
        perplexityIncrease: null,
        policy: "",
        baselineExtractionRate: baseline.extractionRate,
        curatedExtractionRate: Number.NaN,
        baselinePerplexity: baseline.validationPerplexity,
        curatedPerplexity: Number.NaN,
        hotspotJaccard,
        beatsBaselines: null,
        paperClaimHeld: null,
        note,
      },
      verdict: {
        policy: "",
        comparisons: [],
        beatsBaselines: null,
        rule: BEAT_RULE,
        paperClaim: { claim: PAPER_CLAIM, held: null, prunePercent, extractionReduction: null, perplexityIncrease: null, perplexityChangeStd: null, reasons: [note] },
        sentences: [note],
      },
    };
  }
  const policyExtracted = policy.perSeed.reduce((n, s) => n + s.extracted, 0);
  const extractionRatio = baseExtracted === 0 ? null : policyExtracted / baseExtracted;
  const perplexityIncrease = policy.perplexityChange;
  const extractionReduction = extractionRatio === null ? null : 1 - extractionRatio;

  const comparisons = arms
    .filter((a) => a.kind === "comparison")
    .map((a) => ({ policy: a.name, label: a.label, beaten: beats(policy, a), extractionRate: a.extractionRate, meanExposureRank: a.meanExposureRank, perplexityChange: a.perplexityChange }));
  const beatsBaselines = comparisons.length === 0 ? null : comparisons.every((c) => c.beaten);

  const reasons: string[] = [];
  if (prunePercent !== 10) reasons.push(`the study pruned ${prunePercent ?? "an unknown share"} %, not the claim's 10 %`);
  if (extractionReduction === null) reasons.push("the baseline extracted no canary, so no reduction can be measured");
  else if (!(extractionReduction > 0.4)) {
    reasons.push(
      extractionReduction >= 0
        ? `extractions fell by ${pct(extractionReduction)}, not more than 40 %`
        : `extractions rose by ${pct(-extractionReduction)} instead of falling by more than 40 %`,
    );
  }
  if (!(perplexityIncrease < 0.005)) reasons.push(`validation perplexity rose by ${signedPct(perplexityIncrease)}, not less than 0.5 %`);
  const held = extractionReduction === null ? null : reasons.length === 0;

  const sentences: string[] = [];
  const seeds = baseline.perSeed.length;
  sentences.push(
    `Baseline: ${pct(baseline.extractionRate)} of canaries extracted (${baseExtracted} extractions over ${seeds} seed${seeds === 1 ? "" : "s"}), ` +
      `validation perplexity ${baseline.validationPerplexity.toFixed(3)}.`,
  );
  sentences.push(
    `${policy.label}: ${pct(policy.extractionRate)} extracted (${policyExtracted} extractions), ` +
      (extractionRatio === null ? "extraction ratio undefined" : `extraction ratio ${extractionRatio.toFixed(3)} (${signedPct(-extractionReduction!, 1)} extractions)`) +
      `, perplexity ${signedPct(perplexityIncrease)}; it caught ${pct(policy.caughtShare)} of canary copies.`,
  );
  for (const c of comparisons) {
    sentences.push(
      `${c.beaten ? "It BEAT" : "It did NOT beat"} ${c.label} (${pct(c.extractionRate)} extracted, mean exposure ${c.meanExposureRank.toFixed(2)} bits vs ${policy.meanExposureRank.toFixed(2)} bits; perplexity ${signedPct(c.perplexityChange)}).`,
    );
  }
  if (beatsBaselines === true) sentences.push("GenDataCarto's prune policy beat every baseline policy in this study.");
  if (beatsBaselines === false) sentences.push("GenDataCarto's prune policy did NOT beat every baseline policy in this study.");
  sentences.push(
    held === true
      ? `The paper's claim (${PAPER_CLAIM}) HELD here.`
      : held === false
        ? `The paper's claim (${PAPER_CLAIM}) did NOT hold here: ${reasons.join("; ")}.`
        : `The paper's claim (${PAPER_CLAIM}) could not be tested here: ${reasons.join("; ")}.`,
  );
  // When single seeds fall on both sides of the claim's 0.5 % margin, the mean decides the
  // perplexity part; say so rather than let it decide silently.
  const noise = policy.spread.perplexityChange;
  if (noise.n > 1 && noise.min < 0.005 && noise.max >= 0.005) {
    sentences.push(
      `Caution: the perplexity change varied across seeds (${signedPct(noise.min)} … ${signedPct(noise.max)}, std ${pct(noise.std, 2)}), ` +
        `on both sides of the claim's 0.5 % margin; ${seeds} seeds do not resolve the perplexity part of the claim.`,
    );
  }
  if (hotspotJaccard !== null) sentences.push(`The HOTSPOT_MEMORIZED set had a mean pairwise Jaccard similarity of ${hotspotJaccard.toFixed(3)} across seeds.`);

  const note =
    extractionRatio === null
      ? "extractionRatio is null: the baseline extracted no canary"
      : `extractionRatio = ${policyExtracted}/${baseExtracted} extractions (pooled over seeds); perplexityIncrease = mean relative change over seeds`;
  return {
    summary: {
      extractionRatio,
      perplexityIncrease,
      policy: policy.name,
      baselineExtractionRate: baseline.extractionRate,
      curatedExtractionRate: policy.extractionRate,
      baselinePerplexity: baseline.validationPerplexity,
      curatedPerplexity: policy.validationPerplexity,
      hotspotJaccard,
      beatsBaselines,
      paperClaimHeld: held,
      note,
    },
    verdict: {
      policy: policy.name,
      comparisons,
      beatsBaselines,
      rule: BEAT_RULE,
      paperClaim: { claim: PAPER_CLAIM, held, prunePercent, extractionReduction, perplexityIncrease, perplexityChangeStd: noise.n > 1 ? noise.std : null, reasons },
      sentences,
    },
  };
}

/**
 * What the study's numbers say, in numbers and sentences, computed — never written by hand.
 *
 * Release-gate summary (libs/db evaluate-release-gate.ts reads the first two):
 *   extractionRatio    = Σ_seeds extracted(policy) ÷ Σ_seeds extracted(baseline)  (pooled over
 *                        seeds, i.e. the ratio of mean extraction rates; null when the baseline
 *                        extracted nothing — no reduction can be measured);
 *   perplexityIncrease = mean over seeds of (ppl(policy) − ppl(baseline)) ÷ ppl(baseline), at
 *                        equal epochs.
 *
 * "Beats another arm": lower mean exposure (rank estimator) over seeds and canaries — exposure
 * is the primary outcome, as it measures memorization below the all-or-nothing extraction
 * threshold. The difference is "resolved" when the 95 % two-level bootstrap interval of the
 * paired difference (same seed, same canary) excludes 0. Extraction is reported alongside.
 *
 * The study's bars for GenDataCarto's prune policy: it catches ≥ 85 % of canary copies, cuts
 * mean exposure by ≥ 40 %, beats the random and top-loss prunes; its perplexity cost is stated
 * at equal epochs and at equal optimizer steps. The paper's claim holds iff the policy prunes
 * 10 %, the baseline extracted at least one canary, the extraction reduction 1 − extractionRatio
 * is > 40 % and the perplexity increase (equal epochs, the paper's setting) is < 0.5 %.
 */
import { Rng } from "@gdc/model";
import type { ArmResult, ExposureChange, StudySummary, Verdict, VerdictChecks, VerdictComparison } from "./report-types.ts";
import type { SignalsTable } from "./signals.ts";
import { pairedBootstrap, type BootstrapOptions, type Interval, type PairedBootstrap } from "./stats.ts";

export const PAPER_CLAIM = "pruning 10 % of the data by memorization cuts canary extraction by over 40 % at under 0.5 % validation-perplexity cost";
export const BEAT_RULE =
  "lower mean exposure (rank estimator) over seeds and canaries; resolved when the 95 % bootstrap interval of the paired difference (same seed and canary; seeds, then canaries within seeds resampled) excludes 0; extraction rate is secondary";

const CAUGHT_BAR = 0.85;
const EXPOSURE_CUT_BAR = 0.4;

const pct = (x: number | null, digits = 1) => (x === null || !Number.isFinite(x) ? "n/a" : `${(x * 100).toFixed(digits)} %`);
const signedPct = (x: number | null, digits = 2) => (x === null || !Number.isFinite(x) ? "n/a" : `${x >= 0 ? "+" : "−"}${Math.abs(x * 100).toFixed(digits)} %`);
const bits = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "n/a");
const signedBits = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(2)}` : "n/a");
const interval = (i: Interval, f: (x: number) => string) => `95 % CI ${f(i.lo)} … ${f(i.hi)}`;

/** Paired bootstrap of two seeds × canaries exposure tables, seeded by `name` so a report is reproducible. */
export function compareExposures(
  a: readonly (readonly number[])[],
  b: readonly (readonly number[])[],
  name: string,
  options: BootstrapOptions = {},
): PairedBootstrap & { change: ExposureChange } {
  const r = pairedBootstrap(a, b, Rng.fromSeed(options.seed ?? 0, `exposure:${name}`), options);
  return {
    ...r,
    change: {
      difference: r.difference,
      differenceCI: r.differenceCI,
      relativeChange: r.relativeChange,
      relativeChangeCI: r.relativeChangeCI,
      resolved: r.differenceCI.lo > 0 || r.differenceCI.hi < 0,
    },
  };
}

const exposures = (a: ArmResult) => a.perSeed.map((s) => s.canaryExposures);

function emptySummary(baseline: ArmResult, hotspotJaccard: number | null, prunePercent: number | null): { summary: StudySummary; verdict: Verdict } {
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
      checks: null,
      beatsBaselines: null,
      rule: BEAT_RULE,
      paperClaim: {
        claim: PAPER_CLAIM,
        held: null,
        prunePercent,
        extractionReduction: null,
        perplexityIncrease: null,
        perplexityChangeStd: null,
        reasons: [note],
      },
      sentences: [note],
    },
  };
}

export function summarize(
  arms: readonly ArmResult[],
  policyName: string | null,
  hotspotJaccard: number | null,
  prunePercent: number | null,
  bootstrap: BootstrapOptions = {},
  signals: SignalsTable | null = null,
): { summary: StudySummary; verdict: Verdict } {
  const baseline = arms.find((a) => a.name === "baseline")!;
  const policy = arms.find((a) => a.name === policyName) ?? null;
  const baseExtracted = baseline.perSeed.reduce((n, s) => n + s.extracted, 0);
  if (!policy) return emptySummary(baseline, hotspotJaccard, prunePercent);
  const policyExtracted = policy.perSeed.reduce((n, s) => n + s.extracted, 0);
  const extractionRatio = baseExtracted === 0 ? null : policyExtracted / baseExtracted;
  const perplexityIncrease = policy.perplexityChange;
  const extractionReduction = extractionRatio === null ? null : 1 - extractionRatio;
  const equalStepsChange = (a: ArmResult) => a.equalSteps?.perplexityChange.mean ?? null;

  const comparisons: VerdictComparison[] = arms
    .filter((a) => a.kind === "comparison")
    .map((a) => {
      const c = compareExposures(exposures(policy), exposures(a), `${policy.name}:${a.name}`, bootstrap).change;
      return {
        policy: a.name,
        label: a.label,
        beaten: c.difference < 0,
        resolved: c.resolved,
        exposureDifference: c.difference,
        exposureDifferenceCI: c.differenceCI,
        extractionRate: a.extractionRate,
        meanExposureRank: a.meanExposureRank,
        perplexityChange: a.perplexityChange,
        perplexityChangeEqualSteps: equalStepsChange(a),
        pruned: a.perSeed.reduce((n, s) => n + s.pruned, 0) / Math.max(1, a.perSeed.length),
      };
    });
  const beatsBaselines = comparisons.length === 0 ? null : comparisons.every((c) => c.beaten);
  const random = comparisons.find((c) => c.policy === "random-prune");
  const loss = comparisons.find((c) => c.policy === "loss-prune");
  const change = policy.exposureChange ?? compareExposures(exposures(policy), exposures(baseline), `${policy.name}:baseline`, bootstrap).change;
  const checks: VerdictChecks = {
    caughtShare: policy.caughtShare,
    caughtAtLeast85: policy.caughtShare >= CAUGHT_BAR,
    exposureCut: -change.relativeChange,
    exposureCutCI: { lo: -change.relativeChangeCI.hi, hi: -change.relativeChangeCI.lo },
    exposureCutAtLeast40: -change.relativeChange >= EXPOSURE_CUT_BAR,
    beatsRandomAndLoss: random && loss ? random.beaten && loss.beaten : null,
    perplexityChangeEqualEpochs: policy.perplexityChange,
    perplexityChangeEqualSteps: equalStepsChange(policy),
  };

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
  const canaries = baseline.perSeed[0]?.canaries ?? 0;
  sentences.push(
    `Baseline: mean exposure ${bits(baseline.exposure.mean)} bits (${interval(baseline.exposure.ci, bits)}; ${canaries} canaries × ${seeds} seed${seeds === 1 ? "" : "s"}), ` +
      `${pct(baseline.extractionRate)} of canaries extracted (${baseExtracted} extractions), validation perplexity ${baseline.validationPerplexity.toFixed(3)}.`,
  );
  sentences.push(
    `${policy.label}: mean exposure ${bits(policy.exposure.mean)} bits, ${signedBits(change.difference)} bits vs the baseline (${interval(change.differenceCI, signedBits)}; ` +
      `${signedPct(change.relativeChange, 1)}, ${interval(change.relativeChangeCI, (x) => signedPct(x, 1))}); ` +
      `${pct(policy.extractionRate)} extracted (${policyExtracted} extractions; ` +
      (extractionRatio === null ? "extraction ratio undefined" : `extraction ratio ${extractionRatio.toFixed(3)}`) +
      `); it caught ${pct(policy.caughtShare)} of canary copies; validation perplexity ${signedPct(perplexityIncrease)} at equal epochs, ` +
      `${checks.perplexityChangeEqualSteps === null ? "not measured at equal steps" : `${signedPct(checks.perplexityChangeEqualSteps)} at equal optimizer steps`}.`,
  );
  sentences.push(`It ${checks.caughtAtLeast85 ? "caught" : "did NOT catch"} at least 85 % of canary copies (${pct(checks.caughtShare)}).`);
  sentences.push(
    `It ${checks.exposureCutAtLeast40 ? "cut" : "did NOT cut"} mean exposure by at least 40 % (cut ${pct(checks.exposureCut)}, ${interval(checks.exposureCutCI, (x) => pct(x))}).`,
  );
  for (const c of comparisons) {
    sentences.push(
      `${c.beaten ? "It BEAT" : "It did NOT beat"} ${c.label}: mean exposure ${bits(policy.meanExposureRank)} vs ${bits(c.meanExposureRank)} bits, paired difference ${signedBits(c.exposureDifference)} bits ` +
        `(${interval(c.exposureDifferenceCI, signedBits)}: ${c.resolved ? "resolved" : "NOT resolved"}); extraction ${pct(policy.extractionRate)} vs ${pct(c.extractionRate)}; ` +
        `it pruned ${Number(c.pruned.toFixed(1))} examples, perplexity ${signedPct(c.perplexityChange)} at equal epochs${c.perplexityChangeEqualSteps === null ? "" : `, ${signedPct(c.perplexityChangeEqualSteps)} at equal steps`}.`,
    );
  }
  if (checks.beatsRandomAndLoss !== null) {
    const resolved = random!.resolved && loss!.resolved;
    sentences.push(
      checks.beatsRandomAndLoss
        ? `It beat both the random and the top-loss prune on mean exposure${resolved ? ", both differences resolved" : "; not every difference is resolved by its interval"}.`
        : "It did NOT beat both the random and the top-loss prune on mean exposure.",
    );
  }
  if (beatsBaselines === true) sentences.push("GenDataCarto's prune policy beat every comparison arm in this study.");
  if (beatsBaselines === false) sentences.push("GenDataCarto's prune policy did NOT beat every comparison arm in this study.");
  sentences.push(
    held === true
      ? `The paper's claim (${PAPER_CLAIM}) HELD here (at equal epochs).`
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
  if (signals && signals.rows.length > 0) {
    const row = (key: string | null) => signals.rows.find((r) => r.key === key);
    const auc = row(signals.bestByAuc);
    const recall = row(signals.bestByRecall);
    if (auc && recall) {
      sentences.push(
        `Among the memorization signals, ${auc.key} ranked canary copies best (mean ROC-AUC ${auc.auc.mean.toFixed(3)}) and ${recall.key} put the most copies of canaries repeated ≥ 4 times in the top ${signals.topPercent} % ` +
          `(${pct(recall.recallAtLeast4.mean)}); this study's memorization was ${signals.configured}.`,
      );
    }
  }
  if (hotspotJaccard !== null) sentences.push(`The HOTSPOT_MEMORIZED set had a mean pairwise Jaccard similarity of ${hotspotJaccard.toFixed(3)} across seeds.`);

  const note =
    extractionRatio === null
      ? "extractionRatio is null: the baseline extracted no canary"
      : `extractionRatio = ${policyExtracted}/${baseExtracted} extractions (pooled over seeds); perplexityIncrease = mean relative change over seeds at equal epochs`;
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
      checks,
      beatsBaselines,
      rule: BEAT_RULE,
      paperClaim: {
        claim: PAPER_CLAIM,
        held,
        prunePercent,
        extractionReduction,
        perplexityIncrease,
        perplexityChangeStd: noise.n > 1 ? noise.std : null,
        reasons,
      },
      sentences,
    },
  };
}

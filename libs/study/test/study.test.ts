import { beforeAll, describe, expect, it } from "vitest";
import {
  bundledStudyCorpus,
  renderStudyReport,
  runInterventionStudy,
  type InterventionStudyOptions,
  type StudyReport,
  type StudyTrainingConfig,
} from "../src/index.ts";

// Small enough for CI: ~200 examples, a tiny transformer, 2 epochs.
const training: StudyTrainingConfig = {
  model: { architecture: "transformer", modelSize: 16, heads: 2, layers: 1, feedForwardSize: 32, maxPositions: 80 },
  epochs: 2,
  batchSize: 32,
  learningRate: 0.01,
  maxTokens: 66,
  clipNorm: 1,
};
const base: InterventionStudyOptions = {
  corpus: bundledStudyCorpus({ limit: 200 }),
  canaries: { seed: 11, repetitions: [1, 8], perLevel: 1 },
  training,
  references: 100,
  backend: ["wasm"],
};
const POLICIES = ["baseline", "gdc-prune-memorization", "gdc-downweight-hotspots", "gdc-prune-forget-frequency", "random-prune", "loss-prune", "dedup-exact"];
// Every arm but the down-weight one prunes, so each also retrains at the baseline's step count.
const PRUNE_ARMS = POLICIES.filter((p) => p !== "baseline" && p !== "gdc-downweight-hotspots");

describe("a quick intervention study", () => {
  let report: StudyReport;
  const phases: string[] = [];
  beforeAll(async () => {
    report = await runInterventionStudy({ ...base, seeds: [1, 2] }, (p) => {
      if (p.training === null) phases.push(`${p.phase}:${p.seed}:${p.arm}`);
    });
  }, 120_000);

  it("runs every policy for every seed, baseline first, prune arms also at equal steps, and reports progress per training", () => {
    expect(report.format).toBe("gdc-study-report-2");
    expect(report.policies.map((p) => p.name)).toEqual(POLICIES);
    for (const p of report.policies) expect(p.perSeed.map((s) => s.seed)).toEqual([1, 2]);
    const perSeed = POLICIES.length + PRUNE_ARMS.length;
    expect(report.timing.trainings).toBe(2 * perSeed);
    expect(report.timing.equalStepsTrainings).toBe(2 * PRUNE_ARMS.length);
    expect(phases.filter((p) => p.startsWith("train:"))).toHaveLength(2 * perSeed);
    expect(phases[0]).toBe("train:1:baseline");
    expect(phases).toContain("train:1:random-prune@equal-steps");
    // Equal-steps models are not audited by default.
    expect(phases).not.toContain("audit:1:random-prune@equal-steps");
  });

  it("has consistent numbers", () => {
    const baseline = report.policies[0]!;
    for (const s of baseline.perSeed) {
      expect(s.perplexityChange).toBe(0);
      expect(s.caughtShare).toBe(0);
      expect(s.pruned + s.downweighted).toBe(0);
    }
    const n = report.config.corpus.trainingExamples;
    for (const p of report.policies) {
      for (const s of p.perSeed) {
        expect(s.extractionRate).toBeGreaterThanOrEqual(0);
        expect(s.extractionRate).toBeLessThanOrEqual(1);
        expect(s.extractionRate).toBeCloseTo(s.extracted / s.canaries, 12);
        expect(s.caughtShare).toBeGreaterThanOrEqual(0);
        expect(s.caughtShare).toBeLessThanOrEqual(1);
        expect(s.caughtCanaryShare).toBeGreaterThanOrEqual(0);
        expect(s.caughtCanaryShare).toBeLessThanOrEqual(1);
        expect(s.validationPerplexity).toBeGreaterThan(1);
        const basePpl = baseline.perSeed.find((b) => b.seed === s.seed)!.validationPerplexity;
        expect(s.perplexityChange).toBeCloseTo((s.validationPerplexity - basePpl) / basePpl, 12);
        expect(s.trainedExamples).toBe(n - s.pruned);
      }
      expect(p.extractionRate).toBeCloseTo((p.perSeed[0]!.extractionRate + p.perSeed[1]!.extractionRate) / 2, 12);
      expect(p.spread.extractionRate.min).toBeLessThanOrEqual(p.spread.extractionRate.max);
    }
    for (const name of ["gdc-prune-memorization", "gdc-prune-forget-frequency", "random-prune", "loss-prune"]) {
      for (const s of report.policies.find((p) => p.name === name)!.perSeed) expect(s.pruned).toBe(Math.floor(n / 10));
    }
    // Exact-duplicate removal prunes all but one copy of the canary repeated 8 times (and any repeated passage).
    const texts = base.corpus!.filter((p) => p.split === "train").map((p) => p.text);
    const repeated = texts.length - new Set(texts).size;
    for (const s of report.policies.find((p) => p.name === "dedup-exact")!.perSeed) {
      expect(s.pruned).toBe(7 + repeated);
      expect(s.caughtShare).toBeCloseTo(7 / 9, 12);
    }
    // Exposures: one per canary, in report.canaries order; the means are theirs.
    expect(report.canaries.map((c) => c.repetitions)).toEqual([1, 8]);
    for (const p of report.policies) {
      for (const s of p.perSeed) {
        expect(s.canaryExposures).toHaveLength(2);
        expect(s.meanExposureRank).toBeCloseTo((s.canaryExposures[0]! + s.canaryExposures[1]!) / 2, 12);
      }
      const all = p.perSeed.flatMap((s) => s.canaryExposures);
      expect(p.exposure.mean).toBeCloseTo(all.reduce((a, b) => a + b, 0) / all.length, 12);
      expect(p.exposure.ci.lo).toBeLessThanOrEqual(p.exposure.mean + 1e-9);
      expect(p.exposure.ci.hi).toBeGreaterThanOrEqual(p.exposure.mean - 1e-9);
      if (p.name === "baseline") {
        expect(p.exposureChange).toBeNull();
        continue;
      }
      expect(p.exposureChange!.difference).toBeCloseTo(p.exposure.mean - baseline.exposure.mean, 12);
      expect(p.exposureChange!.resolved).toBe(p.exposureChange!.differenceCI.lo > 0 || p.exposureChange!.differenceCI.hi < 0);
    }
    // Equal steps: the baseline's step count, on the same curated data.
    const baseSteps = baseline.perSeed[0]!.steps;
    expect(report.config.training.baselineSteps).toBe(baseSteps);
    for (const p of report.policies) {
      if (!PRUNE_ARMS.includes(p.name)) {
        expect(p.equalSteps).toBeNull();
        continue;
      }
      for (const s of p.perSeed) {
        expect(s.steps).toBe(2 * Math.ceil(s.trainedExamples / 32));
        expect(s.steps).toBeLessThanOrEqual(baseSteps);
        // When pruning did not shorten the epoch by a whole batch, both schedules are one and the same.
        if (s.steps === baseSteps) expect(s.equalSteps!.validationPerplexity).toBe(s.validationPerplexity);
        expect(s.equalSteps!.steps).toBe(baseSteps);
        expect(s.equalSteps!.epochs).toBe(Math.ceil(baseSteps / Math.ceil(s.trainedExamples / 32)));
        const basePpl = baseline.perSeed.find((b) => b.seed === s.seed)!.validationPerplexity;
        expect(s.equalSteps!.perplexityChange).toBeCloseTo((s.equalSteps!.validationPerplexity - basePpl) / basePpl, 12);
        expect(s.equalSteps!.canaryExposures).toBeNull();
      }
      expect(p.equalSteps!.perplexityChange.mean).toBeCloseTo(
        (p.perSeed[0]!.equalSteps!.perplexityChange + p.perSeed[1]!.equalSteps!.perplexityChange) / 2,
        12,
      );
    }
    for (const j of [
      report.stability.hotspotJaccard,
      report.stability.topMemorizationJaccard,
      ...report.policies.flatMap((p) => (p.selectionJaccard ? [p.selectionJaccard] : [])),
    ]) {
      for (const v of [j.mean, j.min, j.max]) {
        if (v === null) continue;
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
    }
    expect(report.stability.topMemorizationJaccard.mean).not.toBeNull();
  });

  it("summarises for the release gate from the numbers", () => {
    const { summary } = report;
    const baseline = report.policies[0]!;
    const policy = report.policies.find((p) => p.name === summary.policy)!;
    expect(summary.policy).toBe("gdc-prune-memorization");
    expect(summary).toHaveProperty("extractionRatio");
    expect(typeof summary.perplexityIncrease).toBe("number");
    const baseExtracted = baseline.perSeed.reduce((a, s) => a + s.extracted, 0);
    const curatedExtracted = policy.perSeed.reduce((a, s) => a + s.extracted, 0);
    expect(summary.extractionRatio).toBe(baseExtracted === 0 ? null : curatedExtracted / baseExtracted);
    expect(summary.perplexityIncrease).toBeCloseTo(policy.perplexityChange, 12);
  });

  it("states a verdict that matches the numbers", () => {
    const { verdict, summary } = report;
    const policy = report.policies.find((p) => p.name === verdict.policy)!;
    for (const c of verdict.comparisons) {
      const other = report.policies.find((p) => p.name === c.policy)!;
      // Same seeds and canaries: the paired mean difference is the difference of the means.
      expect(c.exposureDifference).toBeCloseTo(policy.exposure.mean - other.exposure.mean, 12);
      const beaten = c.exposureDifference < 0;
      expect(c.beaten).toBe(beaten);
      expect(c.resolved).toBe(c.exposureDifferenceCI.lo > 0 || c.exposureDifferenceCI.hi < 0);
      expect(
        verdict.sentences.some(
          (s) => s.startsWith(beaten ? "It BEAT" : "It did NOT beat") && s.includes(other.label) && s.includes(c.resolved ? ": resolved" : "NOT resolved"),
        ),
      ).toBe(true);
    }
    expect(verdict.comparisons.map((c) => c.policy)).toEqual(["random-prune", "loss-prune", "dedup-exact"]);
    const checks = verdict.checks!;
    expect(checks.caughtAtLeast85).toBe(policy.caughtShare >= 0.85);
    expect(checks.exposureCut).toBeCloseTo(-policy.exposureChange!.relativeChange, 12);
    expect(checks.exposureCutAtLeast40).toBe(checks.exposureCut >= 0.4);
    expect(checks.beatsRandomAndLoss).toBe(verdict.comparisons[0]!.beaten && verdict.comparisons[1]!.beaten);
    expect(checks.perplexityChangeEqualSteps).toBeCloseTo(policy.equalSteps!.perplexityChange.mean, 12);
    expect(verdict.beatsBaselines).toBe(verdict.comparisons.every((c) => c.beaten));
    const claim = verdict.paperClaim;
    const expected = summary.extractionRatio === null ? null : 1 - summary.extractionRatio > 0.4 && summary.perplexityIncrease! < 0.005;
    expect(claim.held).toBe(expected);
    const word = expected === true ? "HELD here" : expected === false ? "did NOT hold here" : "could not be tested here";
    expect(verdict.sentences.filter((s) => s.startsWith("The paper's claim"))).toEqual([expect.stringContaining(word)]);
    expect(summary.paperClaimHeld).toBe(expected);
  });

  it("tabulates every memorization signal of the baselines' dynamics", () => {
    const t = report.signals!;
    const keys = t.rows.map((r) => r.key);
    for (const k of ["lossDrop", "relativeLossDrop", "excessLossDrop", "accuracyGain", "meanLoss", "forgetFrequency", "difficulty", "oneMinusConfidence"])
      expect(keys).toContain(k);
    expect(t.configured).toBe("excessLossDrop");
    expect(t.canaryCopies).toBe(9);
    for (const r of t.rows) {
      expect(r.perSeed.map((s) => s.seed)).toEqual([1, 2]);
      expect(r.recall.map((x) => x.repetitions)).toEqual([1, 8]);
      for (const s of r.perSeed) {
        expect(s.auc).toBeGreaterThanOrEqual(0);
        expect(s.auc).toBeLessThanOrEqual(1);
        for (const x of [...s.recall.map((y) => y.recall), s.recallAtLeast4, s.recallAll]) {
          expect(x).toBeGreaterThanOrEqual(0);
          expect(x).toBeLessThanOrEqual(1);
        }
        // Pooled recall weighs the levels by their copies (1 and 8).
        expect(s.recallAll).toBeCloseTo((s.recall[0]!.recall + 8 * s.recall[1]!.recall) / 9, 12);
        expect(s.recallAtLeast4).toBeCloseTo(s.recall[1]!.recall, 12);
      }
    }
    // The prune policy's catch is its signal's top 10 % (same ties rule aside): recall of memorization ≈ caught share.
    const prune = report.policies.find((p) => p.name === "gdc-prune-memorization")!;
    const drop = t.rows.find((r) => r.key === "lossDrop")!;
    expect(t.topPercent).toBe(10);
    expect(Math.abs(drop.recallAll.mean - prune.caughtShare)).toBeLessThanOrEqual(1 / 9 + 1e-9);
    expect(t.rows.filter((r) => r.candidate).map((r) => r.key)).toContain(t.bestByAuc);
  });

  it("renders a table, a Markdown report and SVG charts", () => {
    const rendered = renderStudyReport(report);
    for (const name of POLICIES) expect(rendered.table).toContain(name);
    for (const s of report.verdict.sentences) {
      expect(rendered.table).toContain(s);
      expect(rendered.markdown).toContain(s);
    }
    expect(rendered.charts.map((c) => c.file)).toEqual([
      "data-map.svg",
      "exposure-vs-perplexity.svg",
      "exposure-by-repetitions.svg",
      "extraction-vs-perplexity.svg",
      "extraction-by-repetitions.svg",
    ]);
    // The signals table, in both renderings.
    for (const row of report.signals!.rows) {
      expect(rendered.markdown).toContain(`| ${row.key} |`);
      expect(rendered.table).toContain(row.key);
    }
    for (const c of rendered.charts) {
      expect(c.svg.startsWith("<svg")).toBe(true);
      expect(rendered.markdown).toContain(`(./${c.file})`);
    }
    const inline = renderStudyReport(report, { images: "inline" });
    expect(inline.markdown).toContain("data:image/svg+xml;base64,");
    expect(inline.markdown).not.toContain("(./data-map.svg)");
    // The report is plain JSON (what the CLI writes and the worker stores).
    expect(JSON.parse(JSON.stringify(report)).summary).toEqual(report.summary);
  });
});

it("pruning 0 % reproduces the baseline exactly (same seed, same schedule)", async () => {
  const report = await runInterventionStudy({
    ...base,
    seeds: [5],
    policies: [{ name: "prune-none", label: "prune 0 %", kind: "gendatacarto", spec: { name: "pruneTopByMemorization", params: { percent: 0 } } }],
  });
  const [baseline, none] = report.policies.map((p) => p.perSeed[0]!);
  expect(none!.pruned).toBe(0);
  for (const key of ["extractionRate", "meanExposureRank", "meanExposureSkewNormal", "validationPerplexity"] as const) {
    expect(none![key]).toBe(baseline![key]);
  }
  expect(none!.perplexityChange).toBe(0);
  expect(report.summary.perplexityIncrease).toBe(0);
  expect(report.summary.extractionRatio).toBe(baseline!.extracted === 0 ? null : 1);
}, 60_000);

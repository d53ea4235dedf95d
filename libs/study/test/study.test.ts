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
const POLICIES = ["baseline", "gdc-prune-memorization", "gdc-downweight-hotspots", "random-prune", "loss-prune"];

describe("a quick intervention study", () => {
  let report: StudyReport;
  const phases: string[] = [];
  beforeAll(async () => {
    report = await runInterventionStudy({ ...base, seeds: [1, 2] }, (p) => {
      if (p.training === null) phases.push(`${p.phase}:${p.seed}:${p.arm}`);
    });
  }, 120_000);

  it("runs every policy for every seed, baseline first, and reports progress per training", () => {
    expect(report.policies.map((p) => p.name)).toEqual(POLICIES);
    for (const p of report.policies) expect(p.perSeed.map((s) => s.seed)).toEqual([1, 2]);
    expect(report.timing.trainings).toBe(10);
    expect(phases.filter((p) => p.startsWith("train:"))).toHaveLength(10);
    expect(phases[0]).toBe("train:1:baseline");
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
    for (const name of ["gdc-prune-memorization", "random-prune", "loss-prune"]) {
      for (const s of report.policies.find((p) => p.name === name)!.perSeed) expect(s.pruned).toBe(Math.floor(n / 10));
    }
    for (const j of [report.stability.hotspotJaccard, report.stability.topMemorizationJaccard, ...report.policies.flatMap((p) => (p.selectionJaccard ? [p.selectionJaccard] : []))]) {
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
      const beaten = policy.extractionRate < other.extractionRate || (policy.extractionRate === other.extractionRate && policy.meanExposureRank < other.meanExposureRank);
      expect(c.beaten).toBe(beaten);
      expect(verdict.sentences.some((s) => s.startsWith(beaten ? "It BEAT" : "It did NOT beat") && s.includes(other.label))).toBe(true);
    }
    expect(verdict.comparisons.map((c) => c.policy)).toEqual(["random-prune", "loss-prune"]);
    expect(verdict.beatsBaselines).toBe(verdict.comparisons.every((c) => c.beaten));
    const claim = verdict.paperClaim;
    const expected = summary.extractionRatio === null ? null : 1 - summary.extractionRatio > 0.4 && summary.perplexityIncrease! < 0.005;
    expect(claim.held).toBe(expected);
    const word = expected === true ? "HELD here" : expected === false ? "did NOT hold here" : "could not be tested here";
    expect(verdict.sentences.filter((s) => s.startsWith("The paper's claim"))).toEqual([expect.stringContaining(word)]);
    expect(summary.paperClaimHeld).toBe(expected);
  });

  it("renders a table, a Markdown report and SVG charts", () => {
    const rendered = renderStudyReport(report);
    for (const name of POLICIES) expect(rendered.table).toContain(name);
    for (const s of report.verdict.sentences) {
      expect(rendered.table).toContain(s);
      expect(rendered.markdown).toContain(s);
    }
    expect(rendered.charts.map((c) => c.file)).toEqual(["data-map.svg", "extraction-vs-perplexity.svg", "extraction-by-repetitions.svg"]);
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

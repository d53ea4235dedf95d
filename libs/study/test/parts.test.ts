import { describe, expect, it } from "vitest";
import { planEpochBatches, Rng } from "@gdc/model";
import {
  buildStudyData,
  forgetEventsOverPresentations,
  jaccard,
  pairwiseJaccard,
  parseCorpusJsonl,
  presentationPositions,
  referenceAlphabet,
  scoreBaseline,
  spreadOf,
  StudyInputError,
  summarize,
  type ArmResult,
  type ArmSeedResult,
} from "../src/index.ts";

describe("stats", () => {
  it("mean, sample std and range", () => {
    const s = spreadOf([1, 2, 3, 4]);
    expect(s.mean).toBe(2.5);
    expect(s.std).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect([s.min, s.max, s.n]).toEqual([1, 4, 4]);
    expect(spreadOf([7]).std).toBe(0);
  });

  it("Jaccard", () => {
    expect(jaccard(new Set(["a", "b"]), new Set(["b", "c"]))).toBeCloseTo(1 / 3, 12);
    expect(jaccard(new Set(), new Set())).toBeNull();
    const p = pairwiseJaccard([new Set(["a"]), new Set(["a"]), new Set(["b"])]);
    expect(p.mean).toBeCloseTo(1 / 3, 12);
    expect([p.min, p.max, p.pairs]).toEqual([0, 1, 3]);
    expect(pairwiseJaccard([new Set(["a"])]).mean).toBeNull();
  });
});

describe("corpus", () => {
  it("parses JSONL with defaults and canaries", () => {
    const corpus = parseCorpusJsonl(
      [
        JSON.stringify({ text: "call me ishmael" }),
        "",
        JSON.stringify({ id: "v1", text: "some years ago", split: "validation" }),
        JSON.stringify({ id: "c", text: "my pin is 123456", canary: { prefix: "my pin is ", secret: "123456", repetitions: 3 } }),
      ].join("\n"),
    );
    expect(corpus.map((p) => [p.id, p.split])).toEqual([
      ["line-1", "train"],
      ["v1", "validation"],
      ["c", "train"],
    ]);
    const data = buildStudyData(corpus, null);
    expect(data.examples.map((e) => e.id)).toEqual(["line-1", "c#0", "c#1", "c#2"]);
    expect(data.auditGroups[0]!.set.secretAlphabet).toBe("0123456789");
    expect(data.validationTexts).toEqual(["some years ago"]);
  });

  it("names the line and field that is wrong", () => {
    const bad = (text: string) => () => parseCorpusJsonl(text, "c.jsonl");
    expect(bad('{"text": "a"}\n{"txt": "b"}')).toThrow(/^c\.jsonl:2: txt: unknown field/);
    expect(bad('{"text": "a"}\nnot json')).toThrow(/^c\.jsonl:2: not valid JSON/);
    expect(bad('{"text": ""}')).toThrow(/c\.jsonl:1: text: must be a non-empty string/);
    expect(bad('{"text": "a", "split": "test"}')).toThrow(/split: must be "train" or "validation"/);
    expect(bad('{"text": "my pin is 1", "canary": {"prefix": "my pin is ", "secret": "2"}}\n{"text":"v","split":"validation"}')).toThrow(/text must equal prefix \+ secret/);
    expect(bad('{"text": "a"}')).toThrow(/no validation passages/);
    expect(bad('{"id": "x", "text": "a"}\n{"id": "x", "text": "b", "split": "validation"}')).toThrow(/duplicate/);
    expect(bad('{"text": "a"}')).toThrow(StudyInputError);
  });

  it("treats passages holding the same canary as copies of one canary", () => {
    const pin = (id: string, repetitions?: number) =>
      JSON.stringify({ id, text: "my pin is 123456", canary: { prefix: "my pin is ", secret: "123456", ...(repetitions ? { repetitions } : {}) } });
    const corpus = parseCorpusJsonl([pin("a"), pin("b"), pin("c", 2), '{"text": "x"}', '{"text": "y", "split": "validation"}'].join("\n"));
    const data = buildStudyData(corpus, null);
    expect(data.canaries).toHaveLength(1);
    expect(data.canaries[0]).toMatchObject({ id: "a", repetitions: 4 });
    expect(data.examples.filter((e) => e.canaryId === "a").map((e) => e.id)).toEqual(["a", "b", "c#0", "c#1"]);
  });

  it("needs canaries", () => {
    const corpus = parseCorpusJsonl('{"text": "a"}\n{"text": "b", "split": "validation"}');
    expect(() => buildStudyData(corpus, null)).toThrow(/needs canaries/);
    expect(buildStudyData(corpus, { seed: 1, repetitions: [2], perLevel: 1 }).examples).toHaveLength(3);
  });

  it("reference alphabets", () => {
    expect(referenceAlphabet(["123", "456"])).toBe("0123456789");
    expect(referenceAlphabet(["abc1", "zz99"])).toBe("abcdefghijklmnopqrstuvwxyz0123456789");
    expect(referenceAlphabet(["AB", "BA"])).toBe("AB");
  });
});

describe("forget events over presentations", () => {
  it("counts learned → not learned transitions in order", () => {
    const config = { learnedBy: "loss", epsilon: 1, epsilonSource: "absolute", tau: null, earlyEpochs: 1, epochs: 2, examples: 1 } as const;
    expect(forgetEventsOverPresentations([2, 0.5, 2, 0.5, 0.5, 2], [], config)).toEqual({ forgetEvents: 2, presentations: 6, neverLearned: false });
    expect(forgetEventsOverPresentations([2, 2], [], config).neverLearned).toBe(true);
    const byAcc = { ...config, learnedBy: "accuracy", epsilon: null, tau: 1 } as const;
    expect(forgetEventsOverPresentations([0, 0, 0], [1, 0.9, 1], byAcc).forgetEvents).toBe(1);
  });

  it("rebuilds the trainer's presentation order from the seed", () => {
    const weights = [1, 0, 1, 1, 1];
    const positions = presentationPositions(weights, 2, 2, 9);
    const rng = Rng.fromSeed(9, "shuffle");
    for (let t = 0; t < 2; t++) {
      const order = planEpochBatches(weights, 2, rng).flatMap((b) => Array.from(b));
      order.forEach((i, at) => expect(positions[i * 2 + t]).toBe(at));
      expect(positions[1 * 2 + t]).toBe(-1);
    }
  });

  it("gives copies of one text their joint score and leaves singletons as per-epoch", () => {
    // Examples a, b (two copies of one text) and c, over 2 epochs; ε = 1 absolute.
    const ids = ["a", "b", "c"];
    const texts = ["dup", "dup", "solo"];
    const loss = Float32Array.from([0.5, 2, /* b */ 0.5, 2, /* c */ 0.5, 2]);
    const acc = new Float32Array(6);
    const dynamics = { exampleCount: 3, epochs: 2, loss, acc, trained: Uint8Array.from([1, 1, 1]), source: "training-forward-pass" as const };
    const epoch = scoreBaseline(ids, texts, dynamics, { epsilon: 1 }, { batchSize: 3, seed: 4 });
    const pres = scoreBaseline(ids, texts, dynamics, { epsilon: 1, forgetEventsOver: "presentation" }, { batchSize: 3, seed: 4 });
    expect(Array.from(epoch.scores.forgetEvents)).toEqual([1, 1, 1]);
    // a and b are presented as (0.5, 0.5) in epoch 0 and (2, 2) in epoch 1: one forget event over 3 transitions.
    expect(Array.from(pres.scores.forgetEvents)).toEqual([1, 1, 1]);
    expect(pres.scores.memorization[0]).toBeCloseTo(1 / 3, 12);
    expect(pres.scores.memorization[1]).toBeCloseTo(1 / 3, 12);
    expect(pres.scores.memorization[2]).toBe(1);
    expect(pres.forgetEventsOver).toBe("presentation");
  });
});

function arm(name: string, kind: ArmResult["kind"], extracted: number[], ppl: number[], basePpl: number[], exposure = 5): ArmResult {
  const perSeed: ArmSeedResult[] = extracted.map((e, i) => ({
    seed: i + 1,
    extractionRate: e / 6,
    extracted: e,
    canaries: 6,
    meanExposureRank: exposure,
    meanExposureSkewNormal: exposure,
    validationPerplexity: ppl[i]!,
    perplexityChange: (ppl[i]! - basePpl[i]!) / basePpl[i]!,
    caughtShare: 0,
    caughtCanaryShare: 0,
    pruned: 0,
    downweighted: 0,
    trainedExamples: 100,
    byRepetitions: [],
    extractedCanaries: [],
    spec: null,
    trainingSeconds: 1,
  }));
  const m = (f: (s: ArmSeedResult) => number) => spreadOf(perSeed.map(f));
  const spread = {
    extractionRate: m((s) => s.extractionRate),
    meanExposureRank: m((s) => s.meanExposureRank),
    meanExposureSkewNormal: m((s) => s.meanExposureSkewNormal),
    validationPerplexity: m((s) => s.validationPerplexity),
    perplexityChange: m((s) => s.perplexityChange),
    caughtShare: m((s) => s.caughtShare),
    caughtCanaryShare: m((s) => s.caughtCanaryShare),
  };
  return {
    name,
    label: name,
    kind,
    spec: null,
    extractionRate: spread.extractionRate.mean,
    meanExposureRank: exposure,
    meanExposureSkewNormal: exposure,
    validationPerplexity: spread.validationPerplexity.mean,
    perplexityChange: spread.perplexityChange.mean,
    caughtShare: 0,
    caughtCanaryShare: 0,
    spread,
    byRepetitions: [],
    selectionJaccard: null,
    perSeed,
  };
}

describe("verdict", () => {
  const basePpl = [10, 10];
  const baseline = arm("baseline", "baseline", [2, 2], basePpl, basePpl);

  it("holds the paper's claim only with > 40 % fewer extractions and < 0.5 % perplexity rise at 10 %", () => {
    const good = arm("gdc-prune-memorization", "gendatacarto", [1, 1], [10.04, 10.04], basePpl);
    const random = arm("random-prune", "comparison", [2, 2], [10.1, 10.1], basePpl);
    const { summary, verdict } = summarize([baseline, good, random], "gdc-prune-memorization", 0.5, 10);
    expect(summary.extractionRatio).toBe(0.5);
    expect(summary.perplexityIncrease).toBeCloseTo(0.004, 12);
    expect(verdict.paperClaim.held).toBe(true);
    expect(verdict.beatsBaselines).toBe(true);
    expect(verdict.sentences.join("\n")).toContain("HELD here");

    const costly = arm("gdc-prune-memorization", "gendatacarto", [1, 1], [10.1, 10.1], basePpl);
    const v2 = summarize([baseline, costly, random], "gdc-prune-memorization", null, 10).verdict;
    expect(v2.paperClaim.held).toBe(false);
    expect(v2.paperClaim.reasons.join()).toMatch(/perplexity rose by \+1\.00 %/);

    const at20 = summarize([baseline, good, random], "gdc-prune-memorization", null, 20).verdict;
    expect(at20.paperClaim.held).toBe(false);
    expect(at20.paperClaim.reasons.join()).toMatch(/pruned 20 %/);
  });

  it("exactly 40 % fewer is not over 40 %", () => {
    const b5 = arm("baseline", "baseline", [5, 5], basePpl, basePpl);
    const p3 = arm("gdc-prune-memorization", "gendatacarto", [3, 3], basePpl, basePpl);
    expect(summarize([b5, p3], "gdc-prune-memorization", null, 10).verdict.paperClaim.held).toBe(false);
  });

  it("cannot test the claim when the baseline extracted nothing, and says so", () => {
    const zero = arm("baseline", "baseline", [0, 0], basePpl, basePpl);
    const p = arm("gdc-prune-memorization", "gendatacarto", [0, 0], basePpl, basePpl, 3);
    const loss = arm("loss-prune", "comparison", [0, 0], basePpl, basePpl, 4);
    const { summary, verdict } = summarize([zero, p, loss], "gdc-prune-memorization", null, 10);
    expect(summary.extractionRatio).toBeNull();
    expect(verdict.paperClaim.held).toBeNull();
    expect(verdict.sentences.join("\n")).toContain("could not be tested here");
    // Tie on extraction: the lower exposure wins.
    expect(verdict.comparisons[0]!.beaten).toBe(true);
  });

  it("says when a baseline policy did better", () => {
    const p = arm("gdc-prune-memorization", "gendatacarto", [2, 2], basePpl, basePpl);
    const random = arm("random-prune", "comparison", [1, 2], basePpl, basePpl);
    const { verdict } = summarize([baseline, p, random], "gdc-prune-memorization", null, 10);
    expect(verdict.beatsBaselines).toBe(false);
    expect(verdict.sentences.join("\n")).toContain("It did NOT beat random-prune");
    expect(verdict.sentences.join("\n")).toContain("did NOT beat every baseline policy");
  });
});

it("warns when single seeds fall on both sides of the claim's perplexity margin", () => {
  const basePpl = [10, 10, 10];
  const baseline = arm("baseline", "baseline", [2, 2, 2], basePpl, basePpl);
  const noisy = arm("gdc-prune-memorization", "gendatacarto", [0, 0, 0], [10.3, 9.9, 9.7], basePpl);
  const { verdict } = summarize([baseline, noisy], "gdc-prune-memorization", null, 10);
  expect(verdict.paperClaim.held).toBe(true);
  expect(verdict.paperClaim.perplexityChangeStd).toBeCloseTo(0.0305505, 6);
  expect(verdict.sentences.join("\n")).toMatch(/Caution: the perplexity change varied across seeds \(−3\.00 % … \+3\.00 %/);
  const steady = arm("gdc-prune-memorization", "gendatacarto", [0, 0, 0], [10.01, 10.01, 10.01], basePpl);
  expect(summarize([baseline, steady], "gdc-prune-memorization", null, 10).verdict.sentences.join("\n")).not.toContain("Caution");
  // Noisy but every seed over the margin: the claim clearly failed on perplexity.
  const costly = arm("gdc-prune-memorization", "gendatacarto", [0, 0, 0], [10.2, 10.6, 10.4], basePpl);
  expect(summarize([baseline, costly], "gdc-prune-memorization", null, 10).verdict.sentences.join("\n")).not.toContain("Caution");
});

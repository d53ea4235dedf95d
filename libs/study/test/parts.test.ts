import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planEpochBatches, Rng } from "@gdc/model";
import {
  bundledStudyCorpus,
  DEFAULT_STUDY_CORPUS,
  buildStudyData,
  duplicateCopies,
  pairedBootstrap,
  rocAuc,
  SignalsAccumulator,
  topRecall,
  topShare,
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
    expect(bad('{"text": "my pin is 1", "canary": {"prefix": "my pin is ", "secret": "2"}}\n{"text":"v","split":"validation"}')).toThrow(
      /text must equal prefix \+ secret/,
    );
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
    const config = {
      learnedBy: "loss",
      learnedBySource: "configured",
      memorizationSignal: "forgetFrequency",
      memorizationSignalSource: "configured",
      epsilon: 1,
      epsilonSource: "absolute",
      tau: null,
      earlyEpochs: 1,
      lateEpochs: 1,
      epochs: 2,
      examples: 1,
    } as const;
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
    const epoch = scoreBaseline(ids, texts, dynamics, { epsilon: 1, memorizationSignal: "forgetFrequency" }, { batchSize: 3, seed: 4 });
    const pres = scoreBaseline(
      ids,
      texts,
      dynamics,
      { epsilon: 1, memorizationSignal: "forgetFrequency", forgetEventsOver: "presentation" },
      { batchSize: 3, seed: 4 },
    );
    expect(Array.from(epoch.scores.forgetEvents)).toEqual([1, 1, 1]);
    // a and b are presented as (0.5, 0.5) in epoch 0 and (2, 2) in epoch 1: one forget event over 3 transitions.
    expect(Array.from(pres.scores.forgetEvents)).toEqual([1, 1, 1]);
    expect(pres.scores.memorization[0]).toBeCloseTo(1 / 3, 12);
    expect(pres.scores.memorization[1]).toBeCloseTo(1 / 3, 12);
    expect(pres.scores.memorization[2]).toBe(1);
    expect(pres.forgetEventsOver).toBe("presentation");
    // Per presentation changes forget counts only: another memorization signal keeps its per-epoch values.
    const drop = scoreBaseline(
      ids,
      texts,
      dynamics,
      { epsilon: 1, memorizationSignal: "lossDrop", forgetEventsOver: "presentation" },
      { batchSize: 3, seed: 4 },
    );
    expect(drop.scores.config.memorizationSignal).toBe("lossDrop");
    expect(Array.from(drop.scores.memorization)).toEqual([-1.5, -1.5, -1.5]);
    expect(drop.scores.forgetFrequency[0]).toBeCloseTo(1 / 3, 12);
  });
});

function arm(
  name: string,
  kind: ArmResult["kind"],
  extracted: number[],
  ppl: number[],
  basePpl: number[],
  exposure: number | number[][] = 5,
  caught = 0,
): ArmResult {
  // Per seed, 6 canaries' exposures: a constant, or a table.
  const table = typeof exposure === "number" ? extracted.map(() => Array.from({ length: 6 }, () => exposure)) : exposure;
  const perSeed: ArmSeedResult[] = extracted.map((e, i) => ({
    seed: i + 1,
    extractionRate: e / 6,
    extracted: e,
    canaries: 6,
    meanExposureRank: table[i]!.reduce((a, b) => a + b, 0) / table[i]!.length,
    meanExposureSkewNormal: 0,
    validationPerplexity: ppl[i]!,
    perplexityChange: (ppl[i]! - basePpl[i]!) / basePpl[i]!,
    caughtShare: caught,
    caughtCanaryShare: 0,
    pruned: 0,
    downweighted: 0,
    trainedExamples: 100,
    byRepetitions: [],
    extractedCanaries: [],
    canaryExposures: table[i]!,
    spec: null,
    steps: 10,
    trainingSeconds: 1,
    equalSteps: null,
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
  const all = table.flat();
  const meanExposure = all.reduce((a, b) => a + b, 0) / all.length;
  return {
    name,
    label: name,
    kind,
    spec: null,
    extractionRate: spread.extractionRate.mean,
    meanExposureRank: meanExposure,
    meanExposureSkewNormal: 0,
    validationPerplexity: spread.validationPerplexity.mean,
    perplexityChange: spread.perplexityChange.mean,
    caughtShare: caught,
    caughtCanaryShare: 0,
    spread,
    byRepetitions: [],
    selectionJaccard: null,
    exposure: { mean: meanExposure, ci: { lo: meanExposure, hi: meanExposure } },
    // Filled by withChange once the baseline is known.
    exposureChange: null,
    equalSteps: null,
    perSeed,
  };
}

describe("verdict", () => {
  const basePpl = [10, 10];
  const baseline = arm("baseline", "baseline", [2, 2], basePpl, basePpl, 10);

  it("holds the paper's claim only with > 40 % fewer extractions and < 0.5 % perplexity rise at 10 %", () => {
    const good = arm("gdc-prune-memorization", "gendatacarto", [1, 1], [10.04, 10.04], basePpl, 3);
    const random = arm("random-prune", "comparison", [2, 2], [10.1, 10.1], basePpl, 9);
    const { summary, verdict } = summarize([baseline, good, random], "gdc-prune-memorization", 0.5, 10);
    expect(summary.extractionRatio).toBe(0.5);
    expect(summary.perplexityIncrease).toBeCloseTo(0.004, 12);
    expect(verdict.paperClaim.held).toBe(true);
    expect(verdict.beatsBaselines).toBe(true);
    expect(verdict.sentences.join("\n")).toContain("HELD here");

    const costly = arm("gdc-prune-memorization", "gendatacarto", [1, 1], [10.1, 10.1], basePpl, 3);
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

  it("cannot test the claim when the baseline extracted nothing, and says so; exposure still decides who beat whom", () => {
    const zero = arm("baseline", "baseline", [0, 0], basePpl, basePpl);
    const p = arm("gdc-prune-memorization", "gendatacarto", [0, 0], basePpl, basePpl, 3);
    const loss = arm("loss-prune", "comparison", [0, 0], basePpl, basePpl, 4);
    const { summary, verdict } = summarize([zero, p, loss], "gdc-prune-memorization", null, 10);
    expect(summary.extractionRatio).toBeNull();
    expect(verdict.paperClaim.held).toBeNull();
    expect(verdict.sentences.join("\n")).toContain("could not be tested here");
    expect(verdict.comparisons[0]).toMatchObject({ beaten: true, resolved: true, exposureDifference: -1, exposureDifferenceCI: { lo: -1, hi: -1 } });
  });

  it("beat = lower mean exposure, whatever the extraction; says when a comparison arm did better", () => {
    // The policy extracts less but has the higher exposure: it did not beat random.
    const p = arm("gdc-prune-memorization", "gendatacarto", [0, 0], basePpl, basePpl, 5);
    const random = arm("random-prune", "comparison", [1, 2], basePpl, basePpl, 4);
    const { verdict } = summarize([baseline, p, random], "gdc-prune-memorization", null, 10);
    expect(verdict.comparisons[0]).toMatchObject({ beaten: false, resolved: true });
    expect(verdict.beatsBaselines).toBe(false);
    expect(verdict.sentences.join("\n")).toContain("It did NOT beat random-prune");
    expect(verdict.sentences.join("\n")).toContain("did NOT beat every comparison arm");
  });

  it("says when the exposure difference is not resolved by its interval", () => {
    // Exposures of 1 or 9 (mean 59/12) against 5.25: per-canary differences of about ±4 that average −1/3: lower, but the interval spans 0.
    const table = [
      [1, 9, 1, 9, 1, 9],
      [9, 1, 9, 1, 9, 0],
    ];
    const p = arm("gdc-prune-memorization", "gendatacarto", [0, 0], basePpl, basePpl, table);
    const loss = arm("loss-prune", "comparison", [0, 0], basePpl, basePpl, 5.25);
    const { verdict } = summarize([baseline, p, loss], "gdc-prune-memorization", null, 10);
    const c = verdict.comparisons[0]!;
    expect(c.beaten).toBe(true);
    expect(c.exposureDifference).toBeCloseTo(59 / 12 - 5.25, 12);
    expect(c.exposureDifferenceCI.lo).toBeLessThan(0);
    expect(c.exposureDifferenceCI.hi).toBeGreaterThan(0);
    expect(c.resolved).toBe(false);
    expect(verdict.sentences.join("\n")).toMatch(/It BEAT loss-prune: .*NOT resolved/);
  });

  it("states the caught and exposure-cut bars from the numbers", () => {
    const half = arm("gdc-prune-memorization", "gendatacarto", [1, 1], basePpl, basePpl, 5, 0.9);
    const v = summarize([baseline, half], "gdc-prune-memorization", null, 10).verdict;
    expect(v.checks).toMatchObject({
      caughtShare: 0.9,
      caughtAtLeast85: true,
      exposureCutAtLeast40: true,
      beatsRandomAndLoss: null,
      perplexityChangeEqualSteps: null,
    });
    expect(v.checks!.exposureCut).toBeCloseTo(0.5, 12);
    expect(v.sentences).toContain("It caught at least 85 % of canary copies (90.0 %).");
    expect(v.sentences.join("\n")).toMatch(/It cut mean exposure by at least 40 % \(cut 50\.0 %/);
    const weak = arm("gdc-prune-memorization", "gendatacarto", [1, 1], basePpl, basePpl, 7, 0.5);
    const w = summarize([baseline, weak], "gdc-prune-memorization", null, 10).verdict;
    expect(w.checks).toMatchObject({ caughtAtLeast85: false, exposureCutAtLeast40: false });
    expect(w.sentences.join("\n")).toContain("It did NOT catch at least 85 % of canary copies (50.0 %).");
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

describe("ROC-AUC and top-k recall", () => {
  it("AUC on hand-computed cases, ties counted half", () => {
    // Pairs (positive, negative): (.9,.8) 1, (.9,.1) 1, (.7,.8) 0, (.7,.1) 1 → 3/4.
    expect(rocAuc([0.9, 0.8, 0.7, 0.1], [true, false, true, false])).toBe(0.75);
    // (1 vs 1) ½, (1 vs 0) 1 → 3/4.
    expect(rocAuc([1, 1, 0], [true, false, false])).toBe(0.75);
    expect(rocAuc([3, 2, 1], [true, true, false])).toBe(1);
    expect(rocAuc([3, 2, 1], [false, false, true])).toBe(0);
    expect(rocAuc([2, 2, 2, 2], [true, false, true, false])).toBe(0.5);
    expect(rocAuc([1, 2], [true, true])).toBeNaN();
    expect(rocAuc([1, 2], [false, false])).toBeNaN();
  });

  it("AUC of −score is 1 − AUC; AUC is invariant under strictly increasing transforms", () => {
    const cases = fc
      .array(fc.tuple(fc.integer({ min: -1000, max: 1000 }), fc.boolean()), { minLength: 2, maxLength: 60 })
      .filter((xs) => xs.some(([, p]) => p) && xs.some(([, p]) => !p));
    fc.assert(
      fc.property(cases, (xs) => {
        const score = xs.map(([s]) => s);
        const positive = xs.map(([, p]) => p);
        const auc = rocAuc(score, positive);
        expect(auc).toBeGreaterThanOrEqual(0);
        expect(auc).toBeLessThanOrEqual(1);
        expect(
          rocAuc(
            score.map((s) => -s),
            positive,
          ),
        ).toBeCloseTo(1 - auc, 12);
        expect(
          rocAuc(
            score.map((s) => s ** 3 + 5 * s),
            positive,
          ),
        ).toBe(auc);
        // The definition: P(positive > negative) + ½ P(tie), over all pairs.
        let sum = 0;
        let pairs = 0;
        for (let i = 0; i < xs.length; i++) {
          for (let j = 0; j < xs.length; j++) {
            if (!positive[i] || positive[j]) continue;
            sum += score[i]! > score[j]! ? 1 : score[i] === score[j] ? 0.5 : 0;
            pairs++;
          }
        }
        expect(auc).toBeCloseTo(sum / pairs, 12);
      }),
    );
  });

  it("top-k recall breaks ties at random (expected value)", () => {
    // Top 2 of [5, 4, 4, 4, 1]: index 0 surely, one of the three 4s (⅓ each).
    expect(Array.from(topShare([5, 4, 4, 4, 1], 2))).toEqual([1, 1 / 3, 1 / 3, 1 / 3, 0]);
    expect(topRecall([5, 4, 4, 4, 1], [0], 2)).toBe(1);
    expect(topRecall([5, 4, 4, 4, 1], [1], 2)).toBeCloseTo(1 / 3, 12);
    expect(topRecall([5, 4, 4, 4, 1], [1, 4], 2)).toBeCloseTo(1 / 6, 12);
    expect(topRecall([5, 4, 4, 4, 1], [], 2)).toBeNaN();
    expect(Array.from(topShare([1, 2], 0))).toEqual([0, 0]);
    expect(Array.from(topShare([1, 2], 5))).toEqual([1, 1]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 40 }), fc.nat(50), (score, k) => {
        const share = topShare(score, k);
        expect(share.reduce((a, b) => a + b, 0)).toBeCloseTo(Math.min(k, score.length), 9);
        // Higher scores never get a smaller share.
        for (let i = 0; i < score.length; i++)
          for (let j = 0; j < score.length; j++) if (score[i]! > score[j]!) expect(share[i]!).toBeGreaterThanOrEqual(share[j]!);
      }),
    );
  });
});

describe("paired two-level bootstrap", () => {
  it("percentile intervals of hand-computable resamples; reproducible from its seed", () => {
    // Two seeds of one canary each: resampled means of a − b are 1, 2 or 3 with chances ¼, ½, ¼.
    const r = pairedBootstrap([[1], [3]], [[0], [0]], Rng.fromSeed(0, "t"));
    expect(r.difference).toBe(2);
    expect(r.differenceCI).toEqual({ lo: 1, hi: 3 });
    expect(pairedBootstrap([[1], [3]], [[0], [0]], Rng.fromSeed(0, "t"))).toEqual(r);
    // A constant paired difference has a degenerate interval, whatever the cells.
    const c = pairedBootstrap(
      [
        [5, 7, 9],
        [2, 4],
      ],
      [
        [4, 6, 8],
        [1, 3],
      ],
      Rng.fromSeed(1, "t"),
      { resamples: 200 },
    );
    expect(c.differenceCI.lo).toBeCloseTo(1, 12);
    expect(c.differenceCI.hi).toBeCloseTo(1, 12);
    expect(c.relativeChange).toBeCloseTo(1 / 4.4, 12);
    expect(() => pairedBootstrap([[1, 2]], [[1]], Rng.fromSeed(0, "t"))).toThrow(/same shape/);
  });
});

describe("signals table", () => {
  it("ranks canary copies whose loss drops, per signal, with recall per level and stability", () => {
    // 10 examples × 4 epochs; examples 8 and 9 are copies of a canary repeated 2 times whose loss
    // falls from 4 to 0.5; the others hover around 2.
    const ids = Array.from({ length: 10 }, (_, i) => `e${i}`);
    const loss = new Float32Array(40);
    const acc = new Float32Array(40);
    for (let i = 0; i < 10; i++) {
      for (let t = 0; t < 4; t++) {
        loss[i * 4 + t] = i >= 8 ? 4 - t * 1.2 : 2 + 0.1 * ((i + t) % 3) + 0.01 * i;
        acc[i * 4 + t] = i >= 8 ? t / 4 : 0.3;
      }
    }
    const dynamics = { exampleCount: 10, epochs: 4, loss, acc, trained: new Uint8Array(10).fill(1), source: "training-forward-pass" as const };
    const signals = new SignalsAccumulator(20);
    const reps = ids.map((_, i) => (i >= 8 ? 2 : null));
    signals.add(1, ids, dynamics, {}, reps);
    signals.add(2, ids, dynamics, {}, reps);
    const t = signals.table();
    expect(t.rows.map((r) => r.key)).toEqual(
      [
        "lossDrop",
        "relativeLossDrop",
        "excessLossDrop",
        "accuracyGain",
        "meanLoss",
        "forgetFrequency",
        "forgetFrequency:accuracy",
        "difficulty",
        "oneMinusConfidence",
      ].filter((k) => t.rows.some((r) => r.key === k)),
    );
    const drop = t.rows.find((r) => r.key === "lossDrop")!;
    expect(drop.auc.mean).toBe(1);
    // Top 20 % = 2 examples: both copies.
    expect(drop.recall).toEqual([{ repetitions: 2, recall: expect.objectContaining({ mean: 1 }) }]);
    expect(drop.recallAtLeast4.n).toBe(0);
    expect(drop.recallAll.mean).toBe(1);
    expect(drop.topJaccard.mean).toBe(1);
    expect(t.bestByAuc).toBe("lossDrop");
    expect([t.examples, t.canaryCopies, t.topPercent, t.configured]).toEqual([10, 2, 20, "excessLossDrop"]);
  });
});

describe("exact-duplicate removal and the bundled corpora", () => {
  it("keeps the first copy of every repeated text", () => {
    expect(duplicateCopies(["a", "b", "a", "a", "c", "b"])).toEqual([2, 3, 5]);
    expect(duplicateCopies(["a", "b"])).toEqual([]);
  });

  it("builds the State of the Union corpus like the Moby-Dick one: short passages, deterministic", () => {
    const sotu = bundledStudyCorpus({ name: "sotu" });
    const n = DEFAULT_STUDY_CORPUS.limit;
    expect(sotu).toHaveLength(n);
    expect(bundledStudyCorpus({ name: "sotu" })).toEqual(sotu);
    expect(new Set(sotu.map((p) => p.id)).size).toBe(n);
    for (const p of sotu) {
      expect(p.id).toMatch(/^sotu\/\d{4}-[a-z-]+\/p\d{3,}$/);
      expect(p.text.length).toBeLessThanOrEqual(64);
    }
    const validation = sotu.filter((p) => p.split === "validation").length;
    // About one passage in ten is held out.
    expect(validation).toBeGreaterThan(0.05 * n);
    expect(validation).toBeLessThan(0.15 * n);
    expect(bundledStudyCorpus()[0]!.id).toMatch(/^moby-dick\//);
  });
});

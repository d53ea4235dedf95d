import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  applyPolicy,
  assignQuadrants,
  ConfigError,
  downweightQuadrant,
  parsePolicySpec,
  pruneQuadrant,
  pruneRandom,
  pruneTopByLoss,
  pruneTopByMemorization,
  type PolicyInput,
  type PolicySpec,
} from "../src/index.ts";

function input(difficulty: number[], memorization: number[], runId?: string): PolicyInput {
  const scores = {
    difficulty: Float64Array.from(difficulty),
    memorization: Float64Array.from(memorization),
    forgetEvents: Int32Array.from(memorization.map((m) => Math.round(m * 4))),
  };
  const base: PolicyInput = {
    ids: difficulty.map((_, i) => `ex${i}`),
    scores,
    quadrants: assignQuadrants(scores, { qDifficulty: 0.5, qMemorization: 0.5 }),
  };
  if (runId !== undefined) base.runId = runId;
  return base;
}

// ex0 … ex9: memorization ties at 0.5 (ex1, ex4, ex7) broken by difficulty, then input order.
const example = input([1, 2, 3, 4, 2, 6, 7, 2, 9, 10], [0, 0.5, 0.25, 1, 0.5, 0, 0.75, 0.5, 0, 0.25], "run-42");
const ids = (proposals: { exampleId: string }[]) => proposals.map((p) => p.exampleId);

describe("intervention policies", () => {
  it("prunes the top x % by memorization, ties to the harder example, then input order", () => {
    expect(ids(pruneTopByMemorization(example, 50))).toEqual(["ex3", "ex6", "ex1", "ex4", "ex7"]);
    expect(ids(pruneTopByMemorization(example, 10))).toEqual(["ex3"]);
    expect(ids(pruneTopByMemorization(example, 19.99))).toEqual(["ex3"]); // floor(1.999)
    expect(pruneTopByMemorization(example, 100)).toHaveLength(10);
  });

  it("each proposal carries action, weight, the policy and its evidence", () => {
    const [first] = pruneTopByMemorization(example, 10);
    expect(first).toEqual({
      exampleId: "ex3",
      action: "PRUNE",
      weight: 0,
      policy: { name: "pruneTopByMemorization", params: { percent: 10 } },
      evidence: {
        difficulty: 4,
        memorization: 1,
        quadrant: "HOTSPOT_MEMORIZED", // θ_d = sorted difficulty[4] = 3 < 4
        forgetEvents: 4,
        thresholds: example.quadrants.thresholds,
        runId: "run-42",
      },
    });
    const withoutRun = pruneTopByMemorization({ ...example, runId: undefined } as PolicyInput, 10)[0]!;
    expect("runId" in withoutRun.evidence).toBe(false);
  });

  it("baseline: prunes the top x % by difficulty (early-epoch mean loss)", () => {
    expect(ids(pruneTopByLoss(example, 30))).toEqual(["ex9", "ex8", "ex6"]);
    // Ties in difficulty go by input order.
    expect(ids(pruneTopByLoss(input([1, 1, 1], [0, 0, 0]), 67))).toEqual(["ex0", "ex1"]);
  });

  it("baseline: prunes a seeded random x %, reproducibly, in input order", () => {
    const a = pruneRandom(example, 40, 7);
    expect(a).toHaveLength(4);
    expect(ids(pruneRandom(example, 40, 7))).toEqual(ids(a));
    const order = ids(a).map((id) => Number(id.slice(2)));
    expect([...order].sort((x, y) => x - y)).toEqual(order);
    expect(new Set(order).size).toBe(4);
    const draws = new Set(Array.from({ length: 20 }, (_, seed) => ids(pruneRandom(example, 40, seed)).join()));
    expect(draws.size).toBeGreaterThan(10);
  });

  it("prunes or down-weights a whole quadrant", () => {
    const q = example.quadrants;
    const hotspots = pruneQuadrant(example, "HOTSPOT_MEMORIZED");
    expect(hotspots).toHaveLength(q.counts.HOTSPOT_MEMORIZED);
    expect(hotspots.every((p) => p.evidence.quadrant === "HOTSPOT_MEMORIZED" && p.action === "PRUNE" && p.weight === 0)).toBe(true);
    const down = downweightQuadrant(example, "NOISY_OUTLIER", 0.5);
    expect(down.map((p) => [p.exampleId, p.action, p.weight])).toEqual(ids(pruneQuadrant(example, "NOISY_OUTLIER")).map((id) => [id, "DOWNWEIGHT", 0.5]));
    expect(() => downweightQuadrant(example, "NOISY_OUTLIER", 0)).toThrow(ConfigError);
    expect(() => downweightQuadrant(example, "NOISY_OUTLIER", 1)).toThrow(/policy.params.weight/);
  });

  it("re-runs a policy stored as JSON", () => {
    const stored = JSON.parse(JSON.stringify({ name: "pruneTopByMemorization", params: { percent: 20 } })) as PolicySpec;
    const again = applyPolicy(stored, example.scores, example.quadrants, example.ids, { runId: "run-42" });
    expect(again).toEqual(pruneTopByMemorization(example, 20));
  });

  it("validates specs and names the bad field", () => {
    expect(parsePolicySpec({ name: "pruneRandom", params: { percent: 5, seed: 1 } })).toEqual({ name: "pruneRandom", params: { percent: 5, seed: 1 } });
    expect(() => parsePolicySpec({ name: "pruneEverything", params: {} })).toThrow(ConfigError);
    expect(() => parsePolicySpec({ name: "pruneTopByLoss", params: { percent: 101 } })).toThrow(/policy.params.percent/);
    expect(() => parsePolicySpec({ name: "pruneRandom", params: { percent: 5 } })).toThrow(/policy.params.seed/);
    expect(() => parsePolicySpec({ name: "pruneRandom", params: { percent: 5, seed: 1.5 } })).toThrow(/seed/);
    expect(() => parsePolicySpec({ name: "pruneQuadrant", params: { quadrant: "EASY" } })).toThrow(/policy.params.quadrant/);
    expect(() => parsePolicySpec({ name: "pruneTopByLoss", params: { percent: 5, extra: 1 } })).toThrow(ConfigError);
    expect(() => applyPolicy({ name: "pruneTopByLoss", params: { percent: 5 } }, example.scores, example.quadrants, ["too", "few"])).toThrow(/2 ids/);
  });

  it("pruning 0 % proposes nothing, for any scores and any percent-based policy", () => {
    const scores = fc
      .integer({ min: 1, max: 40 })
      .chain((n) =>
        fc.tuple(
          fc.array(fc.double({ min: 0, max: 5, noNaN: true }), { minLength: n, maxLength: n }),
          fc.array(fc.constantFrom(0, 0.25, 0.5, 1), { minLength: n, maxLength: n }),
          fc.nat(),
        ),
      );
    fc.assert(
      fc.property(scores, ([d, m, seed]) => {
        const x = input(d, m);
        expect(pruneTopByMemorization(x, 0)).toEqual([]);
        expect(pruneTopByLoss(x, 0)).toEqual([]);
        expect(pruneRandom(x, 0, seed)).toEqual([]);
        // And x % never proposes more than floor(x % · N) or an example twice.
        const ten = pruneTopByMemorization(x, 10);
        expect(ten.length).toBe(Math.floor(d.length / 10));
        expect(new Set(ids(ten)).size).toBe(ten.length);
      }),
      { numRuns: 200 },
    );
  });
});

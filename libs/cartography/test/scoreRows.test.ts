import { describe, expect, it } from "vitest";
import { assignQuadrants, computeScores, csvField, SCORE_CSV_COLUMNS, scoreCsvLines, scoreRows } from "../src/index.ts";
import { matrix } from "./reference.ts";

describe("score rows", () => {
  const dyn = matrix({ 'say "hi", ok': { loss: [0.5, 2], acc: [1, 0] }, plain: { loss: [2, 2], acc: [0, 0] } });
  const scores = computeScores(dyn, { epsilon: 1 });
  const quadrants = assignQuadrants(scores);

  it("has exactly the documented CSV header", () => {
    expect(SCORE_CSV_COLUMNS.join(",")).toBe(
      "id,difficulty,memorization,forget_frequency,loss_drop,relative_loss_drop,excess_loss_drop,accuracy_gain,mean_loss,forget_events,never_learned,confidence,variability,correctness,quadrant",
    );
  });

  it("writes one CSV line per example in input order, quoting ids only when needed", () => {
    const lines = [...scoreCsvLines(dyn.ids, scores, quadrants)];
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(`${SCORE_CSV_COLUMNS.join(",")}\n`);
    // T = 2, Te = Tl = 1. 'say "hi", ok': memorization = lossDrop 0.5 − 2 = −1.5, forget
    // frequency 1, relative drop 1 − 2 / 0.5 = −3, accuracy gain 0 − 1 = −1, mean loss 1.25.
    // Excess drop: two examples lie on their own least-squares line, so both are 0 (to rounding).
    const [x0, x1] = scores.excessLossDrop;
    expect(Math.abs(x0!) + Math.abs(x1!)).toBeLessThan(1e-12);
    expect(lines[1]).toBe(`"say ""hi"", ok",0.5,-1.5,1,-1.5,-3,${x0},-1,1.25,1,false,${scores.confidence[0]},${scores.variability[0]},0.5,STABLE_EASY\n`);
    expect(lines[2]).toBe(`plain,2,0,0,0,0,${x1},0,2,0,true,${Math.exp(-2)},0,0,AMBIGUOUS_HARD\n`);
    expect(csvField("a\nb")).toBe('"a\nb"');
  });

  it("gives plain objects for JSON", () => {
    expect([...scoreRows(dyn.ids, scores, quadrants)][1]).toEqual({
      id: "plain",
      difficulty: 2,
      memorization: 0,
      forgetFrequency: 0,
      lossDrop: 0,
      relativeLossDrop: 0,
      excessLossDrop: expect.closeTo(0, 12),
      accuracyGain: 0,
      meanLoss: 2,
      forgetEvents: 0,
      neverLearned: true,
      confidence: Math.exp(-2),
      variability: 0,
      correctness: 0,
      quadrant: "AMBIGUOUS_HARD",
    });
    expect(() => [...scoreRows(["only-one"], scores, quadrants)]).toThrow(/1 ids/);
  });
});

// The default scoring on a real classifier's dynamics (fixtures/generate_digits_label_noise.py:
// a PyTorch MLP on scikit-learn's digits with 5 % of labels flipped, in allenai/cartography's
// layout) against the reference implementations' own numbers, computed in Python.
import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { computeScores, readCartographyDynamics, type DynamicsMatrix } from "../src/index.ts";

interface Bundle {
  files: Record<string, string>;
  ids: string[];
  flipped: boolean[];
  toneva_forget_events: number[];
  allenai_forgetfulness: number[];
  short: { epochs: number; toneva_forget_events: number[]; allenai_forgetfulness: number[] };
}

const bundle = JSON.parse(gunzipSync(readFileSync(new URL("./fixtures/digits-label-noise.json.gz", import.meta.url))).toString("utf8")) as Bundle;

/** ROC-AUC of `score` for the positives, straight from its definition: P(pos > neg) + ½ P(tie). */
function naiveAuc(score: ArrayLike<number>, positive: readonly boolean[]): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < positive.length; i++) {
    if (!positive[i]) continue;
    for (let j = 0; j < positive.length; j++) {
      if (positive[j]) continue;
      pairs++;
      wins += score[i]! > score[j]! ? 1 : score[i] === score[j] ? 0.5 : 0;
    }
  }
  return wins / pairs;
}

let root: string;
let full: DynamicsMatrix;
let short: DynamicsMatrix;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "gdc-digits-"));
  for (const [name, epochs] of [
    ["full", Object.keys(bundle.files).length],
    ["short", bundle.short.epochs],
  ] as const) {
    await mkdir(join(root, name, "training_dynamics"), { recursive: true });
    for (let e = 0; e < epochs; e++) {
      const file = `dynamics_epoch_${e}.jsonl`;
      await writeFile(join(root, name, "training_dynamics", file), bundle.files[file]!);
    }
  }
  full = await readCartographyDynamics(join(root, "full"));
  short = await readCartographyDynamics(join(root, "short"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("default scoring of classifier input (allenai layout)", () => {
  it("reads the run in the fixture's id order", () => {
    expect(full.ids).toEqual(bundle.ids);
    expect(full.epochs).toBe(40);
  });

  for (const run of ["full", "short"] as const) {
    it(`learns by correctness and gives Toneva's forget events and allenai's forgetfulness exactly (${run} run)`, () => {
      const dyn = run === "full" ? full : short;
      const ref = run === "full" ? bundle : bundle.short;
      const s = computeScores(dyn);
      expect(s.config).toMatchObject({ learnedBy: "accuracy", learnedBySource: "binary-accuracy", tau: 1, epsilon: null });
      expect(Array.from(s.forgetEvents)).toEqual(ref.toneva_forget_events);
      // allenai: 1000 for never learned, else the count of forgets after learning.
      const allenai = Array.from(s.forgetEvents, (f, i) => (s.neverLearned[i] === 1 ? 1000 : f));
      expect(allenai).toEqual(ref.allenai_forgetfulness);
    });
  }

  it("the short run has never-learned examples, so the 1000 rule is exercised", () => {
    expect(bundle.short.allenai_forgetfulness.filter((v) => v === 1000).length).toBeGreaterThan(10);
  });

  it("learned ⇔ loss < median (the old default) disagrees with Toneva on many examples, which is why classifier input learns by correctness", () => {
    const byLoss = computeScores(short, { learnedBy: "loss" });
    const differ = bundle.short.toneva_forget_events.filter((count, i) => count !== byLoss.forgetEvents[i]).length;
    const neverDiffer = bundle.short.allenai_forgetfulness.filter((v, i) => (v === 1000) !== (byLoss.neverLearned[i] === 1)).length;
    expect(differ + neverDiffer).toBeGreaterThan(50);
  });

  it("memorization (loss drop, the default for classifier input) finds the flipped labels of a classifier that fits them: ROC-AUC ≥ 0.9", () => {
    const s = computeScores(full);
    expect(s.config).toMatchObject({ memorizationSignal: "lossDrop", memorizationSignalSource: "classifier-input" });
    expect(naiveAuc(s.memorization, bundle.flipped)).toBeGreaterThanOrEqual(0.9);
  });

  it("difficulty and 1 − confidence find mislabeled data: ROC-AUC ≥ 0.99", () => {
    const s = computeScores(full);
    expect(naiveAuc(s.difficulty, bundle.flipped)).toBeGreaterThanOrEqual(0.99);
    expect(
      naiveAuc(
        Array.from(s.confidence, (c) => 1 - c),
        bundle.flipped,
      ),
    ).toBeGreaterThanOrEqual(0.99);
  });

  it("prints every signal's AUC (for the record in docs)", () => {
    const s = computeScores(full);
    const signals = {
      ...Object.fromEntries(
        (["lossDrop", "relativeLossDrop", "excessLossDrop", "accuracyGain", "meanLoss", "forgetFrequency", "difficulty"] as const).map((k) => [k, s[k]]),
      ),
      oneMinusConfidence: Array.from(s.confidence, (c) => 1 - c),
    };
    const aucs = Object.fromEntries(Object.entries(signals).map(([k, v]) => [k, Number(naiveAuc(v, bundle.flipped).toFixed(4))]));
    console.log("ROC-AUC for flipped labels:", JSON.stringify(aucs));
    expect(Object.keys(aucs)).toHaveLength(8);
  });
});

import { expect, test } from "vitest";
import { ConfigError, QUICK_STUDY, DEFAULT_SEEDS, DEFAULT_STUDY_TRAINING, resolveStudyOptions, type StudyPassage } from "../src/index.ts";

const own = (canary: boolean): { corpus: StudyPassage[]; corpusSource: string } => ({
  corpus: [
    { text: "call me ishmael", split: "train" },
    ...(canary ? [{ text: "my pin is 123456", split: "train" as const, canary: { prefix: "my pin is ", secret: "123456", repetitions: 2 } }] : []),
  ] as StudyPassage[],
  corpusSource: "test",
});

test("the quick study's defaults, on the bundled corpus, with synthetic canaries", () => {
  const o = resolveStudyOptions({ quick: true }, null);
  expect(o.seeds).toEqual([...QUICK_STUDY.seeds]);
  expect(o.references).toBe(QUICK_STUDY.references);
  expect(o.training).toEqual(QUICK_STUDY.training);
  expect(o.corpus).toHaveLength(QUICK_STUDY.corpusLimit);
  expect(o.canaries).toMatchObject({ repetitions: [1, 4, 16], perLevel: 2 });
});

test("an own corpus: synthetic canaries only when it has none, unless asked for or refused", () => {
  expect(resolveStudyOptions({}, own(true)).canaries).toBeNull();
  expect(resolveStudyOptions({}, own(false)).canaries).toMatchObject({ repetitions: [1, 2, 4, 8, 16], perLevel: 4 });
  expect(resolveStudyOptions({ canaries: { perLevel: 1 } }, own(true)).canaries).toMatchObject({ perLevel: 1 });
  expect(resolveStudyOptions({ canaries: false }, own(false)).canaries).toBeNull();
  const o = resolveStudyOptions({ epochs: 2, training: { learningRate: 0.02 } }, own(true));
  expect(o.seeds).toEqual(DEFAULT_SEEDS);
  expect(o.training).toEqual({ learningRate: 0.02, epochs: 2 }); // on top of DEFAULT_STUDY_TRAINING inside the study
  expect(DEFAULT_STUDY_TRAINING.model.architecture).toBe("transformer");
});

test("a bad configuration is a ConfigError naming the field", () => {
  const fieldOf = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      if (err instanceof ConfigError) return err.field;
      throw err;
    }
    return null;
  };
  expect(fieldOf(() => resolveStudyOptions({ prunePercent: 150 }, null))).toBe("prunePercent");
  expect(fieldOf(() => resolveStudyOptions({ seeds: [3, 3] }, null))).toBe("seeds");
  expect(fieldOf(() => resolveStudyOptions({ passages: 100 }, own(false)))).toBe("passages");
  expect(fieldOf(() => resolveStudyOptions({ scoring: { epsilon: 0.5, learnedBy: "accuracy" } }, null))).toBe("scoring.epsilon");
});

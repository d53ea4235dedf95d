import { beforeAll, describe, expect, it } from "vitest";
import { CharTokenizer, LanguageModel, selectBackend, trainLanguageModel, type ModelConfig } from "@gdc/model";
import { auditCanaries, CANARY_FRAMES, canaryExamples, createCanaries, sampleReferenceSecrets } from "../src/index.ts";

beforeAll(async () => {
  await selectBackend(["wasm"]);
});

describe("canaries", () => {
  it("are seeded, with distinct names and secrets, inserted k times each", () => {
    const set = createCanaries({ seed: 5, repetitions: [1, 3, 9], perLevel: 2 });
    expect(createCanaries({ seed: 5, repetitions: [1, 3, 9], perLevel: 2 })).toEqual(set);
    expect(createCanaries({ seed: 6, repetitions: [1, 3, 9], perLevel: 2 }).canaries[0]!.secret).not.toBe(set.canaries[0]!.secret);
    expect(set.canaries).toHaveLength(6);
    expect(new Set(set.canaries.map((c) => c.secret)).size).toBe(6);
    expect(new Set(set.canaries.map((c) => c.prefix)).size).toBe(6);
    expect(set.canaries.every((c) => /^the secret code of [a-z]{5} is \d{6}$/.test(c.text))).toBe(true);
    const examples = canaryExamples(set);
    expect(examples).toHaveLength(2 * (1 + 3 + 9));
    expect(examples.filter((e) => e.canaryId === set.canaries[5]!.id)).toHaveLength(9);
    expect(new Set(examples.map((e) => e.id)).size).toBe(examples.length);
    expect(examples.every((e) => e.canary)).toBe(true);
  });

  it("can give each canary its own sentence frame, dealt in a seeded order; names and secrets stay those of the seed", () => {
    const options = { seed: 5, repetitions: [1, 2, 4, 8, 16], perLevel: 4 };
    const plain = createCanaries(options);
    const framed = createCanaries({ ...options, frames: CANARY_FRAMES });
    expect(createCanaries({ ...options, frames: CANARY_FRAMES })).toEqual(framed);
    expect(framed.canaries).toHaveLength(20);
    expect(framed.canaries.map((c) => [c.secret, c.repetitions])).toEqual(plain.canaries.map((c) => [c.secret, c.repetitions]));
    // Each canary has its own frame: the prefixes with the name removed are all different.
    const frames = framed.canaries.map((c, i) => c.prefix.replaceAll(plain.canaries[i]!.prefix.slice(19, 24), "{name}"));
    expect(new Set(frames).size).toBe(20);
    for (const f of frames) expect(CANARY_FRAMES).toContain(f);
    for (const c of framed.canaries) expect(c.text).toBe(c.prefix + c.secret);
    // Another seed deals the frames in another order.
    expect(createCanaries({ ...options, seed: 6, frames: CANARY_FRAMES }).canaries.map((c) => c.prefix.replace(/[a-z]{5}'s/, ""))).not.toEqual(
      framed.canaries.map((c) => c.prefix.replace(/[a-z]{5}'s/, "")),
    );
    expect(() => createCanaries({ ...options, frames: CANARY_FRAMES.slice(0, 19) })).toThrow(/need at least 20 frames/);
    expect(() => createCanaries({ seed: 1, repetitions: [1], perLevel: 2, frames: ["a ", "a "] })).toThrow(/distinct/);
    // The prefix function sees each canary's index.
    const indexed = createCanaries({ seed: 1, repetitions: [1, 2], perLevel: 1, prefix: (name, i) => `item ${i} of ${name}: ` });
    expect(indexed.canaries.map((c) => c.prefix.slice(0, 7))).toEqual(["item 0 ", "item 1 "]);
  });

  it("references are distinct secrets of the same format that were never inserted", () => {
    const set = createCanaries({ seed: 1, repetitions: [2], perLevel: 3, secretAlphabet: "01", secretLength: 4 });
    const all = sampleReferenceSecrets(set, 1000, 0);
    expect(all).toHaveLength(16 - 3); // the whole space minus the inserted secrets
    const some = sampleReferenceSecrets(set, 5, 9);
    expect(new Set(some).size).toBe(5);
    for (const s of [...all, ...some]) {
      expect(s).toMatch(/^[01]{4}$/);
      expect(set.canaries.some((c) => c.secret === s)).toBe(false);
    }
  });
});

describe("auditCanaries", () => {
  const set = createCanaries({ seed: 1, repetitions: [1], perLevel: 1 });
  const canary = set.canaries[0]!;
  const filler = ["the whale swam under the ship.", "ahab stood on the deck.", "a cold wind blew.", "the crew pulled at the oars."];
  const texts = [...Array<string>(12).fill(canary.text), ...filler, ...filler];
  const tokenizer = CharTokenizer.fit([...texts, "0123456789"]);
  const config: ModelConfig = { architecture: "gru", embeddingSize: 16, hiddenSize: 48, layers: 1 };

  it("extracts the secret from a model over-trained on one canary, with maximal rank exposure", async () => {
    const run = await trainLanguageModel({
      config: { model: config, epochs: 30, batchSize: texts.length, learningRate: 2e-2, maxTokens: 64, seed: 3 },
      texts,
      tokenizer,
    });
    const audit = auditCanaries(run.model, set, { references: 200 });
    const [finding] = audit.findings;
    expect(finding!.greedy).toBe(canary.secret);
    expect(finding!.extracted).toBe(true);
    // Its secret is the likeliest of all 201 candidates: exposure log2|R|.
    expect(finding!.exposureRank).toBe(Math.log2(200));
    expect(finding!.exposureSkewNormal).toBeGreaterThan(Math.log2(200));
    expect(audit.summary).toMatchObject({ canaries: 1, extracted: 1, extractionRate: 1 });
    expect(audit.summary.byRepetitions).toEqual([
      { repetitions: 1, canaries: 1, extractionRate: 1, meanExposureRank: finding!.exposureRank, meanExposureSkewNormal: finding!.exposureSkewNormal },
    ]);
    run.model.dispose();
  });

  it("does not extract it from an untrained model, whose secret is an ordinary candidate", () => {
    const untrained = LanguageModel.create(config, tokenizer, 3);
    const audit = auditCanaries(untrained, set, { references: 200 });
    const [finding] = audit.findings;
    expect(finding!.extracted).toBe(false);
    expect(finding!.greedy).not.toBe(canary.secret);
    expect(finding!.exposureRank).toBeLessThan(5);
    expect(audit.summary.extractionRate).toBe(0);
    expect(audit.references).toBe(200);
    untrained.dispose();
  });
});

import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { assignQuadrants, computeScores } from "@gdc/cartography";
import {
  BLOCK_SIZE,
  cancelRun,
  createExternalRun,
  DomainError,
  finishRun,
  importExamples,
  ingestDynamics,
  queryDataMap,
  queryExamples,
  readDynamicsMatrix,
  readTrajectory,
  releaseVersion,
  scoreRun,
  startRun,
  systemActor,
  writeDynamicsCells,
  writeDynamicsEpoch,
  type Actor,
  type DynamicsCellInput,
} from "../src/index.ts";
import { createTestDatabase, RecordingQueue, seedDataset, seedUser, type TestDatabase } from "../src/testing/index.ts";

let t: TestDatabase;
let engineer: Actor;
beforeAll(async () => {
  t = await createTestDatabase();
  engineer = (await seedUser(t.db, "ENGINEER")).actor;
});
afterAll(async () => t?.dispose());

/** Deterministic dynamics with structure: some examples learned early, some forgotten. */
function syntheticDynamics(keys: string[], epochs: number, seed = 1) {
  let s = seed;
  const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const cells: DynamicsCellInput[] = [];
  for (const [i, key] of keys.entries()) {
    for (let e = 0; e < epochs; e++) {
      const base = (i % 5) * 0.5 + 2 / (e + 1);
      const loss = Math.fround(base * (0.5 + rand()));
      cells.push({ exampleKey: key, epoch: e, loss, accuracy: Math.fround(Math.min(1, Math.max(0, 1 - loss / 4))) });
    }
  }
  return cells;
}

async function externalRunWithExamples(examples = 12, epochs = 4, canaries = 0) {
  const { version } = await seedDataset(t.db, engineer, { examples, canaries });
  const run = await createExternalRun(t.db, engineer, { allowDraft: true, versionId: version.id, epochs, framework: "pytorch", name: "ext" });
  const keys = (
    await t.db.sql<{ key: string }>(`SELECT e.key FROM run_examples re JOIN examples e ON e.id = re.example_id WHERE re.run_id = $1 ORDER BY re.ordinal`, [
      run.id,
    ])
  ).map((r) => r.key);
  return { version, run, keys };
}

const blockBytes = (runId: string) =>
  t.db.sql<{ epoch: number; block: number; loss: Buffer; accuracy: Buffer; filled: number; updated_at: Date }>(
    `SELECT epoch, block, loss, accuracy, filled, updated_at FROM dynamics_blocks WHERE run_id = $1 ORDER BY epoch, block`,
    [runId],
  );
const auditCount = (runId: string, action: string) => t.db.prisma.auditEvent.count({ where: { targetType: "Run", targetId: runId, action } });

describe("startRun and createExternalRun", () => {
  test("a tracked run snapshots the TRAIN members in import order and enqueues train in its transaction", async () => {
    const { version } = await seedDataset(t.db, engineer, {
      records: [
        { id: "b", text: "bee" },
        { id: "a", text: "ay" },
        { id: "v", text: "held out", split: "validation" },
      ],
    });
    // A later import comes after; a record imported again keeps its first place.
    await importExamples(t.db, engineer, {
      versionId: version.id,
      records: [
        { id: "c", text: "sea" },
        { id: "a", text: "ay" },
      ],
    });
    const queue = new RecordingQueue();
    const policy = { name: "pruneTopByMemorization", params: { percent: 10 } };
    const run = await startRun(t.db, queue, engineer, {
      allowDraft: true,
      versionId: version.id,
      epochs: 3,
      seed: 7,
      policy,
      scoringConfig: { qMemorization: 0.8 },
    });
    expect(run).toMatchObject({ kind: "TRACKED", status: "QUEUED", epochs: 3, seed: 7 });
    expect(run.scoringConfig).toEqual({ qMemorization: 0.8, policy });
    const members = await t.db.sql<{ ordinal: number; key: string; weight: number }>(
      `SELECT re.ordinal, e.key, re.weight FROM run_examples re JOIN examples e ON e.id = re.example_id WHERE re.run_id = $1 ORDER BY re.ordinal`,
      [run.id],
    );
    // Row i is the i-th training example the user imported (not key order: "a" < "b").
    expect(members).toEqual([
      { ordinal: 0, key: "b", weight: 1 },
      { ordinal: 1, key: "a", weight: 1 },
      { ordinal: 2, key: "c", weight: 1 },
    ]);
    expect(queue.jobs).toEqual([{ name: "train", data: { runId: run.id }, inTx: true }]);
    expect(await auditCount(run.id, "run.start")).toBe(1);
  });

  test("bad input is refused naming the field, and creates nothing", async () => {
    const { version } = await seedDataset(t.db, engineer, { examples: 2 });
    const queue = new RecordingQueue();
    const before = await t.db.prisma.run.count();
    await expect(startRun(t.db, queue, engineer, { allowDraft: true, versionId: version.id, epochs: 0, seed: 0 })).rejects.toThrow(/^epochs: /);
    await expect(
      startRun(t.db, queue, engineer, {
        allowDraft: true,
        versionId: version.id,
        epochs: 3,
        seed: 0,
        policy: { name: "pruneTopByMemorization", params: { percent: 400 } },
      }),
    ).rejects.toMatchObject({
      code: "BAD_USER_INPUT",
      field: "scoringConfig.policy.params.percent",
    });
    await expect(
      startRun(t.db, queue, engineer, { allowDraft: true, versionId: version.id, epochs: 3, seed: 0, scoringConfig: { earlyEpochs: 9 } }),
    ).rejects.toThrow("scoringConfig.earlyEpochs");
    await expect(createExternalRun(t.db, engineer, { allowDraft: true, versionId: version.id, epochs: 3, scoringConfig: { bogus: 1 } })).rejects.toMatchObject({
      code: "BAD_USER_INPUT",
    });
    for (const create of [
      (scoringConfig: Record<string, unknown>) =>
        startRun(t.db, queue, engineer, { allowDraft: true, versionId: version.id, epochs: 3, seed: 0, scoringConfig }),
      (scoringConfig: Record<string, unknown>) => createExternalRun(t.db, engineer, { allowDraft: true, versionId: version.id, epochs: 3, scoringConfig }),
    ]) {
      await expect(create({ memorizationSignal: "vibes" })).rejects.toMatchObject({ code: "BAD_USER_INPUT", field: "scoringConfig.memorizationSignal" });
      await expect(create({ memorizationSignal: "vibes" })).rejects.toThrow(/^scoringConfig\.memorizationSignal: .*lossDrop/);
      await expect(create({ lateEpochs: 4 })).rejects.toMatchObject({ code: "BAD_USER_INPUT", field: "scoringConfig.lateEpochs" });
      await expect(create({ lateEpochs: 0 })).rejects.toMatchObject({ code: "BAD_USER_INPUT", field: "scoringConfig.lateEpochs" });
      await expect(create({ learnedBy: "vibes" })).rejects.toMatchObject({ code: "BAD_USER_INPUT", field: "scoringConfig.learnedBy" });
      // learnedBy "auto" (the default) takes ε as "by loss": a τ beside it is a mistake.
      await expect(create({ epsilon: 1, tau: 0.5 })).rejects.toMatchObject({ code: "BAD_USER_INPUT", field: "scoringConfig.tau" });
    }
    expect(await t.db.prisma.run.count()).toBe(before);
    expect(queue.jobs).toHaveLength(0);
  });

  test("an external run is RUNNING with the framework as backend and progress counted in cells", async () => {
    const { run, keys } = await externalRunWithExamples(5, 3);
    expect(run).toMatchObject({ kind: "EXTERNAL", status: "RUNNING", backend: "pytorch", progressSteps: 15 });
    expect(keys).toHaveLength(5);
  });
});

describe("dynamics blocks", () => {
  async function bareRun(examples: number, epochs: number) {
    const { version } = await seedDataset(t.db, engineer, { examples: 1 });
    const run = await t.db.prisma.run.create({ data: { versionId: version.id, kind: "EXTERNAL", status: "RUNNING", epochs } });
    // run_examples has no foreign key to examples: synthetic members are enough for the store.
    await t.db.sql(`INSERT INTO run_examples (run_id, ordinal, example_id) SELECT $1, g, gen_random_uuid() FROM generate_series(0, $2 - 1) g`, [
      run.id,
      examples,
    ]);
    return run;
  }

  test("whole epochs round-trip across blocks into the row-major matrix the engine reads", async () => {
    const N = BLOCK_SIZE * 2 + 17;
    const T = 3;
    const run = await bareRun(N, T);
    for (let e = 0; e < T; e++) {
      const loss = Float32Array.from({ length: N }, (_, i) => i + e / 10);
      const acc = Float32Array.from({ length: N }, (_, i) => ((i + e) % 3) / 2);
      await writeDynamicsEpoch(t.db.prisma, run.id, e, loss, acc);
    }
    const m = await readDynamicsMatrix(t.db, run.id);
    expect(m.ids).toHaveLength(N);
    expect(m.epochs).toBe(T);
    for (const i of [0, 1, BLOCK_SIZE - 1, BLOCK_SIZE, N - 1]) {
      for (let e = 0; e < T; e++) {
        expect(m.loss[i * T + e]).toBe(Math.fround(i + e / 10));
        expect(m.acc[i * T + e]).toBe(Math.fround(((i + e) % 3) / 2));
      }
    }
    const blocks = await blockBytes(run.id);
    expect(blocks).toHaveLength(3 * T);
    expect(blocks.find((b) => b.block === 2)!.loss.length).toBe(17 * 4);
    expect(blocks.every((b) => b.filled === b.loss.length / 4)).toBe(true);
  });

  test("cells merge idempotently; a gap is named by ordinal and epoch", async () => {
    const N = BLOCK_SIZE + 10;
    const run = await bareRun(N, 2);
    const cells = Array.from({ length: N }, (_, i) => ({ ordinal: i, epoch: 0, loss: i / 7, acc: 0.5 }));
    const first = await t.db.prisma.$transaction((tx) => writeDynamicsCells(tx, run.id, cells));
    expect(first).toEqual({ accepted: N, unchanged: 0 });
    const again = await t.db.prisma.$transaction((tx) => writeDynamicsCells(tx, run.id, cells.slice(5, 50)));
    expect(again).toEqual({ accepted: 0, unchanged: 45 });
    const changed = await t.db.prisma.$transaction((tx) => writeDynamicsCells(tx, run.id, [{ ordinal: 3, epoch: 0, loss: 99, acc: 1 }]));
    expect(changed).toEqual({ accepted: 1, unchanged: 0 });
    await t.db.prisma.$transaction((tx) =>
      writeDynamicsCells(
        tx,
        run.id,
        Array.from({ length: N }, (_, i) => ({ ordinal: i, epoch: 1, loss: 1, acc: 1 })).filter((c) => c.ordinal !== 4100),
      ),
    );
    await expect(readDynamicsMatrix(t.db, run.id)).rejects.toThrow(/lacks training dynamics for 1 of .*ordinal 4100\) epoch 1/);
    const traj = await readTrajectory(
      t.db,
      run.id,
      (await t.db.sql<{ example_id: string }>(`SELECT example_id FROM run_examples WHERE run_id = $1 AND ordinal = 4100`, [run.id]))[0]!.example_id,
    );
    expect(traj).toEqual({ epochs: 2, loss: [Math.fround(4100 / 7), null], accuracy: [0.5, null] });
  });

  test("concurrent overlapping writers converge without losing cells", async () => {
    const N = 3000;
    const run = await bareRun(N, 1);
    const chunk = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => ({ ordinal: from + k, epoch: 0, loss: (from + k) / 3, acc: 1 }));
    const results = await Promise.all([
      t.db.prisma.$transaction((tx) => writeDynamicsCells(tx, run.id, chunk(0, 2000))),
      t.db.prisma.$transaction((tx) => writeDynamicsCells(tx, run.id, chunk(1000, 3000))),
    ]);
    expect(results.reduce((n, r) => n + r.accepted, 0)).toBe(3000);
    expect(results.reduce((n, r) => n + r.unchanged, 0)).toBe(1000);
    const m = await readDynamicsMatrix(t.db, run.id);
    expect(m.loss[2999]).toBe(Math.fround(2999 / 3));
  });
});

describe("ingestDynamics", () => {
  test("a retried chunk changes no byte and counts as unchanged; it writes no audit event (a no-op repeat)", async () => {
    const { run, keys } = await externalRunWithExamples(10, 3);
    const cells = syntheticDynamics(keys, 3).slice(0, 20);
    const first = await ingestDynamics(t.db, engineer, { runId: run.id, cells });
    expect(first).toEqual({ accepted: 20, unchanged: 0, received: 20, missing: 10 });
    const bytesBefore = await blockBytes(run.id);
    const retried = await ingestDynamics(t.db, engineer, { runId: run.id, cells });
    expect(retried).toEqual({ accepted: 0, unchanged: 20, received: 20, missing: 10 });
    expect(await blockBytes(run.id)).toEqual(bytesBefore);
    expect(await auditCount(run.id, "dynamics.ingest")).toBe(1);
    const event = await t.db.prisma.auditEvent.findFirst({ where: { targetId: run.id, action: "dynamics.ingest" }, orderBy: { seq: "desc" } });
    expect(event!.after).toMatchObject({ accepted: 20, unchanged: 0, received: 20 });
    expect(JSON.stringify(event!.after)).not.toContain(String(cells[0]!.loss));
  });

  test("bad cells are rejected naming index and field, writing nothing", async () => {
    const { run, keys } = await externalRunWithExamples(4, 2);
    const good = syntheticDynamics(keys, 2);
    const cases: [DynamicsCellInput, RegExp][] = [
      [{ ...good[3]!, loss: Number.NaN }, /^cells\[3\]\.loss: must be finite/],
      [{ ...good[3]!, loss: -1 }, /^cells\[3\]\.loss: must be ≥ 0/],
      [{ ...good[3]!, accuracy: 1.5 }, /^cells\[3\]\.accuracy: must be in \[0, 1\]/],
      [{ ...good[3]!, epoch: 2 }, /^cells\[3\]\.epoch: must be in \[0, 1\]/],
      [{ ...good[3]!, epoch: 1.5 }, /^cells\[3\]\.epoch: must be a non-negative integer/],
      [{ ...good[3]!, exampleKey: "nope" }, /^cells\[3\]\.exampleKey: "nope" is not a training example/],
      [{ ...good[2]! }, /^cells\[3\]: repeats cells\[2\]/],
    ];
    for (const [bad, message] of cases) {
      const cells = [...good];
      cells[3] = bad;
      const error = await ingestDynamics(t.db, engineer, { runId: run.id, cells }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe("BAD_USER_INPUT");
      expect((error as DomainError).message).toMatch(message);
    }
    expect(await blockBytes(run.id)).toEqual([]);
    expect(await auditCount(run.id, "dynamics.ingest")).toBe(0);
  });

  test("fuzzed bad dynamics are rejected with the cell's index and field, and write 0 rows", async () => {
    const { run, keys } = await externalRunWithExamples(6, 3);
    const good = syntheticDynamics(keys, 3);
    const badValue = fc.oneof(
      fc.record({
        field: fc.constant("loss" as const),
        value: fc.oneof(
          fc.constantFrom(Number.NaN, Infinity, -Infinity),
          fc.double({ max: -1e-9, noNaN: true }),
          fc.double({ min: 3.5e38, noDefaultInfinity: true, noNaN: true }),
        ),
      }),
      fc.record({
        field: fc.constant("accuracy" as const),
        value: fc.oneof(fc.constant(Number.NaN), fc.double({ min: 1.000001, noNaN: true }), fc.double({ max: -1e-9, noNaN: true })),
      }),
      fc.record({
        field: fc.constant("epoch" as const),
        value: fc.oneof(
          fc.integer({ min: 3, max: 1e6 }),
          fc.integer({ max: -1 }),
          fc.double({ min: 0.1, max: 2.9, noNaN: true }).filter((x) => !Number.isInteger(x)),
        ),
      }),
      fc.record({ field: fc.constant("exampleKey" as const), value: fc.string({ minLength: 0, maxLength: 12 }).filter((k) => !keys.includes(k)) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: good.length - 1 }), badValue, async (index, bad) => {
        const cells = good.map((c) => ({ ...c }));
        (cells[index] as unknown as Record<string, unknown>)[bad.field] = bad.value;
        const error = await ingestDynamics(t.db, engineer, { runId: run.id, cells }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DomainError);
        expect((error as DomainError).message.startsWith(`cells[${index}].${bad.field}: `)).toBe(true);
      }),
      { numRuns: 60 },
    );
    expect(await blockBytes(run.id)).toEqual([]);
    expect(await auditCount(run.id, "dynamics.ingest")).toBe(0);
  });

  test("overlapping chunks of one run ingested concurrently neither deadlock nor lose cells", async () => {
    const { run, keys } = await externalRunWithExamples(60, 4);
    const cells = syntheticDynamics(keys, 4, 5);
    const chunks = [cells.slice(0, 140), cells.slice(100, 240), cells.slice(60, 200), cells.slice(0, 240)];
    const results = await Promise.all(chunks.map((chunk) => ingestDynamics(t.db, engineer, { runId: run.id, cells: chunk })));
    expect(results.reduce((n, r) => n + r.accepted, 0)).toBe(240);
    expect(results.reduce((n, r) => n + r.accepted + r.unchanged, 0)).toBe(chunks.reduce((n, c) => n + c.length, 0));
    const m = await readDynamicsMatrix(t.db, run.id);
    expect(Array.from(m.loss)).toEqual(cells.map((c) => c.loss));
    // One event per chunk that stored something; a chunk that found every cell already stored writes none.
    expect(await auditCount(run.id, "dynamics.ingest")).toBe(results.filter((r) => r.accepted > 0).length);
  });

  test("only a RUNNING external run takes dynamics", async () => {
    const { version } = await seedDataset(t.db, engineer, { examples: 2 });
    const tracked = await startRun(t.db, new RecordingQueue(), engineer, { allowDraft: true, versionId: version.id, epochs: 2, seed: 0 });
    await expect(ingestDynamics(t.db, engineer, { runId: tracked.id, cells: [] })).rejects.toMatchObject({ code: "CONFLICT" });
    const { run, keys } = await externalRunWithExamples(2, 2);
    await cancelRun(t.db, engineer, { runId: run.id });
    await expect(ingestDynamics(t.db, engineer, { runId: run.id, cells: syntheticDynamics(keys, 2) })).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(cancelRun(t.db, engineer, { runId: run.id })).rejects.toMatchObject({ code: "CONFLICT" });
  });
});

describe("finishRun and scoreRun", () => {
  test("finish names the missing cells; once complete it moves to SCORING and enqueues score", async () => {
    const { run, keys } = await externalRunWithExamples(8, 3);
    const cells = syntheticDynamics(keys, 3);
    const queue = new RecordingQueue();
    await ingestDynamics(t.db, engineer, { runId: run.id, cells: cells.filter((c) => !(c.exampleKey === keys[5] && c.epoch === 2)) });
    await expect(finishRun(t.db, queue, engineer, { runId: run.id })).rejects.toThrow(
      new RegExp(`lacks training dynamics for 1 of 24 cells .*example "${keys[5]}" \\(ordinal 5\\) epoch 2`),
    );
    expect(queue.jobs).toHaveLength(0);
    await ingestDynamics(t.db, engineer, { runId: run.id, cells: cells.slice(15, 18) });
    const finished = await finishRun(t.db, queue, engineer, { runId: run.id });
    expect(finished.status).toBe("SCORING");
    expect(queue.jobs).toEqual([{ name: "score", data: { runId: run.id }, inTx: true }]);
    await expect(finishRun(t.db, queue, engineer, { runId: run.id })).rejects.toMatchObject({ code: "CONFLICT" });
  });

  test("scores equal the engine's on the same matrix, stored with the resolved config; re-scoring is idempotent", async () => {
    const { run, keys } = await externalRunWithExamples(40, 6, 3);
    const cells = syntheticDynamics(keys, 6, 3);
    await ingestDynamics(t.db, engineer, { runId: run.id, cells });
    await finishRun(t.db, new RecordingQueue(), engineer, { runId: run.id });
    const worker = systemActor("worker");
    const result = await scoreRun(t.db, worker, { runId: run.id });
    expect(result.status).toBe("SUCCEEDED");

    const matrix = await readDynamicsMatrix(t.db, run.id);
    const expected = computeScores(matrix);
    const quadrants = assignQuadrants(expected);
    const stored = await t.db.prisma.exampleScore.findMany({ where: { runId: run.id }, orderBy: { ordinal: "asc" } });
    expect(stored).toHaveLength(43);
    stored.forEach((s, i) => {
      expect(s.exampleId).toBe(matrix.ids[i]);
      expect(s.difficulty).toBeCloseTo(expected.difficulty[i]!, 5);
      expect(s.memorization).toBeCloseTo(expected.memorization[i]!, 6);
      // Every signal is stored (REAL: float32; Prisma reads it back as its shortest decimal),
      // and memorization is the default one for language-model input, the excess loss drop.
      expect(Math.fround(s.forgetFrequency!)).toBe(Math.fround(expected.forgetFrequency[i]!));
      expect(Math.fround(s.lossDrop!)).toBe(Math.fround(expected.lossDrop[i]!));
      expect(Math.fround(s.relativeLossDrop!)).toBe(Math.fround(expected.relativeLossDrop[i]!));
      expect(Math.fround(s.excessLossDrop!)).toBe(Math.fround(expected.excessLossDrop[i]!));
      expect(Math.fround(s.accuracyGain!)).toBe(Math.fround(expected.accuracyGain[i]!));
      expect(Math.fround(s.meanLoss!)).toBe(Math.fround(expected.meanLoss[i]!));
      expect(s.memorization).toBe(s.excessLossDrop);
      expect(s.forgetEvents).toBe(expected.forgetEvents[i]);
      expect(s.quadrant).toBe(["STABLE_EASY", "AMBIGUOUS_HARD", "HOTSPOT_MEMORIZED", "NOISY_OUTLIER"][quadrants.quadrant[i]!]);
    });
    const scored = await t.db.prisma.run.findUniqueOrThrow({ where: { id: run.id } });
    expect(scored.status).toBe("SUCCEEDED");
    // Fractional accuracies: "auto" learns by loss; memorization is the excess loss drop over Te = Tl = 2.
    expect(scored.scoringResolved).toMatchObject({
      learnedBy: "loss",
      learnedBySource: "fractional-accuracy",
      memorizationSignal: "excessLossDrop",
      memorizationSignalSource: "language-model-input",
      epsilon: expected.config.epsilon,
      epsilonSource: "median",
      earlyEpochs: 2,
      lateEpochs: 2,
      epochs: 6,
      thresholds: quadrants.thresholds,
    });
    expect(scored.metrics).toMatchObject({ examples: 43, quadrantCounts: quadrants.counts });

    const again = await scoreRun(t.db, worker, { runId: run.id });
    expect(again.status).toBe("SUCCEEDED");
    expect(await t.db.prisma.exampleScore.count({ where: { runId: run.id } })).toBe(43);
  });

  test('memorizationSignal "forgetFrequency" gives the paper\'s map: memorization is the forget frequency', async () => {
    const { version } = await seedDataset(t.db, engineer, { examples: 20 });
    const run = await createExternalRun(t.db, engineer, {
      allowDraft: true,
      versionId: version.id,
      epochs: 5,
      scoringConfig: { memorizationSignal: "forgetFrequency", lateEpochs: 1 },
    });
    const keys = (
      await t.db.sql<{ key: string }>(`SELECT e.key FROM run_examples re JOIN examples e ON e.id = re.example_id WHERE re.run_id = $1 ORDER BY re.ordinal`, [
        run.id,
      ])
    ).map((r) => r.key);
    await ingestDynamics(t.db, engineer, { runId: run.id, cells: syntheticDynamics(keys, 5, 4) });
    await finishRun(t.db, new RecordingQueue(), engineer, { runId: run.id });
    expect((await scoreRun(t.db, systemActor("worker"), { runId: run.id })).status).toBe("SUCCEEDED");

    const expected = computeScores(await readDynamicsMatrix(t.db, run.id), { memorizationSignal: "forgetFrequency", lateEpochs: 1 });
    const stored = await t.db.prisma.exampleScore.findMany({ where: { runId: run.id }, orderBy: { ordinal: "asc" } });
    expect(stored).toHaveLength(20);
    stored.forEach((s, i) => {
      expect(s.memorization).toBe(s.forgetFrequency);
      expect(Math.fround(s.forgetFrequency!)).toBe(Math.fround(s.forgetEvents / 4));
      expect(Math.fround(s.lossDrop!)).toBe(Math.fround(expected.lossDrop[i]!));
    });
    // Some example was forgotten, so the paper's memorization is not all zeros here.
    expect(stored.some((s) => s.forgetEvents > 0)).toBe(true);
    const scored = await t.db.prisma.run.findUniqueOrThrow({ where: { id: run.id } });
    expect(scored.scoringResolved).toMatchObject({ memorizationSignal: "forgetFrequency", earlyEpochs: 2, lateEpochs: 1 });
  });

  test("a run with a policy proposes interventions in its creator's name, onto a child draft of the released version it trained on", async () => {
    const { user, actor } = await seedUser(t.db, "ENGINEER");
    const { version } = await seedDataset(t.db, actor, { examples: 30 });
    await releaseVersion(t.db, (await seedUser(t.db, "ADMIN")).actor, { versionId: version.id });
    const run = await createExternalRun(t.db, actor, {
      versionId: version.id,
      epochs: 4,
      scoringConfig: { policy: { name: "pruneTopByMemorization", params: { percent: 10 } } },
    });
    const keys = (
      await t.db.sql<{ key: string }>(`SELECT e.key FROM run_examples re JOIN examples e ON e.id = re.example_id WHERE re.run_id = $1 ORDER BY re.ordinal`, [
        run.id,
      ])
    ).map((r) => r.key);
    await ingestDynamics(t.db, actor, { runId: run.id, cells: syntheticDynamics(keys, 4, 9) });
    await finishRun(t.db, new RecordingQueue(), actor, { runId: run.id });
    const result = await scoreRun(t.db, systemActor("worker"), { runId: run.id });
    expect(result).toMatchObject({ status: "SUCCEEDED", proposals: { proposed: 3 } });
    // v1 stays what the run trained on; the proposals go onto a new draft v2 drafted from it…
    const child = await t.db.prisma.datasetVersion.findFirstOrThrow({ where: { parentId: version.id } });
    expect(child).toMatchObject({ number: 2, status: "DRAFT", createdById: user.id });
    expect(result.status === "SUCCEEDED" && result.proposals).toMatchObject({ versionId: child.id });
    const proposals = await t.db.prisma.intervention.findMany({ where: { runId: run.id } });
    expect(proposals).toHaveLength(3);
    expect(proposals.every((p) => p.proposedById === user.id && p.action === "PRUNE" && p.versionId === child.id)).toBe(true);
    // …and scoring again reuses that open draft (nothing new to propose there: skipped).
    const again = await scoreRun(t.db, systemActor("worker"), { runId: run.id });
    expect(again).toMatchObject({ status: "SUCCEEDED", proposals: { proposed: 0, skipped: 3, versionId: child.id } });
    expect(await t.db.prisma.datasetVersion.count({ where: { datasetId: version.datasetId } })).toBe(2);
  });

  test("a run whose config cannot be scored is marked FAILED with the reason", async () => {
    const { run, keys } = await externalRunWithExamples(5, 2);
    await ingestDynamics(t.db, engineer, { runId: run.id, cells: syntheticDynamics(keys, 2) });
    await finishRun(t.db, new RecordingQueue(), engineer, { runId: run.id });
    // A stored config that no longer validates (e.g. written by an older version).
    await t.db.sql(`UPDATE runs SET scoring_config = '{"learnedBy": "vibes"}' WHERE id = $1`, [run.id]);
    const result = await scoreRun(t.db, systemActor("worker"), { runId: run.id });
    expect(result).toMatchObject({ status: "FAILED", error: expect.stringContaining("scoringConfig.learnedBy") });
    const failed = await t.db.prisma.run.findUniqueOrThrow({ where: { id: run.id } });
    expect(failed).toMatchObject({ status: "FAILED", error: expect.stringContaining("learnedBy") });
    expect(await auditCount(run.id, "run.fail")).toBe(1);
  });
});

describe("queries", () => {
  let runId: string;
  let N: number;
  beforeAll(async () => {
    const { run, keys } = await externalRunWithExamples(57, 5, 4);
    N = keys.length;
    await ingestDynamics(t.db, engineer, { runId: run.id, cells: syntheticDynamics(keys, 5, 11) });
    await finishRun(t.db, new RecordingQueue(), engineer, { runId: run.id });
    await scoreRun(t.db, systemActor("worker"), { runId: run.id });
    runId = run.id;
  });

  test("the data map holds every point in ordinal order", async () => {
    const map = await queryDataMap(t.db, runId);
    const scores = await t.db.prisma.exampleScore.findMany({ where: { runId }, orderBy: { ordinal: "asc" }, include: { example: true } });
    expect(map!.count).toBe(N);
    expect(map!.ids).toEqual(scores.map((s) => s.exampleId));
    expect(map!.difficulty).toEqual(scores.map((s) => s.difficulty));
    expect(map!.quadrant.map((q) => map!.quadrants[q])).toEqual(scores.map((s) => s.quadrant));
    expect(map!.isCanary.filter(Boolean)).toHaveLength(4);
    expect(map!.quadrant.length).toBe(N);
    expect(map!.thresholds.source).toBe("quantile");
  });

  const orders = [null, "DIFFICULTY", "MEMORIZATION", "FORGET_EVENTS", "CONFIDENCE", "VARIABILITY", "CORRECTNESS", "KEY"] as const;
  test.each(orders.flatMap((field) => (["ASC", "DESC"] as const).map((direction) => [field, direction] as const)))(
    "paging by %s %s returns every example exactly once, in order",
    async (field, direction) => {
      const seen: string[] = [];
      const values: (number | string)[] = [];
      let after: string | null = null;
      for (let pages = 0; pages < 100; pages++) {
        const page = await queryExamples(t.db, { runId, first: 7, after, orderBy: field ? { field, direction } : { field: "KEY", direction } });
        for (const edge of page.edges) {
          seen.push(edge.node.id);
          const s = edge.node.runScore!.score!;
          values.push(field === null || field === "KEY" ? edge.node.key : field === "FORGET_EVENTS" ? s.forgetEvents : s[field.toLowerCase() as "difficulty"]);
        }
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      expect(seen).toHaveLength(N);
      expect(new Set(seen).size).toBe(N);
      const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      expect(values).toEqual(direction === "ASC" ? sorted : sorted.reverse());
    },
  );

  test("filters select exactly the matching examples; totals agree", async () => {
    const all = await t.db.prisma.exampleScore.findMany({ where: { runId }, include: { example: true } });
    const page = await queryExamples(t.db, {
      runId,
      first: 500,
      filter: { quadrants: ["STABLE_EASY", "NOISY_OUTLIER"], isCanary: false },
      orderBy: { field: "MEMORIZATION", direction: "DESC" },
    });
    const expected = all
      .filter((s) => ["STABLE_EASY", "NOISY_OUTLIER"].includes(s.quadrant) && !s.example.isCanary)
      .map((s) => s.exampleId)
      .sort();
    expect(page.edges.map((e) => e.node.id).sort()).toEqual(expected);
    expect(await page.totalCount()).toBe(expected.length);
    const range = await queryExamples(t.db, { runId, first: 500, filter: { difficultyMin: 1, difficultyMax: 2, neverLearned: false } });
    expect(range.edges.map((e) => e.node.id).sort()).toEqual(
      all
        .filter((s) => s.difficulty >= 1 && s.difficulty <= 2 && !s.neverLearned)
        .map((s) => s.exampleId)
        .sort(),
    );
    const search = await queryExamples(t.db, { runId, first: 500, filter: { search: "my pin" } });
    expect(search.edges.every((e) => e.node.isCanary)).toBe(true);
    expect(search.edges).toHaveLength(4);
    const hidden = await queryExamples(t.db, { runId, first: 500, filter: { search: "my pin" }, canaryTextSearchable: false });
    expect(hidden.edges).toHaveLength(0);
    // A canary whose key is its content hash (imported without an id): its hash cannot be
    // probed by key search either, while those who may read canaries still find it.
    const canary = all.find((s) => s.example.isCanary)!.example;
    await t.db.sql(`UPDATE examples SET key = content_hash WHERE id = $1`, [canary.id]);
    const prefix = canary.contentHash.slice(0, 12);
    expect((await queryExamples(t.db, { runId, first: 500, filter: { search: prefix }, canaryTextSearchable: false })).edges).toHaveLength(0);
    expect((await queryExamples(t.db, { runId, first: 500, filter: { search: prefix } })).edges.map((e) => e.node.id)).toEqual([canary.id]);
    await t.db.sql(`UPDATE examples SET key = $2 WHERE id = $1`, [canary.id, canary.key]);
  });

  test("page size is capped at 500; a cursor of another ordering is refused", async () => {
    await expect(queryExamples(t.db, { runId, first: 501 })).rejects.toMatchObject({ code: "BAD_USER_INPUT", field: "first" });
    const page = await queryExamples(t.db, { runId, first: 3, orderBy: { field: "DIFFICULTY", direction: "ASC" } });
    await expect(queryExamples(t.db, { runId, first: 3, after: page.pageInfo.endCursor })).rejects.toMatchObject({ code: "BAD_USER_INPUT", field: "after" });
    await expect(queryExamples(t.db, { runId, after: "garbage" })).rejects.toMatchObject({ field: "after" });
  });

  test("a version listing pages its members by key, and refuses score filters", async () => {
    const run = await t.db.prisma.run.findUniqueOrThrow({ where: { id: runId } });
    const ids: string[] = [];
    let after: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof queryExamples>> = await queryExamples(t.db, { versionId: run.versionId, first: 10, after });
      ids.push(...page.edges.map((e) => e.node.id));
      expect(page.edges.every((e) => e.node.weight === 1)).toBe(true);
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(new Set(ids).size).toBe(N);
    await expect(queryExamples(t.db, { versionId: run.versionId, filter: { quadrants: ["STABLE_EASY"] } })).rejects.toMatchObject({ code: "BAD_USER_INPUT" });
  });
});

// Recovery without a restart (issue 13 F10): a run whose worker was killed is picked up by the
// periodic sweep of a worker that is already running (no restart, no startup recovery), within
// stale limit + sweep interval, and finishes with the dynamics of an uninterrupted run.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, test } from "vitest";
import { openJobQueue, readDynamicsMatrix, startRun, startStudy, type JobQueue } from "@gdc/db";
import { createTestDatabase, RecordingQueue, seedDataset, seedUser, type TestDatabase } from "@gdc/db/testing";
import { bundledStudyCorpus } from "@gdc/study";
import { studyJob } from "../src/jobs/study.ts";
import { trainJob } from "../src/jobs/train.ts";
import { recoverySweepSeconds, startWorker, sweepStaleWork, type RunningWorker } from "../src/worker.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const onPostgres = Boolean(process.env.DATABASE_URL);
let t: TestDatabase;
const log = () => {};
const modelConfig = { model: { architecture: "gru", embeddingSize: 8, hiddenSize: 24, layers: 1 }, batchSize: 16, maxTokens: 40, learningRate: 0.01 };
const records = Array.from({ length: 320 }, (_, i) => ({
  id: `p-${i}`,
  text: `passage ${i}: ${"call me ishmael some years ago never mind how long precisely".slice(0, 20 + (i % 37))}`,
}));

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => t?.dispose());

test("GDC_RECOVERY_SWEEP_SECONDS: 15 by default, a positive number, refused otherwise naming the variable", () => {
  const saved = process.env.GDC_RECOVERY_SWEEP_SECONDS;
  try {
    delete process.env.GDC_RECOVERY_SWEEP_SECONDS;
    expect(recoverySweepSeconds()).toBe(15);
    process.env.GDC_RECOVERY_SWEEP_SECONDS = "2";
    expect(recoverySweepSeconds()).toBe(2);
    process.env.GDC_RECOVERY_SWEEP_SECONDS = "0";
    expect(() => recoverySweepSeconds()).toThrow(/GDC_RECOVERY_SWEEP_SECONDS must be a positive number/);
  } finally {
    if (saved === undefined) delete process.env.GDC_RECOVERY_SWEEP_SECONDS;
    else process.env.GDC_RECOVERY_SWEEP_SECONDS = saved;
  }
});

test("the sweep leaves runs and studies with a fresh heartbeat alone and re-enqueues stale ones", async () => {
  const { actor } = await seedUser(t.db, "ENGINEER");
  const { version } = await seedDataset(t.db, actor, { examples: 10 });
  const recording = new RecordingQueue();
  const live = await startRun(t.db, recording, actor, { allowDraft: true, versionId: version.id, epochs: 1, seed: 1, modelConfig });
  const dead = await startRun(t.db, recording, actor, { allowDraft: true, versionId: version.id, epochs: 1, seed: 1, modelConfig });
  await t.db.sql(`UPDATE runs SET status = 'RUNNING', heartbeat_at = now() WHERE id = $1::uuid`, [live.id]);
  await t.db.sql(`UPDATE runs SET status = 'RUNNING', heartbeat_at = now() - interval '1 hour' WHERE id = $1::uuid`, [dead.id]);
  const queue = new RecordingQueue();
  await sweepStaleWork({ db: t.db, queue, log });
  const runIds = queue.jobs.filter((j) => j.name === "train").map((j) => (j.data as { runId: string }).runId);
  expect(runIds).toContain(dead.id);
  expect(runIds).not.toContain(live.id);
});

test.runIf(onPostgres)(
  "a run whose worker was killed is resumed by the sweep of a running worker, without a restart: same dynamics as an uninterrupted run",
  async () => {
    const { actor } = await seedUser(t.db, "ENGINEER");
    const { version } = await seedDataset(t.db, actor, { records });
    const recording = new RecordingQueue();
    const newRun = () => startRun(t.db, recording, actor, { allowDraft: true, versionId: version.id, epochs: 4, seed: 7, modelConfig });

    const reference = await newRun();
    await trainJob({ db: t.db, queue: recording, log }, { runId: reference.id });
    expect((await t.db.prisma.run.findUniqueOrThrow({ where: { id: reference.id } })).status).toBe("SUCCEEDED");
    const expected = await readDynamicsMatrix(t.db, reference.id);

    // A worker is up (its startup recovery finds nothing to do) before the run's own worker dies.
    process.env.GDC_HEARTBEAT_STALE_SECONDS = "3";
    let queue: JobQueue | undefined;
    let worker: RunningWorker | undefined;
    try {
      queue = await openJobQueue(t.db, { pollingIntervalSeconds: 0.5 });
      worker = await startWorker({ db: t.db, queue, log }, { sweepSeconds: 1 });

      const run = await newRun(); // its job went to the recording queue: only the child trains it
      const child = spawn(process.execPath, ["--import", "tsx", path.join(here, "fixtures/train-once.ts"), run.id], {
        env: { ...process.env, DATABASE_URL: t.db.connectionString },
        stdio: "ignore",
      });
      const exited = new Promise((resolve) => child.once("exit", resolve));
      for (;;) {
        const [row] = await t.db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM run_checkpoints WHERE run_id = $1::uuid`, [run.id]);
        if (row!.n > 0) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      child.kill("SIGKILL");
      await exited;
      const killedAt = Date.now();
      expect((await t.db.prisma.run.findUniqueOrThrow({ where: { id: run.id } })).status, "the child finished before it could be killed").toBe("RUNNING");

      // Bounded: picked up within stale limit (3 s) + sweep interval (1 s) + polling, not at the next restart.
      let resumedAfterMs: number | null = null;
      for (;;) {
        const resumed = await t.db.prisma.auditEvent.findFirst({ where: { targetType: "Run", targetId: run.id, action: "run.resume" } });
        if (resumed) {
          resumedAfterMs = Date.now() - killedAt;
          break;
        }
        if (Date.now() - killedAt > 30_000) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(resumedAfterMs, "the sweep did not resume the run within 30 s").not.toBeNull();
      expect(resumedAfterMs!).toBeLessThan(15_000);

      for (;;) {
        const { status } = await t.db.prisma.run.findUniqueOrThrow({ where: { id: run.id } });
        if (status === "SUCCEEDED" || status === "FAILED") break;
        if (Date.now() - killedAt > 240_000) throw new Error(`run still ${status} after 240 s`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const finished = await t.db.prisma.run.findUniqueOrThrow({ where: { id: run.id } });
      expect(finished.status).toBe("SUCCEEDED");
      expect((finished.metrics as { resumedAtEpoch: number | null }).resumedAtEpoch).toBeGreaterThanOrEqual(1);
      const actual = await readDynamicsMatrix(t.db, run.id);
      expect(actual.epochs).toBe(4);
      expect(
        Buffer.from(actual.loss.buffer, actual.loss.byteOffset, actual.loss.byteLength).equals(
          Buffer.from(expected.loss.buffer, expected.loss.byteOffset, expected.loss.byteLength),
        ),
      ).toBe(true);
      expect(Array.from(actual.acc)).toEqual(Array.from(expected.acc));
      const actions = (await t.db.prisma.auditEvent.findMany({ where: { targetType: "Run", targetId: run.id }, orderBy: { seq: "asc" } })).map((e) => e.action);
      expect(actions.filter((a) => a === "run.trained")).toHaveLength(1);
    } finally {
      worker?.stop();
      await queue?.stop();
      delete process.env.GDC_HEARTBEAT_STALE_SECONDS;
    }
  },
  300_000,
);

test.runIf(onPostgres)(
  "a study whose worker was killed is resumed by the sweep of a running worker, without a restart, and succeeds with the report of an uninterrupted study",
  async () => {
    const { actor } = await seedUser(t.db, "ENGINEER");
    const passages = bundledStudyCorpus({ limit: 100 });
    const { version } = await seedDataset(t.db, actor, {
      records: [
        ...passages.map((p) => ({ id: p.id, text: p.text, split: p.split })),
        {
          id: "c-1",
          text: "the secret code of kobra is 123456",
          canary: { prefix: "the secret code of kobra is ", secret: "123456" },
          payload: { repetitions: 8 },
        },
      ],
    });
    const config = { quick: true, seeds: [1], epochs: 2, references: 50 };
    const recording = new RecordingQueue();
    const newStudy = () => startStudy(t.db, recording, actor, { versionId: version.id, config });
    const summaryOf = async (id: string) => ((await t.db.prisma.study.findUniqueOrThrow({ where: { id } })).report as { summary: unknown } | null)?.summary;

    const reference = await newStudy();
    await studyJob({ db: t.db, queue: recording, log }, { studyId: reference.id });
    expect((await t.db.prisma.study.findUniqueOrThrow({ where: { id: reference.id } })).status).toBe("SUCCEEDED");

    process.env.GDC_HEARTBEAT_STALE_SECONDS = "3";
    let queue: JobQueue | undefined;
    let worker: RunningWorker | undefined;
    try {
      queue = await openJobQueue(t.db, { pollingIntervalSeconds: 0.5 });
      worker = await startWorker({ db: t.db, queue, log }, { sweepSeconds: 1 });

      const study = await newStudy(); // its job went to the recording queue: only the child runs it
      const child = spawn(process.execPath, ["--import", "tsx", path.join(here, "fixtures/study-once.ts"), study.id], {
        env: { ...process.env, DATABASE_URL: t.db.connectionString },
        stdio: "ignore",
      });
      const exited = new Promise((resolve) => child.once("exit", resolve));
      // Killed once it is training (RUNNING, past the start).
      for (;;) {
        const { status, progress } = await t.db.prisma.study.findUniqueOrThrow({ where: { id: study.id } });
        if (status === "RUNNING" && (progress as { phase?: string } | null)?.phase !== "starting") break;
        await new Promise((r) => setTimeout(r, 25));
      }
      child.kill("SIGKILL");
      await exited;
      const killedAt = Date.now();
      expect((await t.db.prisma.study.findUniqueOrThrow({ where: { id: study.id } })).status, "the child finished before it could be killed").toBe("RUNNING");

      // Bounded: picked up within stale limit (3 s) + sweep interval (1 s) + polling, not at the next restart.
      let resumedAfterMs: number | null = null;
      for (;;) {
        const resumed = await t.db.prisma.auditEvent.findFirst({ where: { targetType: "Study", targetId: study.id, action: "study.resume" } });
        if (resumed) {
          resumedAfterMs = Date.now() - killedAt;
          break;
        }
        if (Date.now() - killedAt > 30_000) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(resumedAfterMs, "the sweep did not resume the study within 30 s").not.toBeNull();
      expect(resumedAfterMs!).toBeLessThan(15_000);

      for (;;) {
        const { status } = await t.db.prisma.study.findUniqueOrThrow({ where: { id: study.id } });
        if (status === "SUCCEEDED" || status === "FAILED") break;
        if (Date.now() - killedAt > 400_000) throw new Error(`study still ${status} after 400 s`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const finished = await t.db.prisma.study.findUniqueOrThrow({ where: { id: study.id } });
      expect(finished.error).toBeNull();
      expect(finished.status).toBe("SUCCEEDED");
      expect(await summaryOf(study.id)).toEqual(await summaryOf(reference.id));
      const actions = (await t.db.prisma.auditEvent.findMany({ where: { targetType: "Study", targetId: study.id }, orderBy: { seq: "asc" } })).map(
        (e) => e.action,
      );
      expect(actions).toEqual(["study.start", "study.claim", "study.resume", "study.succeed"]);
    } finally {
      worker?.stop();
      await queue?.stop();
      delete process.env.GDC_HEARTBEAT_STALE_SECONDS;
    }
  },
  600_000,
);

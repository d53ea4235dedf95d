import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, test } from "vitest";
import { openJobQueue, readDynamicsMatrix, startRun } from "@gdc/db";
import { createTestDatabase, RecordingQueue, seedDataset, seedUser, type TestDatabase } from "@gdc/db/testing";
import { trainJob } from "../src/jobs/train.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const onPostgres = Boolean(process.env.DATABASE_URL);
let t: TestDatabase;
// These tests call the jobs directly: what they enqueue is recorded, never run.
const queue = new RecordingQueue();
const log = () => {};

// Small enough for CI, large enough that an epoch takes a noticeable moment.
const modelConfig = { model: { architecture: "gru", embeddingSize: 8, hiddenSize: 24, layers: 1 }, batchSize: 16, maxTokens: 40, learningRate: 0.01 };
const records = Array.from({ length: 320 }, (_, i) => ({
  id: `p-${i}`,
  text: `passage ${i}: ${"call me ishmael some years ago never mind how long precisely".slice(0, 20 + (i % 37))}`,
}));

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => t?.dispose());

async function newRun(actor: Parameters<typeof startRun>[2], versionId: string) {
  return startRun(t.db, queue, actor, { allowDraft: true, versionId, epochs: 4, seed: 7, modelConfig });
}

test.runIf(onPostgres)("a worker killed mid-run is resumed by another: same dynamics as an uninterrupted run, nothing lost or duplicated", async () => {
  const { actor } = await seedUser(t.db, "ENGINEER");
  const { version } = await seedDataset(t.db, actor, { records });

  const reference = await newRun(actor, version.id);
  await trainJob({ db: t.db, queue, log }, { runId: reference.id });
  const referenceRun = await t.db.prisma.run.findUniqueOrThrow({ where: { id: reference.id } });
  expect(referenceRun.status).toBe("SUCCEEDED");
  const expected = await readDynamicsMatrix(t.db, reference.id);

  const run = await newRun(actor, version.id);
  const child = spawn(process.execPath, ["--import", "tsx", path.join(here, "fixtures/train-once.ts"), run.id], {
    env: { ...process.env, DATABASE_URL: t.db.connectionString },
    stdio: "ignore",
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  // Kill it as soon as its first epoch is durable.
  for (;;) {
    const [row] = await t.db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM run_checkpoints WHERE run_id = $1::uuid`, [run.id]);
    if (row!.n > 0) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  child.kill("SIGKILL");
  await exited;
  const killed = await t.db.prisma.run.findUniqueOrThrow({ where: { id: run.id } });
  expect(killed.status, "the child finished before it could be killed; the test proves nothing").toBe("RUNNING");

  // Another worker: it takes the run over once its heartbeat is stale.
  process.env.GDC_HEARTBEAT_STALE_SECONDS = "0";
  try {
    await trainJob({ db: t.db, queue, log }, { runId: run.id });
  } finally {
    delete process.env.GDC_HEARTBEAT_STALE_SECONDS;
  }
  const finished = await t.db.prisma.run.findUniqueOrThrow({ where: { id: run.id } });
  expect(finished.status).toBe("SUCCEEDED");
  expect((finished.metrics as { resumedAtEpoch: number | null }).resumedAtEpoch).toBeGreaterThanOrEqual(1);

  const actual = await readDynamicsMatrix(t.db, run.id);
  expect(actual.epochs).toBe(4);
  expect(Array.from(actual.loss)).toEqual(Array.from(expected.loss));
  expect(Array.from(actual.acc)).toEqual(Array.from(expected.acc));

  const events = await t.db.prisma.auditEvent.findMany({ where: { targetType: "Run", targetId: run.id }, orderBy: { seq: "asc" } });
  const actions = events.map((e) => e.action);
  expect(actions.filter((a) => a === "run.trained")).toHaveLength(1);
  expect(actions.filter((a) => a === "run.score")).toHaveLength(1);
  expect(actions).toContain("run.resume");
  const [blocks] = await t.db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM dynamics_blocks WHERE run_id = $1::uuid`, [run.id]);
  expect(blocks!.n).toBe(4); // 4 epochs × 1 block of ≤ 4096 examples
  const scores = await t.db.prisma.exampleScore.count({ where: { runId: run.id } });
  expect(scores).toBe(records.length);
});

test("a second train job for a run that a live worker holds does nothing", async () => {
  const { actor } = await seedUser(t.db, "ENGINEER");
  const { version } = await seedDataset(t.db, actor, { examples: 20 });
  const run = await newRun(actor, version.id);
  await t.db.sql(`UPDATE runs SET status = 'RUNNING', heartbeat_at = now() WHERE id = $1::uuid`, [run.id]);
  await trainJob({ db: t.db, queue, log }, { runId: run.id });
  const after = await t.db.prisma.run.findUniqueOrThrow({ where: { id: run.id } });
  expect(after.status).toBe("RUNNING");
  expect(await t.db.prisma.runCheckpoint.count({ where: { runId: run.id } })).toBe(0);
});

test("embedded store: a run left RUNNING by a stopped process is resumed at the next start, fresh heartbeat or not", async () => {
  const embedded = await createTestDatabase({ store: "pglite" });
  const local = await openJobQueue(embedded.db);
  try {
    const { actor } = await seedUser(embedded.db, "ENGINEER");
    const { version } = await seedDataset(embedded.db, actor, { records: records.slice(0, 40) });
    const run = await startRun(embedded.db, local, actor, { allowDraft: true, versionId: version.id, epochs: 2, seed: 3, modelConfig });
    await local.stop(); // the process "stops" before the queued job runs…
    await embedded.db.sql(`UPDATE runs SET status = 'RUNNING', heartbeat_at = now() WHERE id = $1::uuid`, [run.id]); // …mid-run
    const restarted = await openJobQueue(embedded.db);
    const { startWorker } = await import("../src/worker.ts");
    await startWorker({ db: embedded.db, queue: restarted, log });
    await restarted.idle();
    await restarted.stop();
    const finished = await embedded.db.prisma.run.findUniqueOrThrow({ where: { id: run.id } });
    expect(finished.status).toBe("SUCCEEDED");
    expect(await embedded.db.prisma.exampleScore.count({ where: { runId: run.id } })).toBe(40);
  } finally {
    await embedded.dispose();
  }
});

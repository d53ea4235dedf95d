import { afterAll, beforeAll, expect, test } from "vitest";
import { createExternalRun, finishRun, ingestDynamics, openJobQueue, type Database, type JobQueue } from "@gdc/db";
import { createTestDatabase, seedDataset, seedUser, type TestDatabase } from "@gdc/db/testing";
import { startWorker } from "../src/index.ts";

const onPostgres = Boolean(process.env.DATABASE_URL);
const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

/** An external run of `n` examples × 4 epochs whose dynamics are all in, finished through the queue. */
async function finishedRun(db: Database, queue: JobQueue, n: number) {
  const { actor } = await seedUser(db, "ENGINEER");
  const { version } = await seedDataset(db, actor, { examples: n });
  const run = await createExternalRun(db, actor, { allowDraft: true, versionId: version.id, epochs: 4, framework: "jax" });
  const cells = Array.from({ length: n * 4 }, (_, c) => {
    const i = Math.floor(c / 4);
    const epoch = c % 4;
    const loss = ((i * 7919) % 13) / 5 + (epoch % 2) * ((i % 3) / 2);
    return { exampleKey: `ex-${i}`, epoch, loss, accuracy: loss < 1 ? 1 : 0 };
  });
  await ingestDynamics(db, actor, { runId: run.id, cells });
  await finishRun(db, queue, actor, { runId: run.id });
  return run;
}

async function waitForStatus(db: Database, runId: string, statuses: string[], timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await db.prisma.run.findUniqueOrThrow({ where: { id: runId } });
    if (statuses.includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${run.status}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

let pg: TestDatabase | undefined;
beforeAll(async () => {
  if (onPostgres) {
    pg = await createTestDatabase();
    cleanup.push(() => pg!.dispose());
  }
});

test.runIf(onPostgres)("pg-boss: finishRun's score job is taken by a worker and scores the run", async () => {
  const db = pg!.db;
  const api = await openJobQueue(db, { pollingIntervalSeconds: 0.5 });
  const worker = await openJobQueue(db, { pollingIntervalSeconds: 0.5 });
  cleanup.push(
    () => api.stop(),
    () => worker.stop(),
  );
  expect(worker.kind).toBe("pg-boss");
  const logs: string[] = [];
  await startWorker({ db, queue: worker, log: (m) => logs.push(m) });
  const run = await finishedRun(db, api, 25);
  const scored = await waitForStatus(db, run.id, ["SUCCEEDED", "FAILED"]);
  expect(scored.status).toBe("SUCCEEDED");
  expect(await db.prisma.exampleScore.count({ where: { runId: run.id } })).toBe(25);
  const counts = (scored.metrics as { quadrantCounts: Record<string, number> }).quadrantCounts;
  expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(25);
  expect(logs.some((l) => l.includes(`run ${run.id}: scored 25 examples`))).toBe(true);
});

test("in-process queue (embedded store): the same job scores the run", async () => {
  const t = await createTestDatabase({ store: "pglite" });
  cleanup.push(() => t.dispose());
  const queue = await openJobQueue(t.db);
  cleanup.push(() => queue.stop());
  expect(queue.kind).toBe("in-process");
  await startWorker({ db: t.db, queue, log: () => {} });
  const run = await finishedRun(t.db, queue, 12);
  await queue.idle();
  const scored = await waitForStatus(t.db, run.id, ["SUCCEEDED", "FAILED"]);
  expect(scored.status).toBe("SUCCEEDED");
  expect(await t.db.prisma.exampleScore.count({ where: { runId: run.id } })).toBe(12);
});

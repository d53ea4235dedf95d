import { afterAll, beforeAll, expect, test } from "vitest";
import { openJobQueue, type JobQueue } from "../src/index.ts";
import { createTestDatabase, type TestDatabase } from "../src/testing/index.ts";

const onPostgres = Boolean(process.env.DATABASE_URL);
let t: TestDatabase;
const queues: JobQueue[] = [];
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  for (const q of queues) await q.stop();
  await t?.dispose();
});

test.runIf(onPostgres)("pg-boss: a job enqueued in a committed transaction runs once on one of two workers", async () => {
  const producer = await openJobQueue(t.db, { pollingIntervalSeconds: 0.5 });
  const workerA = await openJobQueue(t.db, { pollingIntervalSeconds: 0.5 });
  const workerB = await openJobQueue(t.db, { pollingIntervalSeconds: 0.5 });
  queues.push(producer, workerA, workerB);
  const seen: string[] = [];
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  for (const [label, q] of [
    ["A", workerA],
    ["B", workerB],
  ] as const) {
    await q.work("score", async (data) => {
      seen.push(`${label}:${data.runId}`);
      resolveDone();
    });
  }
  // enqueued inside a transaction that rolls back: must never run
  await expect(
    t.db.prisma.$transaction(async (tx) => {
      await producer.enqueue("score", { runId: "rolled-back" }, { tx });
      throw new Error("roll back");
    }),
  ).rejects.toThrow("roll back");
  await t.db.prisma.$transaction(async (tx) => {
    await producer.enqueue("score", { runId: "committed" }, { tx });
  });
  await done;
  await new Promise((r) => setTimeout(r, 1500));
  expect(seen.map((s) => s.split(":")[1])).toEqual(["committed"]);
});

test("in-process queue (embedded mode) runs jobs in order, one at a time", async () => {
  const db = (await createTestDatabase({ store: "pglite" })).db;
  const q = await openJobQueue(db);
  queues.push(q);
  expect(q.kind).toBe("in-process");
  const order: string[] = [];
  let active = 0;
  let maxActive = 0;
  await q.work("score", async ({ runId }) => {
    active++;
    maxActive = Math.max(maxActive, active);
    await new Promise((r) => setTimeout(r, 5));
    order.push(runId);
    active--;
  });
  for (const id of ["a", "b", "c"]) await q.enqueue("score", { runId: id });
  await q.idle();
  expect(order).toEqual(["a", "b", "c"]);
  expect(maxActive).toBe(1);
  await db.close();
});

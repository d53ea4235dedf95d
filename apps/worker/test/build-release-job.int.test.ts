import { afterAll, beforeAll, expect, test } from "vitest";
import { openJobQueue, type JobQueue } from "@gdc/db";
import { createTestDatabase, seedDataset, seedUser, type TestDatabase } from "@gdc/db/testing";
import { startWorker } from "../src/worker.ts";

let t: TestDatabase;
let queue: JobQueue;
beforeAll(async () => {
  t = await createTestDatabase();
  queue = await openJobQueue(t.db, { pollingIntervalSeconds: 0.5 });
  await startWorker({ db: t.db, queue, log: () => {} });
});
afterAll(async () => {
  await queue?.stop();
  await t?.dispose();
});

async function waitFor<T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 120; i++) {
    const v = await read();
    if (done(v)) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error("timed out waiting for the job");
}

test("the build-release job releases a version through the queue, excluding canaries, in the requester's name", async () => {
  const { actor, user } = await seedUser(t.db, "ENGINEER");
  const { version } = await seedDataset(t.db, actor, { examples: 12, canaries: 2 });
  await queue.enqueue("build-release", { versionId: version.id, actorUserId: user.id });
  const released = await waitFor(
    () => t.db.prisma.datasetVersion.findUniqueOrThrow({ where: { id: version.id }, include: { release: true } }),
    (v) => v.status === "RELEASED",
  );
  expect(released.release?.releasedById).toBe(user.id);
  expect(released.contentHash).toMatch(/^[0-9a-f]{64}$/);
  expect(await t.db.prisma.versionExample.count({ where: { versionId: version.id } })).toBe(12);
  const event = await t.db.prisma.auditEvent.findFirst({ where: { targetId: version.id, action: { contains: "release" } } });
  expect(event?.actorId).toBe(user.id);
});

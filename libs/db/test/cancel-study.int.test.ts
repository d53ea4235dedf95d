// cancelStudy (issue 15): a QUEUED or RUNNING study becomes CANCELLED with its audit event in the
// same transaction; an ended one is refused with CONFLICT naming its status; the worker's claim
// on a cancelled study is over: its progress write answers false (the worker's cue to abort),
// its finish and fail are refused, and the status stays CANCELLED.
import { afterAll, beforeAll, expect, test } from "vitest";
import { cancelStudy, claimStudy, DomainError, failStudy, finishStudy, startStudy, systemActor, writeStudyProgress, type Actor } from "../src/index.ts";
import { createTestDatabase, RecordingQueue, seedDataset, seedUser, type TestDatabase } from "../src/testing/index.ts";

let t: TestDatabase;
let engineer: Actor;
const queue = new RecordingQueue();
const worker = systemActor("worker");

beforeAll(async () => {
  t = await createTestDatabase();
  engineer = (await seedUser(t.db, "ENGINEER")).actor;
});
afterAll(async () => t?.dispose());

const auditEvents = async (studyId: string) =>
  (await t.db.prisma.auditEvent.findMany({ where: { targetType: "Study", targetId: studyId }, orderBy: { seq: "asc" } })).map((e) => ({
    action: e.action,
    actorId: e.actorId,
    before: e.before,
    after: e.after,
  }));

async function queuedStudy() {
  const { version } = await seedDataset(t.db, engineer, { examples: 6 });
  return startStudy(t.db, queue, engineer, { versionId: version.id, config: { quick: true, seeds: [1], epochs: 2, references: 50 } });
}

async function refused(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  expect((err as DomainError).code).toBe("CONFLICT");
  return (err as DomainError).message;
}

const row = (id: string) => t.db.prisma.study.findUniqueOrThrow({ where: { id } });

test("a QUEUED study is cancelled, audited; its job then finds nothing to claim", async () => {
  const study = await queuedStudy();
  const cancelled = await cancelStudy(t.db, engineer, { studyId: study.id });
  expect(cancelled.status).toBe("CANCELLED");
  expect(cancelled.finishedAt).not.toBeNull();
  expect((await auditEvents(study.id)).slice(1)).toEqual([
    { action: "study.cancel", actorId: engineer.userId, before: { status: "QUEUED" }, after: { status: "CANCELLED" } },
  ]);
  expect(await claimStudy(t.db, worker, { studyId: study.id, staleAfterSeconds: 0 })).toBeNull();
  expect((await row(study.id)).status).toBe("CANCELLED");
});

test("a RUNNING study is cancelled; the old claim's progress is refused (false), its finish and fail are refused; it stays CANCELLED", async () => {
  const study = await queuedStudy();
  const claim = (await claimStudy(t.db, worker, { studyId: study.id }))!;
  expect(
    await writeStudyProgress(t.db, { studyId: study.id, claimId: claim.claimId, progress: { phase: "train", heartbeatAt: new Date().toISOString() } }),
  ).toBe(true);
  await cancelStudy(t.db, engineer, { studyId: study.id });

  expect(await writeStudyProgress(t.db, { studyId: study.id, claimId: claim.claimId, progress: { phase: "late" } })).toBe(false);
  expect(await refused(finishStudy(t.db, worker, { studyId: study.id, claimId: claim.claimId, report: { x: 1 }, summary: {}, trainings: 1 }))).toMatch(
    /is CANCELLED, not RUNNING/,
  );
  expect(await refused(failStudy(t.db, worker, { studyId: study.id, claimId: claim.claimId, error: "aborted" }))).toMatch(/is CANCELLED, not RUNNING/);
  // Not resumable either, however stale its heartbeat.
  expect(await claimStudy(t.db, worker, { studyId: study.id, staleAfterSeconds: 0 })).toBeNull();

  const after = await row(study.id);
  expect(after.status).toBe("CANCELLED");
  expect(after.report).toBeNull();
  expect(after.error).toBeNull();
  expect((after.progress as { phase: string }).phase).toBe("train");
  expect((await auditEvents(study.id)).map((e) => e.action)).toEqual(["study.start", "study.claim", "study.cancel"]);
  expect((await auditEvents(study.id)).at(-1)).toMatchObject({ before: { status: "RUNNING" }, after: { status: "CANCELLED" } });
});

test("an ended study is refused with CONFLICT naming its status, and nothing is written", async () => {
  const succeeded = await queuedStudy();
  const c1 = (await claimStudy(t.db, worker, { studyId: succeeded.id }))!;
  await finishStudy(t.db, worker, { studyId: succeeded.id, claimId: c1.claimId, report: { ok: true }, summary: {}, trainings: 1 });
  expect(await refused(cancelStudy(t.db, engineer, { studyId: succeeded.id }))).toMatch(/is SUCCEEDED and can no longer be cancelled/);

  const failed = await queuedStudy();
  const c2 = (await claimStudy(t.db, worker, { studyId: failed.id }))!;
  await failStudy(t.db, worker, { studyId: failed.id, claimId: c2.claimId, error: "boom" });
  expect(await refused(cancelStudy(t.db, engineer, { studyId: failed.id }))).toMatch(/is FAILED and can no longer be cancelled/);

  const cancelled = await queuedStudy();
  await cancelStudy(t.db, engineer, { studyId: cancelled.id });
  expect(await refused(cancelStudy(t.db, engineer, { studyId: cancelled.id }))).toMatch(/is CANCELLED and can no longer be cancelled/);

  expect((await row(succeeded.id)).status).toBe("SUCCEEDED");
  expect((await row(failed.id)).status).toBe("FAILED");
  expect((await auditEvents(succeeded.id)).map((e) => e.action)).toEqual(["study.start", "study.claim", "study.succeed"]);
  expect((await auditEvents(failed.id)).map((e) => e.action)).toEqual(["study.start", "study.claim", "study.fail"]);
  expect((await auditEvents(cancelled.id)).map((e) => e.action)).toEqual(["study.start", "study.cancel"]);
});

test("an unknown study is NOT_FOUND", async () => {
  const err = await cancelStudy(t.db, engineer, { studyId: "00000000-0000-7000-8000-000000000000" }).catch((e: unknown) => e);
  expect((err as DomainError).code).toBe("NOT_FOUND");
});

// The worker's transitions as audited services (issue 12): claim, heartbeat, checkpoint, finish and
// fail of runs and studies, on the real database, including the refusals: a transition on a run or
// study that is no longer RUNNING, or that another worker's claim took over, changes nothing.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  beatRun,
  cancelRun,
  claimRun,
  claimStudy,
  DomainError,
  failClaimedRun,
  failStudy,
  finishRunTraining,
  finishStudy,
  saveRunCheckpoint,
  startRun,
  startStudy,
  systemActor,
  writeStudyProgress,
  type Actor,
} from "../src/index.ts";
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

const auditActions = async (targetType: string, targetId: string) =>
  (await t.db.prisma.auditEvent.findMany({ where: { targetType, targetId }, orderBy: { seq: "asc" } })).map((e) => e.action);

async function queuedRun() {
  const { version } = await seedDataset(t.db, engineer, { examples: 6 });
  return startRun(t.db, queue, engineer, { versionId: version.id, epochs: 2, seed: 1, allowDraft: true });
}

async function queuedStudy() {
  const { version } = await seedDataset(t.db, engineer, { examples: 6 });
  return startStudy(t.db, queue, engineer, { versionId: version.id, config: { quick: true, seeds: [1], epochs: 2, references: 50 } });
}

/** Awaits a promise that must be refused with CONFLICT; returns the message. */
async function refused(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  expect((err as DomainError).code).toBe("CONFLICT");
  return (err as DomainError).message;
}

const fourValues = () => ({ loss: Float32Array.from([1, 2, 3, 4, 5, 6]), acc: Float32Array.from([0, 0, 1, 1, 0, 1]) });

describe("runs", () => {
  test("claim: QUEUED → RUNNING under a claim, audited; a live claim is not taken twice", async () => {
    const run = await queuedRun();
    const claim = await claimRun(t.db, worker, { runId: run.id, staleAfterSeconds: 120 });
    expect(claim).not.toBeNull();
    expect(claim!.resumed).toBe(false);
    expect(claim!.run.status).toBe("RUNNING");
    expect(claim!.run.claimId).toBe(claim!.claimId);
    expect(await claimRun(t.db, worker, { runId: run.id, staleAfterSeconds: 120 })).toBeNull();
    expect(await auditActions("Run", run.id)).toEqual(["run.start", "run.claim"]);
  });

  test("two workers claiming one QUEUED run at once: exactly one wins", async () => {
    const run = await queuedRun();
    const claims = await Promise.all([0, 1, 2].map(() => claimRun(t.db, worker, { runId: run.id, staleAfterSeconds: 120 })));
    expect(claims.filter((c) => c !== null)).toHaveLength(1);
    expect((await auditActions("Run", run.id)).filter((a) => a === "run.claim")).toHaveLength(1);
  });

  test("heartbeat, checkpoint and finish under the claim: RUNNING → SCORING with the metrics, audited", async () => {
    const run = await queuedRun();
    const claim = (await claimRun(t.db, worker, { runId: run.id }))!;
    expect(
      await beatRun(t.db, { runId: run.id, claimId: claim.claimId, progress: { epoch: 0, step: 3, steps: 6, examplesPerSecond: 10, etaSeconds: 1 } }),
    ).toBe(true);
    expect((await t.db.prisma.run.findUniqueOrThrow({ where: { id: run.id } })).progressStep).toBe(3);
    await saveRunCheckpoint(t.db, { runId: run.id, claimId: claim.claimId, epoch: 0, state: new Uint8Array([1, 2, 3]), ...fourValues() });
    expect(await t.db.prisma.runCheckpoint.count({ where: { runId: run.id } })).toBe(1);
    const done = await finishRunTraining(t.db, worker, { runId: run.id, claimId: claim.claimId, metrics: { trainedExamples: 6 } });
    expect(done.status).toBe("SCORING");
    expect(done.progressEpoch).toBe(2);
    expect(done.metrics).toEqual({ trainedExamples: 6 });
    expect(await auditActions("Run", run.id)).toEqual(["run.start", "run.claim", "run.trained"]);
    // SCORING is no longer the worker's to fail or beat.
    expect(await refused(failClaimedRun(t.db, worker, { runId: run.id, claimId: claim.claimId, error: "late" }))).toMatch(/is SCORING, not RUNNING/);
    expect(await beatRun(t.db, { runId: run.id, claimId: claim.claimId })).toBe(false);
    expect((await t.db.prisma.run.findUniqueOrThrow({ where: { id: run.id } })).status).toBe("SCORING");
    expect(await auditActions("Run", run.id)).toEqual(["run.start", "run.claim", "run.trained"]);
  });

  test("fail under the claim: RUNNING → FAILED with the error, audited with the status before", async () => {
    const run = await queuedRun();
    const claim = (await claimRun(t.db, worker, { runId: run.id }))!;
    const failed = await failClaimedRun(t.db, worker, { runId: run.id, claimId: claim.claimId, error: "out of memory" });
    expect(failed.status).toBe("FAILED");
    expect(failed.error).toBe("out of memory");
    expect(failed.finishedAt).not.toBeNull();
    const event = await t.db.prisma.auditEvent.findFirstOrThrow({ where: { targetType: "Run", targetId: run.id, action: "run.fail" } });
    expect(event.before).toEqual({ status: "RUNNING" });
    expect(event.after).toEqual({ status: "FAILED", error: "out of memory" });
    expect(event.actorLabel).toBe("worker");
  });

  test("a paused worker whose run another worker resumed: its heartbeat, checkpoint, finish and fail are refused and change nothing", async () => {
    const run = await queuedRun();
    const paused = (await claimRun(t.db, worker, { runId: run.id }))!;
    // Worker A stops beating; past the stale limit (0 s here) worker B resumes the run.
    const taker = (await claimRun(t.db, worker, { runId: run.id, staleAfterSeconds: 0 }))!;
    expect(taker).not.toBeNull();
    expect(taker.resumed).toBe(true);
    expect(taker.claimId).not.toBe(paused.claimId);

    expect(await beatRun(t.db, { runId: run.id, claimId: paused.claimId })).toBe(false);
    expect(await refused(saveRunCheckpoint(t.db, { runId: run.id, claimId: paused.claimId, epoch: 0, state: new Uint8Array([9]), ...fourValues() }))).toMatch(
      /claimed by another worker/,
    );
    expect(await refused(finishRunTraining(t.db, worker, { runId: run.id, claimId: paused.claimId, metrics: {} }))).toMatch(/claimed by another worker/);
    expect(await refused(failClaimedRun(t.db, worker, { runId: run.id, claimId: paused.claimId, error: "paused" }))).toMatch(/claimed by another worker/);

    const row = await t.db.prisma.run.findUniqueOrThrow({ where: { id: run.id } });
    expect(row.status).toBe("RUNNING");
    expect(row.claimId).toBe(taker.claimId);
    expect(row.error).toBeNull();
    expect(await t.db.prisma.runCheckpoint.count({ where: { runId: run.id } })).toBe(0);
    expect(await t.db.prisma.dynamicsBlock.count({ where: { runId: run.id } })).toBe(0);
    expect(await auditActions("Run", run.id)).toEqual(["run.start", "run.claim", "run.resume"]);

    // The worker holding the claim carries on.
    expect(await beatRun(t.db, { runId: run.id, claimId: taker.claimId })).toBe(true);
    expect((await finishRunTraining(t.db, worker, { runId: run.id, claimId: taker.claimId, metrics: {} })).status).toBe("SCORING");
  });

  test("a cancelled run: the worker's checkpoint, finish and fail are refused; it stays CANCELLED", async () => {
    const run = await queuedRun();
    const claim = (await claimRun(t.db, worker, { runId: run.id }))!;
    await cancelRun(t.db, engineer, { runId: run.id });
    expect(await beatRun(t.db, { runId: run.id, claimId: claim.claimId })).toBe(false);
    expect(await refused(saveRunCheckpoint(t.db, { runId: run.id, claimId: claim.claimId, epoch: 0, state: new Uint8Array([1]), ...fourValues() }))).toMatch(
      /is CANCELLED/,
    );
    expect(await refused(finishRunTraining(t.db, worker, { runId: run.id, claimId: claim.claimId, metrics: {} }))).toMatch(/is CANCELLED/);
    expect(await refused(failClaimedRun(t.db, worker, { runId: run.id, claimId: claim.claimId, error: "x" }))).toMatch(/is CANCELLED/);
    const row = await t.db.prisma.run.findUniqueOrThrow({ where: { id: run.id } });
    expect(row.status).toBe("CANCELLED");
    expect(row.error).toBeNull();
    expect(await claimRun(t.db, worker, { runId: run.id, staleAfterSeconds: 0 })).toBeNull();
    expect(await auditActions("Run", run.id)).toEqual(["run.start", "run.claim", "run.cancel"]);
  });

  test("a QUEUED run was never claimed: finish and fail with any claim id are refused", async () => {
    const run = await queuedRun();
    const claimId = "00000000-0000-4000-8000-000000000000";
    expect(await refused(finishRunTraining(t.db, worker, { runId: run.id, claimId, metrics: {} }))).toMatch(/is QUEUED/);
    expect(await refused(failClaimedRun(t.db, worker, { runId: run.id, claimId, error: "x" }))).toMatch(/is QUEUED/);
    expect((await t.db.prisma.run.findUniqueOrThrow({ where: { id: run.id } })).status).toBe("QUEUED");
  });
});

describe("studies", () => {
  test("claim, progress and finish under the claim: QUEUED → RUNNING → SUCCEEDED, audited", async () => {
    const study = await queuedStudy();
    const claim = (await claimStudy(t.db, worker, { studyId: study.id, staleAfterSeconds: 120 }))!;
    expect(claim.resumed).toBe(false);
    expect(claim.study.status).toBe("RUNNING");
    expect(await claimStudy(t.db, worker, { studyId: study.id, staleAfterSeconds: 120 })).toBeNull();
    expect(
      await writeStudyProgress(t.db, { studyId: study.id, claimId: claim.claimId, progress: { phase: "training", heartbeatAt: new Date().toISOString() } }),
    ).toBe(true);
    expect(((await t.db.prisma.study.findUniqueOrThrow({ where: { id: study.id } })).progress as { phase: string }).phase).toBe("training");
    const done = await finishStudy(t.db, worker, {
      studyId: study.id,
      claimId: claim.claimId,
      report: { summary: { ok: true } },
      summary: { ok: true },
      trainings: 3,
    });
    expect(done.status).toBe("SUCCEEDED");
    expect(done.report).toEqual({ summary: { ok: true } });
    expect(done.progress).toMatchObject({ phase: "done", trainings: 3, trainingsDone: 3 });
    expect(await auditActions("Study", study.id)).toEqual(["study.start", "study.claim", "study.succeed"]);
    // A finished study is no longer the worker's: a late fail or progress write is refused.
    expect(await refused(failStudy(t.db, worker, { studyId: study.id, claimId: claim.claimId, error: "late" }))).toMatch(/is SUCCEEDED, not RUNNING/);
    expect(await writeStudyProgress(t.db, { studyId: study.id, claimId: claim.claimId, progress: { phase: "late" } })).toBe(false);
    const row = await t.db.prisma.study.findUniqueOrThrow({ where: { id: study.id } });
    expect(row.status).toBe("SUCCEEDED");
    expect(row.error).toBeNull();
    expect(await auditActions("Study", study.id)).toEqual(["study.start", "study.claim", "study.succeed"]);
  });

  test("fail under the claim: RUNNING → FAILED, audited", async () => {
    const study = await queuedStudy();
    const claim = (await claimStudy(t.db, worker, { studyId: study.id }))!;
    const failed = await failStudy(t.db, worker, { studyId: study.id, claimId: claim.claimId, error: "config.seeds: bad" });
    expect(failed.status).toBe("FAILED");
    expect(failed.error).toBe("config.seeds: bad");
    expect(await auditActions("Study", study.id)).toEqual(["study.start", "study.claim", "study.fail"]);
  });

  test("a paused worker whose study another worker resumed: its progress, finish and fail are refused and change nothing", async () => {
    const study = await queuedStudy();
    const paused = (await claimStudy(t.db, worker, { studyId: study.id }))!;
    const taker = (await claimStudy(t.db, worker, { studyId: study.id, staleAfterSeconds: 0 }))!;
    expect(taker).not.toBeNull();
    expect(taker.resumed).toBe(true);
    expect(await writeStudyProgress(t.db, { studyId: study.id, claimId: paused.claimId, progress: { phase: "stale" } })).toBe(false);
    expect(await refused(finishStudy(t.db, worker, { studyId: study.id, claimId: paused.claimId, report: {}, summary: {}, trainings: 1 }))).toMatch(
      /claimed by another worker/,
    );
    expect(await refused(failStudy(t.db, worker, { studyId: study.id, claimId: paused.claimId, error: "paused" }))).toMatch(/claimed by another worker/);
    const row = await t.db.prisma.study.findUniqueOrThrow({ where: { id: study.id } });
    expect(row.status).toBe("RUNNING");
    expect(row.report).toBeNull();
    expect(row.claimId).toBe(taker.claimId);
    expect((row.progress as { phase: string }).phase).toBe("starting");
    expect(await auditActions("Study", study.id)).toEqual(["study.start", "study.claim", "study.resume"]);
    expect((await finishStudy(t.db, worker, { studyId: study.id, claimId: taker.claimId, report: {}, summary: {}, trainings: 1 })).status).toBe("SUCCEEDED");
  });

  test("a QUEUED study was never claimed: finish and fail are refused", async () => {
    const study = await queuedStudy();
    const claimId = "00000000-0000-4000-8000-000000000000";
    expect(await refused(finishStudy(t.db, worker, { studyId: study.id, claimId, report: {}, summary: {}, trainings: 1 }))).toMatch(/is QUEUED/);
    expect(await refused(failStudy(t.db, worker, { studyId: study.id, claimId, error: "x" }))).toMatch(/is QUEUED/);
    expect((await t.db.prisma.study.findUniqueOrThrow({ where: { id: study.id } })).status).toBe("QUEUED");
  });
});

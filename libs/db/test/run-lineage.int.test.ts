// Runs train on released versions (a DRAFT only with allowDraft), and a release records the
// lineage run → parent → child (issue 14: "a version flow that keeps what was trained on").
import { afterAll, beforeAll, expect, test } from "vitest";
import {
  createDraftVersion,
  createExternalRun,
  proposeInterventions,
  releaseVersion,
  reviewInterventions,
  startRun,
  versionLineage,
  type Actor,
} from "../src/index.ts";
import { createTestDatabase, RecordingQueue, seedDataset, seedUser, type TestDatabase } from "../src/testing/index.ts";

let t: TestDatabase;
let engineer: Actor;
let reviewer: Actor;
let admin: Actor;
beforeAll(async () => {
  t = await createTestDatabase();
  engineer = (await seedUser(t.db, "ENGINEER")).actor;
  reviewer = (await seedUser(t.db, "REVIEWER")).actor;
  admin = (await seedUser(t.db, "ADMIN")).actor;
});
afterAll(async () => t?.dispose());

const runCount = (versionId: string) => t.db.prisma.run.count({ where: { versionId } });
const snapshot = async (runId: string) =>
  t.db.sql<{ key: string; is_canary: boolean }>(
    `SELECT e.key, e.is_canary FROM run_examples re JOIN examples e ON e.id = re.example_id WHERE re.run_id = $1 ORDER BY re.ordinal`,
    [runId],
  );

test("a run trains on a released version: a DRAFT is refused unless allowDraft; a released version's run takes the canaries its release left out", async () => {
  const { version: v1 } = await seedDataset(t.db, engineer, { examples: 6, canaries: 2 });
  const queue = new RecordingQueue();
  const refusal = { code: "CONFLICT", message: expect.stringMatching(/is a DRAFT: a run trains on a released, immutable version.*allowDraft/) };
  await expect(startRun(t.db, queue, engineer, { versionId: v1.id, epochs: 2, seed: 1 })).rejects.toMatchObject(refusal);
  await expect(createExternalRun(t.db, engineer, { versionId: v1.id, epochs: 2 })).rejects.toMatchObject(refusal);
  await expect(createExternalRun(t.db, engineer, { versionId: v1.id, epochs: 2, allowDraft: false })).rejects.toMatchObject(refusal);
  expect(await runCount(v1.id)).toBe(0);
  expect(queue.jobs).toHaveLength(0);

  // Explicitly exploratory: the snapshot of the draft (its canaries included) is all there is.
  const exploratory = await startRun(t.db, queue, engineer, { versionId: v1.id, epochs: 2, seed: 1, allowDraft: true });
  expect((await snapshot(exploratory.id)).filter((r) => r.is_canary)).toHaveLength(2);
  const [event] = await t.db.prisma.auditEvent.findMany({ where: { targetId: exploratory.id, action: "run.start" } });
  expect(event!.after).toMatchObject({ onDraft: true, canaries: true, examples: 8 });

  await releaseVersion(t.db, admin, { versionId: v1.id });
  // Tracked: v1's members plus the two canaries its release left out (the privacy audit).
  const tracked = await startRun(t.db, queue, engineer, { versionId: v1.id, epochs: 2, seed: 1 });
  const rows = await snapshot(tracked.id);
  expect(rows.map((r) => r.key)).toEqual([...Array.from({ length: 6 }, (_, i) => `ex-${i}`), "canary-0", "canary-1"]);
  expect((await startRun(t.db, queue, engineer, { versionId: v1.id, epochs: 2, seed: 1, canaries: false })).id).toBeTruthy();
  // External: what the trainer can have, the release (its export holds no canaries), unless asked.
  const external = await createExternalRun(t.db, engineer, { versionId: v1.id, epochs: 2 });
  expect((await snapshot(external.id)).some((r) => r.is_canary)).toBe(false);
  expect(external.progressSteps).toBe(12);
  const withCanaries = await createExternalRun(t.db, engineer, { versionId: v1.id, epochs: 2, canaries: true });
  expect(await snapshot(withCanaries.id)).toHaveLength(8);
  const [externalEvent] = await t.db.prisma.auditEvent.findMany({ where: { targetId: external.id, action: "run.createExternal" } });
  expect(externalEvent!.after).toMatchObject({ onDraft: false, canaries: false, examples: 6 });
});

test("the lineage names every run behind the applied interventions, and whether it trained on a draft; a draft shows what its release would record", async () => {
  const { version: v1 } = await seedDataset(t.db, engineer, { examples: 6 });
  await releaseVersion(t.db, admin, { versionId: v1.id });
  const onV1 = await createExternalRun(t.db, engineer, { versionId: v1.id, epochs: 1, name: "on v1" });
  const v2 = await createDraftVersion(t.db, engineer, { parentVersionId: v1.id });
  const onV2 = await createExternalRun(t.db, engineer, { versionId: v2.id, epochs: 1, name: "exploratory on v2", allowDraft: true });
  const ids = async (versionId: string) =>
    new Map(
      (
        await t.db.sql<{ key: string; id: string }>(
          `SELECT e.key, e.id FROM version_examples ve JOIN examples e ON e.id = ve.example_id WHERE ve.version_id = $1`,
          [versionId],
        )
      ).map((r) => [r.key, r.id]),
    );
  const byKey = await ids(v2.id);
  const proposals = [
    await proposeInterventions(t.db, engineer, {
      versionId: v2.id,
      runId: onV1.id,
      exampleIds: [byKey.get("ex-0")!],
      action: "PRUNE",
      reason: "from v1's run",
    }),
    await proposeInterventions(t.db, engineer, {
      versionId: v2.id,
      runId: onV2.id,
      exampleIds: [byKey.get("ex-1")!],
      action: "PRUNE",
      reason: "from v2's run",
    }),
    await proposeInterventions(t.db, engineer, { versionId: v2.id, exampleIds: [byKey.get("ex-2")!], action: "PRUNE", reason: "by hand, no run" }),
    await proposeInterventions(t.db, engineer, { versionId: v2.id, runId: onV1.id, exampleIds: [byKey.get("ex-3")!], action: "PRUNE", reason: "rejected" }),
  ];
  const [a, b, c, rejected] = proposals.map((p) => p.interventions[0]!.id);
  await reviewInterventions(t.db, reviewer, { interventionIds: [a!, b!, c!], decision: "APPROVE", reason: "ok" });
  await reviewInterventions(t.db, reviewer, { interventionIds: [rejected!], decision: "REJECT", reason: "keep" });

  const expected = [
    { runId: onV1.id, versionId: v1.id, onDraft: false },
    { runId: onV2.id, versionId: v2.id, onDraft: true },
  ].sort((x, y) => x.runId.localeCompare(y.runId));
  expect(await versionLineage(t.db, v2.id)).toEqual({ versionId: v2.id, released: false, parentVersionId: v1.id, runs: expected, recorded: false });
  const release = await releaseVersion(t.db, admin, { versionId: v2.id });
  expect((release.lineage as { runs: unknown }).runs).toEqual(expected);
  expect(await versionLineage(t.db, v2.id)).toEqual({ versionId: v2.id, released: true, parentVersionId: v1.id, runs: expected, recorded: true });
  // v1 has no parent and applied nothing.
  expect(await versionLineage(t.db, v1.id)).toEqual({ versionId: v1.id, released: true, parentVersionId: null, runs: [], recorded: true });
  expect(await versionLineage(t.db, "00000000-0000-7000-8000-000000000000")).toBeNull();
});

// The version flow for a model that trained on a released version: its run's scores apply to a
// child draft's members by example identity, across releases that already pruned some of them
// (issue 14: "reusing that run's scores on a child draft proposed 0 and skipped 17").
import { afterAll, beforeAll, expect, test } from "vitest";
import {
  createDraftVersion,
  createExternalRun,
  finishRun,
  ingestDynamics,
  proposeInterventions,
  releaseVersion,
  reviewInterventions,
  scoreRun,
  systemActor,
  versionLineage,
  type Actor,
  type DynamicsCellInput,
} from "../src/index.ts";
import { createTestDatabase, RecordingQueue, seedDataset, seedUser, type TestDatabase } from "../src/testing/index.ts";

const EXAMPLES = 50;
const POLICY = { name: "pruneTopByMemorization", params: { percent: 10 } };

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

const members = async (versionId: string) =>
  new Set((await t.db.sql<{ example_id: string }>(`SELECT example_id FROM version_examples WHERE version_id = $1`, [versionId])).map((r) => r.example_id));

test("a run on released v1 scores child drafts by example identity: each round proposes the top 10 % of what the draft still holds", async () => {
  const { version: v1 } = await seedDataset(t.db, engineer, { examples: EXAMPLES });
  await releaseVersion(t.db, admin, { versionId: v1.id });

  // The model trains on the released, immutable v1 (an external trainer sends its dynamics).
  const run = await createExternalRun(t.db, engineer, { versionId: v1.id, epochs: 2, framework: "pytorch", name: "on v1" });
  const cells: DynamicsCellInput[] = [];
  for (let i = 0; i < EXAMPLES; i++) {
    // Distinct memorization for every example: the later the index, the larger the drop.
    const early = 2 + (i % 7) * 0.1;
    cells.push(
      { exampleKey: `ex-${i}`, epoch: 0, loss: early, accuracy: 0.5 },
      { exampleKey: `ex-${i}`, epoch: 1, loss: early * (1 - i / (2 * EXAMPLES)), accuracy: 0.5 },
    );
  }
  await ingestDynamics(t.db, engineer, { runId: run.id, cells });
  await finishRun(t.db, new RecordingQueue(), engineer, { runId: run.id });
  expect((await scoreRun(t.db, systemActor("worker"), { runId: run.id })).status).toBe("SUCCEEDED");
  const memorization = new Map((await t.db.prisma.exampleScore.findMany({ where: { runId: run.id } })).map((s) => [s.exampleId, s.memorization]));

  let parent = v1.id;
  const prunedSoFar = new Set<string>();
  for (const round of [1, 2]) {
    const child = await createDraftVersion(t.db, engineer, { parentVersionId: parent });
    const held = await members(child.id);
    const proposal = await proposeInterventions(t.db, engineer, { versionId: child.id, runId: run.id, policy: POLICY });
    // 10 % of what the child holds, never an example an earlier release pruned.
    expect(proposal.proposed, `round ${round}`).toBe(Math.floor(held.size / 10));
    expect(proposal.skipped).toBe(0);
    const chosen = proposal.interventions.map((i) => i.exampleId);
    expect(chosen.every((id) => held.has(id) && !prunedSoFar.has(id))).toBe(true);
    // …and they are the top of the child's members by the run's memorization.
    const ranked = [...held].sort((a, b) => memorization.get(b)! - memorization.get(a)!);
    expect(new Set(chosen)).toEqual(new Set(ranked.slice(0, chosen.length)));

    await reviewInterventions(t.db, reviewer, { interventionIds: proposal.interventions.map((i) => i.id), decision: "APPROVE", reason: "memorized" });
    const release = await releaseVersion(t.db, admin, { versionId: child.id });
    // The release records run → parent → child: the run whose interventions it applied, the
    // version that run trained on (v1, released before the run started), and the parent.
    expect(release.lineage).toMatchObject({ parentVersionId: parent, removed: chosen.length, runs: [{ runId: run.id, versionId: v1.id, onDraft: false }] });
    expect(await versionLineage(t.db, child.id)).toEqual({
      versionId: child.id,
      released: true,
      parentVersionId: parent,
      runs: [{ runId: run.id, versionId: v1.id, onDraft: false }],
      recorded: true,
    });
    for (const id of chosen) prunedSoFar.add(id);
    expect([...(await members(child.id))].some((id) => prunedSoFar.has(id))).toBe(false);
    parent = child.id;
  }
  // v1, what the model trained on, is untouched by both curations.
  expect((await members(v1.id)).size).toBe(EXAMPLES);
});

test("a run that scored none of a version's members says so instead of proposing nothing", async () => {
  const { version: v1 } = await seedDataset(t.db, engineer, { examples: 5 });
  await releaseVersion(t.db, admin, { versionId: v1.id });
  const run = await createExternalRun(t.db, engineer, { versionId: v1.id, epochs: 1, framework: "pytorch", name: "one epoch" });
  await ingestDynamics(t.db, engineer, {
    runId: run.id,
    cells: Array.from({ length: 5 }, (_, i) => ({ exampleKey: `ex-${i}`, epoch: 0, loss: 1 + i, accuracy: 0.5 })),
  });
  await finishRun(t.db, new RecordingQueue(), engineer, { runId: run.id });
  await scoreRun(t.db, systemActor("worker"), { runId: run.id });
  // A draft that no longer holds any of the run's examples (emptied directly, as successive
  // releases could prune them all).
  const draft = await createDraftVersion(t.db, engineer, { parentVersionId: v1.id });
  await t.db.sql(`DELETE FROM version_examples WHERE version_id = $1`, [draft.id]);
  await expect(proposeInterventions(t.db, engineer, { versionId: draft.id, runId: run.id, policy: POLICY })).rejects.toMatchObject({
    code: "CONFLICT",
    message: expect.stringMatching(/scored none of the examples version .* holds/),
  });
});

test("a dry run of a policy counts what proposing would do and leaves nothing behind (no intervention, no audit event)", async () => {
  const { version: v1 } = await seedDataset(t.db, engineer, { examples: 20 });
  await releaseVersion(t.db, admin, { versionId: v1.id });
  const draft = await createDraftVersion(t.db, engineer, { parentVersionId: v1.id });
  const run = await createExternalRun(t.db, engineer, { versionId: v1.id, epochs: 2, framework: "pytorch", name: "dry run" });
  await ingestDynamics(t.db, engineer, {
    runId: run.id,
    cells: Array.from({ length: 20 }, (_, i) => [
      { exampleKey: `ex-${i}`, epoch: 0, loss: 2, accuracy: 0.5 },
      { exampleKey: `ex-${i}`, epoch: 1, loss: 2 - i / 20, accuracy: 0.5 },
    ]).flat(),
  });
  await finishRun(t.db, new RecordingQueue(), engineer, { runId: run.id });
  await scoreRun(t.db, systemActor("worker"), { runId: run.id });
  const policy = { name: "pruneTopByMemorization", params: { percent: 25 } };
  const events = async () => t.db.prisma.auditEvent.count();
  const before = await events();

  const preview = await proposeInterventions(t.db, engineer, { versionId: draft.id, runId: run.id, policy, dryRun: true });
  expect(preview).toEqual({ proposed: 5, skipped: 0, interventions: [] });
  expect(await t.db.prisma.intervention.count({ where: { versionId: draft.id } })).toBe(0);
  expect(await events()).toBe(before);

  const real = await proposeInterventions(t.db, engineer, { versionId: draft.id, runId: run.id, policy });
  expect(real.proposed).toBe(5);
  // Proposed already: a second preview says all five would be skipped.
  expect(await proposeInterventions(t.db, engineer, { versionId: draft.id, runId: run.id, policy, dryRun: true })).toMatchObject({ proposed: 0, skipped: 5 });
  // A bad policy is refused in a dry run just as in a real one, naming the field.
  await expect(
    proposeInterventions(t.db, engineer, { versionId: draft.id, runId: run.id, policy: { name: "pruneTopByLoss", params: { percent: 400 } }, dryRun: true }),
  ).rejects.toMatchObject({
    code: "BAD_USER_INPUT",
  });
});

// Governance at the size the product is for: a policy over a large run proposes tens of
// thousands of interventions, and a lasso on the data map selects as many. Both used to read
// their rows back with one bind parameter per id and failed past PostgreSQL's 32,767
// (Prisma P2029, "The query parameter limit supported by your database is exceeded"). Releasing
// them all applies every approved one.
import { afterAll, beforeAll, expect, test } from "vitest";
import {
  createExternalRun,
  finishRun,
  ingestDynamics,
  MAX_CELLS_PER_CHUNK,
  proposeInterventions,
  releaseVersion,
  scoreRun,
  systemActor,
  type Actor,
  type DynamicsCellInput,
} from "../src/index.ts";
import { createTestDatabase, RecordingQueue, seedDataset, seedUser, type TestDatabase } from "../src/testing/index.ts";

const EXAMPLES = 36_000; // enough for proposals and a selection both over 32,767
const PROPOSE_PERCENT = 95; // 34,200 proposals

let t: TestDatabase;
let engineer: Actor;
let versionId: string;
let runId: string;
beforeAll(async () => {
  t = await createTestDatabase();
  engineer = (await seedUser(t.db, "ENGINEER")).actor;
  const { version } = await seedDataset(t.db, engineer, { examples: EXAMPLES });
  versionId = version.id;
  const run = await createExternalRun(t.db, engineer, { allowDraft: true, versionId, epochs: 2, framework: "pytorch", name: "scale" });
  runId = run.id;
  let cells: DynamicsCellInput[] = [];
  const flush = async () => {
    if (cells.length) await ingestDynamics(t.db, engineer, { runId, cells });
    cells = [];
  };
  for (let i = 0; i < EXAMPLES; i++) {
    // Varied losses, so that memorization and difficulty spread.
    const loss0 = 0.2 + ((i * 7919) % 1000) / 250;
    const loss1 = i % 3 === 0 ? loss0 * 1.5 : loss0 / 2;
    cells.push({ exampleKey: `ex-${i}`, epoch: 0, loss: loss0, accuracy: 0.5 }, { exampleKey: `ex-${i}`, epoch: 1, loss: loss1, accuracy: 0.5 });
    if (cells.length >= MAX_CELLS_PER_CHUNK) await flush();
  }
  await flush();
  await finishRun(t.db, new RecordingQueue(), engineer, { runId });
  const scored = await scoreRun(t.db, systemActor("worker"), { runId });
  expect(scored.status).toBe("SUCCEEDED");
}, 300_000);
afterAll(async () => t?.dispose());

test("a policy proposing more interventions than a statement has bind parameters returns every one of them, as stored", async () => {
  const result = await proposeInterventions(t.db, engineer, {
    versionId,
    runId,
    policy: { name: "pruneTopByMemorization", params: { percent: PROPOSE_PERCENT } },
  });
  expect(result.proposed).toBe(Math.round((EXAMPLES * PROPOSE_PERCENT) / 100));
  expect(result.interventions).toHaveLength(result.proposed);
  // Exactly the stored rows, in id order, as the Prisma client reads them.
  const stored = await t.db.prisma.intervention.findMany({ where: { versionId }, orderBy: { id: "asc" } });
  expect(result.interventions).toEqual(stored);
  expect(stored.every((i) => i.status === "PROPOSED" && i.action === "PRUNE" && i.weight === 0 && i.runId === runId)).toBe(true);
}, 120_000);

test("a selection larger than a statement's bind parameters gets each example's scores as evidence", async () => {
  // The same examples, as members of a second draft of the run's dataset.
  const draft = await t.db.sql<{ id: string }>(
    `INSERT INTO dataset_versions (id, dataset_id, number, created_by_id, parent_id)
     SELECT gen_random_uuid(), dataset_id, 2, created_by_id, id FROM dataset_versions WHERE id = $1 RETURNING id`,
    [versionId],
  );
  const draftId = draft[0]!.id;
  await t.db.sql(`INSERT INTO version_examples (version_id, example_id, weight) SELECT $1, example_id, weight FROM version_examples WHERE version_id = $2`, [
    draftId,
    versionId,
  ]);
  const ids = (await t.db.sql<{ example_id: string }>(`SELECT example_id FROM example_scores WHERE run_id = $1 ORDER BY ordinal LIMIT 33000`, [runId])).map(
    (r) => r.example_id,
  );
  const result = await proposeInterventions(t.db, engineer, { versionId: draftId, runId, exampleIds: ids, action: "DOWNWEIGHT", weight: 0.5, reason: "lasso" });
  expect(result.proposed).toBe(ids.length);
  const scores = new Map(
    (await t.db.prisma.exampleScore.findMany({ where: { runId } })).map((s) => [
      s.exampleId,
      { difficulty: s.difficulty, memorization: s.memorization, quadrant: s.quadrant },
    ]),
  );
  for (const i of result.interventions) {
    const evidence = i.evidence as { source: string; runId: string; difficulty: number; memorization: number; quadrant: string; reason: string };
    expect(evidence).toMatchObject({ source: "selection", runId, reason: "lasso", ...scores.get(i.exampleId) });
  }
}, 120_000);

test("releasing applies tens of thousands of approved interventions, and only those", async () => {
  // The first test's proposals on version 1, approved in bulk (reviews are tested elsewhere).
  const proposals = await t.db.prisma.intervention.count({ where: { versionId, status: "PROPOSED" } });
  expect(proposals).toBeGreaterThan(32_767);
  const kept = await t.db.sql<{ id: string }>(`SELECT id FROM interventions WHERE version_id = $1 ORDER BY id LIMIT 10`, [versionId]);
  await t.db.sql(`UPDATE interventions SET status = 'APPROVED' WHERE version_id = $1 AND id <> ALL($2::uuid[])`, [versionId, kept.map((k) => k.id)]);
  const approved = await t.db.sql<{ example_id: string }>(`SELECT example_id FROM interventions WHERE version_id = $1 AND status = 'APPROVED'`, [versionId]);
  const admin = (await seedUser(t.db, "ADMIN")).actor;
  const release = await releaseVersion(t.db, admin, { versionId });
  expect(release.lineage).toMatchObject({ removed: approved.length, reweighted: 0, unreviewed: 10, examples: EXAMPLES - approved.length });
  const members = new Set(
    (await t.db.sql<{ example_id: string }>(`SELECT example_id FROM version_examples WHERE version_id = $1`, [versionId])).map((r) => r.example_id),
  );
  expect(members.size).toBe(EXAMPLES - approved.length);
  expect(approved.some((a) => members.has(a.example_id))).toBe(false);
}, 120_000);

// What a release does, before and after (issue 15): the preview on a draft counts the approved
// prunes and down-weights, the canaries left out and the proposals that leave the queue; after
// release the same rows come back from what the release applied and recorded.
import { afterAll, beforeAll, expect, test } from "vitest";
import { proposeInterventions, releaseChangeCounts, releaseChangeRows, releaseVersion, reviewInterventions, type Actor } from "../src/index.ts";
import { createTestDatabase, seedDataset, seedUser, type TestDatabase } from "../src/testing/index.ts";

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

test("the preview on a draft and the record after release list the same prunes, down-weights and canaries", async () => {
  const { version } = await seedDataset(t.db, engineer, { examples: 12, canaries: 3 });
  const ids = (await t.db.prisma.example.findMany({ where: { datasetId: version.datasetId, isCanary: false }, orderBy: { key: "asc" } })).map((e) => e.id);
  const prune = await proposeInterventions(t.db, engineer, { versionId: version.id, exampleIds: ids.slice(0, 3), action: "PRUNE", reason: "memorized" });
  const down = await proposeInterventions(t.db, engineer, {
    versionId: version.id,
    exampleIds: ids.slice(3, 5),
    action: "DOWNWEIGHT",
    weight: 0.5,
    reason: "hot",
  });
  await proposeInterventions(t.db, engineer, { versionId: version.id, exampleIds: ids.slice(5, 9), action: "PRUNE", reason: "maybe" });
  const rejected = prune.interventions[2]!.id;
  await reviewInterventions(t.db, reviewer, { interventionIds: prune.interventions.slice(0, 2).map((i) => i.id), decision: "APPROVE", reason: "agreed" });
  await reviewInterventions(t.db, reviewer, { interventionIds: [rejected], decision: "REJECT", reason: "not memorized" });
  await reviewInterventions(t.db, reviewer, { interventionIds: down.interventions.map((i) => i.id), decision: "APPROVE", reason: "halve" });

  const preview = await releaseChangeCounts(t.db, version.id);
  expect(preview).toEqual({
    released: false,
    pruned: 2,
    downweighted: 2,
    canariesLeftOut: 3,
    pendingProposals: 4,
    examplesBefore: 15,
    examplesAfter: 10,
    canaryRowsKnown: true,
  });
  const before = await releaseChangeRows(t.db, { versionId: version.id, first: 100 });
  expect(before.rows.map((r) => r.change).sort()).toEqual([
    "CANARY_LEFT_OUT",
    "CANARY_LEFT_OUT",
    "CANARY_LEFT_OUT",
    "DOWNWEIGHTED",
    "DOWNWEIGHTED",
    "PRUNED",
    "PRUNED",
  ]);
  const downRow = before.rows.find((r) => r.change === "DOWNWEIGHTED")!;
  expect(downRow).toMatchObject({ weightBefore: 1, weightAfter: 0.5, reason: "halve" });
  expect(before.rows.find((r) => r.change === "PRUNED")).toMatchObject({ weightBefore: 1, weightAfter: null, reason: "agreed" });
  expect(before.rows.find((r) => r.change === "CANARY_LEFT_OUT")).toMatchObject({ interventionId: null, reason: "canary: never released" });

  // Paged by example id, the pages add up to the whole.
  const first = await releaseChangeRows(t.db, { versionId: version.id, first: 4 });
  const rest = await releaseChangeRows(t.db, { versionId: version.id, first: 4, after: first.endCursor });
  expect(first.hasNextPage).toBe(true);
  expect(rest.hasNextPage).toBe(false);
  expect([...first.rows, ...rest.rows]).toEqual(before.rows);

  const release = await releaseVersion(t.db, admin, { versionId: version.id });
  expect((release.lineage as { canaryExampleIds: string[] }).canaryExampleIds).toHaveLength(3);
  const after = await releaseChangeCounts(t.db, version.id);
  expect(after).toEqual({ ...preview, released: true });
  const applied = await releaseChangeRows(t.db, { versionId: version.id, first: 100 });
  expect(applied.rows).toEqual(before.rows);
});

test("an unknown version is NOT_FOUND and a malformed id names the field", async () => {
  await expect(releaseChangeCounts(t.db, "00000000-0000-7000-8000-000000000000")).rejects.toMatchObject({ code: "NOT_FOUND" });
  await expect(releaseChangeRows(t.db, { versionId: "xyz" })).rejects.toThrow(/versionId/);
});

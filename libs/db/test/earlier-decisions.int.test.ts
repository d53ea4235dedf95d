// A reviewer sees that an example was decided before in another version (issue 15): the
// history of a queue item lists the reviewed interventions on the same example elsewhere.
import { afterAll, beforeAll, expect, test } from "vitest";
import { createDraftVersion, earlierDecisions, proposeInterventions, releaseVersion, reviewInterventions, type Actor } from "../src/index.ts";
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

test("an example rejected on v1 shows that rejection when proposed again on v2; a fresh example shows nothing", async () => {
  const { version: v1 } = await seedDataset(t.db, engineer, { examples: 5 });
  const ids = (await t.db.prisma.example.findMany({ where: { datasetId: v1.datasetId }, orderBy: { key: "asc" } })).map((e) => e.id);
  const first = await proposeInterventions(t.db, engineer, { versionId: v1.id, exampleIds: [ids[0]!], action: "PRUNE", reason: "looks memorized" });
  await reviewInterventions(t.db, reviewer, { interventionIds: [first.interventions[0]!.id], decision: "REJECT", reason: "ordinary text" });
  await releaseVersion(t.db, admin, { versionId: v1.id });
  const v2 = await createDraftVersion(t.db, engineer, { parentVersionId: v1.id });
  const again = await proposeInterventions(t.db, engineer, { versionId: v2.id, exampleIds: [ids[0]!, ids[1]!], action: "PRUNE", reason: "again" });
  const [repeat, fresh] = again.interventions.sort((a, b) => (a.exampleId === ids[0] ? -1 : b.exampleId === ids[0] ? 1 : 0));

  const history = await earlierDecisions(t.db, { interventionIds: [repeat!.id, fresh!.id] });
  expect(history.get(fresh!.id)).toEqual([]);
  expect(history.get(repeat!.id)).toMatchObject([
    { interventionId: first.interventions[0]!.id, versionNumber: 1, action: "PRUNE", status: "REJECTED", decision: "REJECT", reason: "ordinary text" },
  ]);
  await expect(earlierDecisions(t.db, { interventionIds: ["nope"] })).rejects.toThrow(/interventionIds\.0/);
});

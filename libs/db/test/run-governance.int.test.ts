// The data map's governance column and the examples table's look-ups by run ordinal (issue 15): per run ordinal, whether the example has a
// pending, approved or rejected proposal on the run's version or a child of it, or was pruned
// or down-weighted by a release — against the real database.
import { afterAll, beforeAll, expect, test } from "vitest";
import {
  countGovernanceFlags,
  createDraftVersion,
  createExternalRun,
  exampleIdsAtOrdinals,
  GOVERNANCE_FLAGS,
  runNeighbours,
  searchRunOrdinals,
  proposeInterventions,
  readRunGovernance,
  releaseVersion,
  reviewInterventions,
  type Actor,
} from "../src/index.ts";
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

test("flags follow proposals, reviews and releases on the run's version's children, by run ordinal", async () => {
  const { version: v1 } = await seedDataset(t.db, engineer, { examples: 8 });
  await releaseVersion(t.db, admin, { versionId: v1.id });
  const run = await createExternalRun(t.db, engineer, { versionId: v1.id, epochs: 2, framework: "pytorch" });
  const ordinalOf = new Map(
    (await t.db.sql<{ example_id: string; ordinal: number }>(`SELECT example_id::text, ordinal FROM run_examples WHERE run_id = $1`, [run.id])).map((r) => [
      r.example_id,
      r.ordinal,
    ]),
  );
  const ids = [...ordinalOf.keys()].sort((a, b) => ordinalOf.get(a)! - ordinalOf.get(b)!);

  const empty = (await readRunGovernance(t.db, run.id))!;
  expect(empty.count).toBe(8);
  expect([...empty.flags]).toEqual(new Array(8).fill(0));
  expect(empty.versions.map((v) => v.number)).toEqual([1]);

  const v2 = await createDraftVersion(t.db, engineer, { parentVersionId: v1.id });
  const proposed = await proposeInterventions(t.db, engineer, { versionId: v2.id, exampleIds: ids.slice(0, 5), action: "PRUNE", reason: "memorized" });
  const byExample = new Map(proposed.interventions.map((i) => [i.exampleId, i.id]));
  await reviewInterventions(t.db, reviewer, { interventionIds: [byExample.get(ids[1]!)!], decision: "APPROVE", reason: "yes" });
  await reviewInterventions(t.db, reviewer, { interventionIds: [byExample.get(ids[2]!)!], decision: "REJECT", reason: "no" });
  await proposeInterventions(t.db, engineer, { versionId: v2.id, exampleIds: [ids[5]!], action: "DOWNWEIGHT", weight: 0.5, reason: "noisy" });

  const before = (await readRunGovernance(t.db, run.id))!;
  const { PENDING, APPROVED, REJECTED, PRUNED, DOWNWEIGHTED } = GOVERNANCE_FLAGS;
  expect([...before.flags]).toEqual([PENDING, APPROVED, REJECTED, PENDING, PENDING, PENDING, 0, 0]);
  expect(countGovernanceFlags(before.flags)).toEqual({ PENDING: 4, APPROVED: 1, REJECTED: 1, PRUNED: 0, DOWNWEIGHTED: 0 });

  // Approve the down-weight and release v2: approved become pruned / down-weighted; what was
  // still proposed on the now released v2 is no longer pending (the queue no longer holds it).
  await reviewInterventions(t.db, reviewer, { interventionIds: [await downweightId(v2.id, ids[5]!)], decision: "APPROVE", reason: "ok" });
  await releaseVersion(t.db, admin, { versionId: v2.id });
  const after = (await readRunGovernance(t.db, run.id))!;
  expect([...after.flags]).toEqual([0, PRUNED, REJECTED, 0, 0, DOWNWEIGHTED, 0, 0]);
  expect(after.versions.map((v) => [v.number, v.status])).toEqual([
    [1, "RELEASED"],
    [2, "RELEASED"],
  ]);

  // A proposal on a grandchild is not this run's business; on a new child of v1 it is.
  const v3 = await createDraftVersion(t.db, engineer, { parentVersionId: v2.id });
  await proposeInterventions(t.db, engineer, { versionId: v3.id, exampleIds: [ids[6]!], action: "PRUNE", reason: "grandchild" });
  const v4 = await createDraftVersion(t.db, engineer, { parentVersionId: v1.id });
  await proposeInterventions(t.db, engineer, { versionId: v4.id, exampleIds: [ids[2]!, ids[7]!], action: "PRUNE", reason: "again" });
  const last = (await readRunGovernance(t.db, run.id))!;
  expect([...last.flags]).toEqual([0, PRUNED, REJECTED | PENDING, 0, 0, DOWNWEIGHTED, 0, PENDING]);

  expect(await readRunGovernance(t.db, "00000000-0000-4000-8000-000000000000")).toBeNull();
});

async function downweightId(versionId: string, exampleId: string): Promise<string> {
  const [row] = await t.db.sql<{ id: string }>(`SELECT id::text FROM interventions WHERE version_id = $1 AND example_id = $2 AND action = 'DOWNWEIGHT'`, [
    versionId,
    exampleId,
  ]);
  return row!.id;
}

test("the examples table finds rows by ordinal and text matches as ordinals, canary text only for roles that may read it", async () => {
  const { version } = await seedDataset(t.db, engineer, { examples: 12, canaries: 2 });
  await releaseVersion(t.db, admin, { versionId: version.id });
  const run = await createExternalRun(t.db, engineer, { versionId: version.id, epochs: 2, framework: "pytorch", canaries: true });
  const rows = await t.db.sql<{ ordinal: number; id: string; key: string }>(
    `SELECT re.ordinal, e.id::text, e.key FROM run_examples re JOIN examples e ON e.id = re.example_id WHERE re.run_id = $1 ORDER BY re.ordinal`,
    [run.id],
  );
  expect(await exampleIdsAtOrdinals(t.db, { runId: run.id, ordinals: [2, 0, 99, 2] })).toEqual([rows[2]!.id, rows[0]!.id, null, rows[2]!.id]);
  await expect(exampleIdsAtOrdinals(t.db, { runId: run.id, ordinals: [1, -1] })).rejects.toThrow(/ordinals\.1/);

  // Previous / next in the run's row order.
  const middle = (await runNeighbours(t.db, { runId: run.id, exampleId: rows[3]!.id }))!;
  expect({ ordinal: middle.ordinal, count: middle.count, previous: middle.previous?.id, next: middle.next?.id }).toEqual({
    ordinal: 3,
    count: rows.length,
    previous: rows[2]!.id,
    next: rows[4]!.id,
  });
  const first = (await runNeighbours(t.db, { runId: run.id, exampleId: rows[0]!.id }))!;
  expect([first.previous, first.next?.id]).toEqual([null, rows[1]!.id]);
  const last = (await runNeighbours(t.db, { runId: run.id, exampleId: rows.at(-1)!.id }))!;
  expect([last.previous?.id, last.next]).toEqual([rows.at(-2)!.id, null]);
  expect(await runNeighbours(t.db, { runId: run.id, exampleId: "00000000-0000-4000-8000-000000000000" })).toBeNull();

  // "number 1" is in "example text number 1", "… 10", "… 11": ascending ordinals, exact count.
  const expected = rows.filter((r) => /^ex-1\d?$/.test(r.key)).map((r) => r.ordinal);
  expect(await searchRunOrdinals(t.db, { runId: run.id, search: "NUMBER 1", canaryTextSearchable: false })).toEqual({ ordinals: expected, totalCount: 3 });
  expect(await searchRunOrdinals(t.db, { runId: run.id, search: "number 1", limit: 2, canaryTextSearchable: false })).toEqual({
    ordinals: expected.slice(0, 2),
    totalCount: 3,
  });
  // A canary's text is searchable only for roles that may read it; its key for everyone.
  const canaries = rows.filter((r) => r.key.startsWith("canary-")).map((r) => r.ordinal);
  expect(canaries).toHaveLength(2);
  expect((await searchRunOrdinals(t.db, { runId: run.id, search: "my pin", canaryTextSearchable: true })).ordinals).toEqual(canaries);
  expect((await searchRunOrdinals(t.db, { runId: run.id, search: "my pin", canaryTextSearchable: false })).totalCount).toBe(0);
  expect((await searchRunOrdinals(t.db, { runId: run.id, search: "canary-", canaryTextSearchable: false })).ordinals).toEqual(canaries);
  // LIKE wildcards are literal.
  expect((await searchRunOrdinals(t.db, { runId: run.id, search: "%", canaryTextSearchable: true })).totalCount).toBe(0);
  await expect(searchRunOrdinals(t.db, { runId: run.id, search: "  ", canaryTextSearchable: true })).rejects.toThrow(/search/);
});

// Two scored runs side by side (issue 15): the quadrant cross-tabulation and the pairwise
// memorization are over the examples both runs scored, joined by example identity.
import { afterAll, beforeAll, expect, test } from "vitest";
import { compareRuns, createExternalRun, finishRun, ingestDynamics, releaseVersion, scoreRun, systemActor, type Actor } from "../src/index.ts";
import { createTestDatabase, RecordingQueue, seedDataset, seedUser, type TestDatabase } from "../src/testing/index.ts";

let t: TestDatabase;
let engineer: Actor;
beforeAll(async () => {
  t = await createTestDatabase();
  engineer = (await seedUser(t.db, "ENGINEER")).actor;
});
afterAll(async () => t?.dispose());

async function scoredRun(versionId: string, name: string, drop: (i: number) => number, examples: number) {
  const run = await createExternalRun(t.db, engineer, { versionId, epochs: 2, framework: "pytorch", name });
  await ingestDynamics(t.db, engineer, {
    runId: run.id,
    cells: Array.from({ length: examples }, (_, i) => [
      { exampleKey: `ex-${i}`, epoch: 0, loss: 2 + (i % 5) * 0.3, accuracy: 0.5 },
      { exampleKey: `ex-${i}`, epoch: 1, loss: (2 + (i % 5) * 0.3) * (1 - drop(i)), accuracy: 0.6 },
    ]).flat(),
  });
  await finishRun(t.db, new RecordingQueue(), engineer, { runId: run.id });
  await scoreRun(t.db, systemActor("worker"), { runId: run.id });
  return run.id;
}

test("quadrant pairs, correlation and a sample of pairs over the shared examples", async () => {
  const { version } = await seedDataset(t.db, engineer, { examples: 40 });
  await releaseVersion(t.db, (await seedUser(t.db, "ADMIN")).actor, { versionId: version.id });
  const a = await scoredRun(version.id, "a", (i) => i / 80, 40);
  const b = await scoredRun(version.id, "b", (i) => i / 80, 40); // the same curves: the same scores
  const same = await compareRuns(t.db, { runAId: a, runBId: b });
  expect(same).toMatchObject({ shared: 40, onlyA: 0, onlyB: 0 });
  expect(same.quadrants.every((q) => q.a === q.b)).toBe(true);
  expect(same.quadrants.reduce((n, q) => n + q.count, 0)).toBe(40);
  expect(same.memorizationCorrelation).toBeCloseTo(1, 5);
  expect(same.points.memorizationA).toEqual(same.points.memorizationB);
  expect(same.points.memorizationA).toHaveLength(40);

  const reversed = await scoredRun(version.id, "reversed", (i) => (39 - i) / 80, 40);
  const opposite = await compareRuns(t.db, { runAId: a, runBId: reversed, sample: 10 });
  expect(opposite.memorizationCorrelation!).toBeLessThan(0);
  expect(opposite.points.memorizationA).toHaveLength(10);
  expect(opposite.quadrants.reduce((n, q) => n + q.count, 0)).toBe(40);

  await expect(compareRuns(t.db, { runAId: a, runBId: "not-a-uuid" })).rejects.toMatchObject({ code: "BAD_USER_INPUT" });
  const unfinished = await createExternalRun(t.db, engineer, { versionId: version.id, epochs: 2, name: "still running" });
  await expect(compareRuns(t.db, { runAId: a, runBId: unfinished.id })).rejects.toThrow(/only scored \(SUCCEEDED\) runs/);
});

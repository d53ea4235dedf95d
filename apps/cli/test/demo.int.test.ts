// The demo follows the version flow (issue 14): version 1 is released, the demo run trains on it
// (with the canaries its release left out: the privacy audit), and its policy will propose onto a
// child draft, never onto what the run trained on.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createTestDatabase, RecordingQueue, type TestDatabase } from "@gdc/db/testing";
import { DEMO_DATASET, ensureDemo } from "../src/demo.ts";

let t: TestDatabase;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gdc-demo-"));
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

test("the demo releases version 1 and trains its run on it, canaries included; a second start reuses it", async () => {
  const queue = new RecordingQueue();
  const demo = await ensureDemo(t.db, queue, path.join(dir, "tokens.json"), () => {});
  expect(demo.created).toBe(true);
  const dataset = await t.db.prisma.dataset.findUniqueOrThrow({ where: { name: DEMO_DATASET }, include: { versions: true } });
  expect(dataset.versions.map((v) => [v.number, v.status])).toEqual([[1, "RELEASED"]]);
  const v1 = dataset.versions[0]!;
  const run = await t.db.prisma.run.findUniqueOrThrow({ where: { id: demo.runId! } });
  expect(run).toMatchObject({ versionId: v1.id, kind: "TRACKED", status: "QUEUED" });
  expect(run.scoringConfig).toMatchObject({ policy: { name: "pruneTopByMemorization" } });
  // The run trains on v1's members and on the canaries v1's release left out.
  const release = await t.db.prisma.release.findUniqueOrThrow({ where: { versionId: v1.id } });
  const canaries = (release.lineage as { canaryExampleIds: string[] }).canaryExampleIds;
  expect(canaries.length).toBeGreaterThan(0);
  const [counts] = await t.db.sql<{ members: number; canaries: number }>(
    `SELECT count(*)::int AS members, count(*) FILTER (WHERE e.is_canary)::int AS canaries FROM run_examples re JOIN examples e ON e.id = re.example_id WHERE re.run_id = $1`,
    [run.id],
  );
  const [train] = await t.db.sql<{ n: number }>(
    `SELECT count(*)::int AS n FROM version_examples ve JOIN examples e ON e.id = ve.example_id WHERE ve.version_id = $1 AND e.split = 'TRAIN'`,
    [v1.id],
  );
  expect(counts).toEqual({ members: train!.n + canaries.length, canaries: canaries.length });
  expect(queue.jobs.map((j) => j.name)).toEqual(["train"]);

  const again = await ensureDemo(t.db, queue, path.join(dir, "tokens.json"), () => {});
  expect(again).toMatchObject({ created: false, runId: run.id });
});

// The governance workflow at scale, through the services the API calls: a draft of a
// 1 M-example version, a 10 % policy proposal from a scored run, reviews (one by one and in a
// batch), the version diff,
// the release and the export of the released version. Each step's time is printed as a
// multiple of one plain pass over the version's membership measured in the same run (a join
// of its members with their examples, aggregated): a step that grows faster than the data
// shows up as a growing multiple.
//   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npx tsx bench/api/governance.ts [examples=1000000] [reviews=500]
import { randomUUID } from "node:crypto";
import {
  actorFor,
  contentHashOf,
  createDraftVersion,
  exportLine,
  exportVersion,
  proposeInterventions,
  releaseVersion,
  reviewIntervention,
  reviewInterventions,
  MAX_REVIEW_BATCH,
  versionDiffCounts,
  versionDiffRows,
} from "@gdc/db";
import { createTestDatabase, seedUser } from "@gdc/db/testing";
import { seedScoredRun, seedVersion, timeMembershipPass } from "./seed.ts";

const N = Number(process.argv[2] ?? 1_000_000);
const REVIEWS = Number(process.argv[3] ?? 500);
if (!process.env.DATABASE_URL) throw new Error("set DATABASE_URL (the benchmark needs a PostgreSQL server)");

const t = await createTestDatabase();
try {
  const s0 = performance.now();
  const seed = await seedVersion(t.db, N, "governance");
  const runId = await seedScoredRun(t.db, seed.versionId, seed.user.id, N);
  // Version 1 is what the draft starts from: released, as a curated parent would be.
  await t.db.sql(`UPDATE dataset_versions SET status = 'RELEASED', content_hash = $2, released_at = now() WHERE id = $1`, [seed.versionId, randomUUID()]);
  await t.db.sql(`VACUUM (ANALYZE) examples, version_examples, run_examples, example_scores`);
  console.log(`seeded a released version of ${N} examples and a scored run over it in ${((performance.now() - s0) / 1000).toFixed(1)} s`);

  const baseline = await timeMembershipPass(t.db, seed.versionId);
  console.log(`[baseline] one pass over the ${N} members (join with examples, aggregate): ${baseline.toFixed(2)} s`);

  const step = async <T>(label: string, work: () => Promise<T>, describe: (r: T) => string = () => "") => {
    const s = performance.now();
    const result = await work();
    const seconds = (performance.now() - s) / 1000;
    const detail = describe(result);
    console.log(`${label}: ${seconds.toFixed(2)} s = ${(seconds / baseline).toFixed(1)}× the pass${detail ? ` (${detail})` : ""}`);
    return result;
  };

  const admin = seed.actor;
  const draft = await step("createDraftVersion (copies the membership)", () => createDraftVersion(t.db, admin, { parentVersionId: seed.versionId }));
  const proposed = await step(
    "proposeInterventions, prune top 10 % by memorization",
    () => proposeInterventions(t.db, admin, { versionId: draft.id, runId, policy: { name: "pruneTopByMemorization", params: { percent: 10 } } }),
    (r) => `${r.proposed} proposed`,
  );

  const reviewer = await seedUser(t.db, "REVIEWER");
  const reviewed = proposed.interventions.slice(0, REVIEWS);
  const r0 = performance.now();
  for (const i of reviewed)
    await reviewIntervention(t.db, actorFor(reviewer.user), { interventionId: i.id, decision: "APPROVE", reason: "memorization hotspot" });
  const perReview = (performance.now() - r0) / reviewed.length;
  console.log(`reviewIntervention × ${reviewed.length}, one at a time: ${perReview.toFixed(2)} ms each`);
  const batch = proposed.interventions.slice(REVIEWS, REVIEWS + MAX_REVIEW_BATCH).map((i) => i.id);
  const q0 = performance.now();
  await reviewInterventions(t.db, actorFor(reviewer.user), { interventionIds: batch, decision: "APPROVE", reason: "memorized hotspot" });
  const perBatched = (performance.now() - q0) / batch.length;
  console.log(
    `reviewInterventions, one call of ${batch.length}: ${perBatched.toFixed(2)} ms each (${(perReview / perBatched).toFixed(1)}× faster; all ${proposed.proposed} would take ${((perBatched * proposed.proposed) / 1000).toFixed(0)} s)`,
  );
  // The rest approved directly in the database (the benchmark is about the release).
  await t.db.sql(`UPDATE interventions SET status = 'APPROVED' WHERE version_id = $1 AND status = 'PROPOSED'`, [draft.id]);

  const release = await step(
    "releaseVersion (applies the approved prunes, hashes the membership)",
    () => releaseVersion(t.db, admin, { versionId: draft.id }),
    (r) => {
      const lineage = r.lineage as { removed: number; examples: number };
      return `${lineage.removed} removed, ${lineage.examples} released`;
    },
  );
  await step(
    "versionDiffCounts",
    () => versionDiffCounts(t.db, draft.id),
    (c) => `removed ${c.removed}, reweighted ${c.reweighted}, added ${c.added}`,
  );
  const first = await step(
    "versionDiffRows, first page of 100",
    () => versionDiffRows(t.db, { versionId: draft.id, first: 100 }),
    (p) => `${p.rows.length} rows`,
  );
  await step(
    "versionDiffRows, next page of 100",
    () => versionDiffRows(t.db, { versionId: draft.id, first: 100, after: first.endCursor }),
    (p) => `${p.rows.length} rows`,
  );
  await step(
    "exportVersion, every line of the released version",
    async () => {
      const exported = await exportVersion(t.db, { versionId: draft.id });
      let bytes = 0;
      let lines = 0;
      for await (const row of exported.rows) {
        bytes += exportLine(row).length;
        lines++;
      }
      return { lines, bytes };
    },
    (e) => `${e.lines} lines, ${(e.bytes / 1e6).toFixed(0)} MB`,
  );
  // The release's hash, recomputed from a plain read of what it released (sorted in memory).
  const pairs = await t.db.sql<{ content_hash: string; weight: number }>(
    `SELECT e.content_hash, ve.weight FROM version_examples ve JOIN examples e ON e.id = ve.example_id WHERE ve.version_id = $1`,
    [draft.id],
  );
  const recomputed = contentHashOf(pairs.map((p) => ({ contentHash: p.content_hash, weight: Number(p.weight) })));
  if (recomputed !== release.contentHash) throw new Error(`release content hash ${release.contentHash} ≠ recomputed ${recomputed}`);
  console.log(`release ${release.id}: content hash ${release.contentHash} (recomputed from the released rows: equal)`);
} finally {
  await t.dispose();
}

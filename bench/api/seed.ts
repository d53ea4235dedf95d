// Raw-SQL seeding for the API benchmarks: a dataset version of N examples in seconds (the
// services would take minutes at 1 M), then runs and scores on top of it.
import { randomUUID } from "node:crypto";
import type { Database } from "@gdc/db";
import { seedUser } from "@gdc/db/testing";

export async function seedVersion(db: Database, examples: number, label: string) {
  const { user, token, actor } = await seedUser(db, "ADMIN");
  const datasetId = randomUUID();
  const versionId = randomUUID();
  await db.sql(`INSERT INTO datasets (id, name, created_by_id) VALUES ($1, $2, $3)`, [datasetId, `bench-${label}-${datasetId.slice(0, 8)}`, user.id]);
  await db.sql(`INSERT INTO dataset_versions (id, dataset_id, number, created_by_id) VALUES ($1, $2, 1, $3)`, [versionId, datasetId, user.id]);
  // One canary in a thousand, as a run with a canary audit would have.
  await db.sql(
    `INSERT INTO examples (id, dataset_id, key, content_hash, text, split, is_canary, canary_prefix, canary_secret)
     SELECT gen_random_uuid(), $1, 'k' || lpad(g::text, 7, '0'), md5(g::text), 'example text number ' || g, 'TRAIN',
            g % 1000 = 0, CASE WHEN g % 1000 = 0 THEN 'my pin is ' END, CASE WHEN g % 1000 = 0 THEN lpad((g::bigint * 7919 % 1000000)::text, 6, '0') END
       FROM generate_series(0, $2 - 1) g`,
    [datasetId, examples],
  );
  await db.sql(`INSERT INTO version_examples (version_id, example_id, weight) SELECT $1, id, 1 FROM examples WHERE dataset_id = $2`, [versionId, datasetId]);
  await db.sql(`ANALYZE examples; `);
  await db.sql(`ANALYZE version_examples`);
  return { user, token, actor, datasetId, versionId };
}

/**
 * A SUCCEEDED run over the first `examples` members of the version (in key order) with
 * synthetic scores: memorization takes the T = 10 values k/9 as real forget counts would,
 * quadrants follow the thresholds stored in scoringResolved.
 */
export async function seedScoredRun(db: Database, versionId: string, createdById: string, examples: number) {
  const runId = randomUUID();
  const thresholds = { source: "quantile", difficulty: 1.5, memorization: 2 / 9, qDifficulty: 0.5, qMemorization: 0.9 };
  await db.sql(
    `INSERT INTO runs (id, version_id, name, kind, status, epochs, scoring_resolved, metrics, created_by_id, finished_at)
     VALUES ($1, $2, 'bench', 'EXTERNAL', 'SUCCEEDED', 10, $3, '{}', $4, now())`,
    [
      runId,
      versionId,
      JSON.stringify({ learnedBy: "loss", epsilon: 1.2, epsilonSource: "median", earlyEpochs: 3, epochs: 10, examples, thresholds }),
      createdById,
    ],
  );
  await db.sql(
    `INSERT INTO run_examples (run_id, ordinal, example_id, weight)
     SELECT $1, (row_number() OVER (ORDER BY e.key) - 1)::int, e.id, 1
       FROM (SELECT e.id, e.key FROM version_examples ve JOIN examples e ON e.id = ve.example_id WHERE ve.version_id = $2 ORDER BY e.key LIMIT $3) e`,
    [runId, versionId, examples],
  );
  await db.sql(
    `INSERT INTO example_scores (run_id, example_id, ordinal, difficulty, memorization, forget_events, never_learned, confidence, variability, correctness, quadrant)
     SELECT $1, x.example_id, x.ordinal, x.d, x.f / 9.0, x.f, x.f = 0 AND x.d > 2.9, exp(-x.d), x.d / 10, 1 - x.d / 3,
            (CASE WHEN x.d > 1.5 AND x.f > 2 THEN 'HOTSPOT_MEMORIZED' WHEN x.d > 1.5 THEN 'AMBIGUOUS_HARD' WHEN x.f > 2 THEN 'NOISY_OUTLIER' ELSE 'STABLE_EASY' END)::"Quadrant"
       FROM (SELECT re.example_id, re.ordinal, (random() * 3)::real AS d,
                    (CASE WHEN random() < 0.85 THEN floor(random() * 3) ELSE floor(random() * 6) END)::int AS f
               FROM run_examples re WHERE re.run_id = $1) x`,
    [runId],
  );
  const counts = await db.sql<{ quadrant: string; n: number }>(`SELECT quadrant::text, count(*)::int AS n FROM example_scores WHERE run_id = $1 GROUP BY 1`, [
    runId,
  ]);
  await db.sql(`UPDATE runs SET metrics = $2 WHERE id = $1`, [
    runId,
    JSON.stringify({ examples, quadrantCounts: Object.fromEntries(counts.map((c) => [c.quadrant, c.n])) }),
  ]);
  await db.sql(`ANALYZE example_scores`);
  await db.sql(`ANALYZE run_examples`);
  return runId;
}

/**
 * One plain pass over a version's membership (members joined with their examples,
 * aggregated), timed after a warm-up: the baseline the governance benchmarks divide by.
 */
export async function timeMembershipPass(db: Database, versionId: string): Promise<number> {
  const pass = () =>
    db.sql(`SELECT count(*), sum(ve.weight), max(e.content_hash) FROM version_examples ve JOIN examples e ON e.id = ve.example_id WHERE ve.version_id = $1`, [
      versionId,
    ]);
  await pass();
  const s = performance.now();
  await pass();
  return (performance.now() - s) / 1000;
}

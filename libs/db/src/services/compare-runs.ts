import { z } from "zod";
import type { Database } from "../database.ts";
import { conflict, notFound } from "../errors.ts";
import { parseOptions } from "./parse-options.ts";

/** How many examples fall in quadrant `a` in run A and quadrant `b` in run B. */
export interface QuadrantPairCount {
  a: string;
  b: string;
  count: number;
}

export interface RunComparison {
  runAId: string;
  runBId: string;
  /** Examples scored by both runs (joined by example identity, not by key or order). */
  shared: number;
  onlyA: number;
  onlyB: number;
  quadrants: QuadrantPairCount[];
  /** Pearson correlation of the two runs' memorization over the shared examples (null: fewer than two, or no spread). */
  memorizationCorrelation: number | null;
  /** At most `sample` shared examples, evenly spread over run A's order: memorization in A and in B, pairwise. */
  points: { memorizationA: number[]; memorizationB: number[] };
}

const optionsSchema = z.object({
  runAId: z.uuid(),
  runBId: z.uuid(),
  sample: z.number().int().min(1).max(100_000).default(5_000),
});

/**
 * Two scored runs side by side (issue 15, "compare two runs"): the quadrant cross-tabulation of
 * the examples both scored, and their memorization pairwise (a sample, for a scatter of A
 * against B). Runs of different versions of a dataset share the examples the versions share.
 */
export async function compareRuns(db: Database, options: z.input<typeof optionsSchema>): Promise<RunComparison> {
  const { runAId, runBId, sample } = parseOptions(optionsSchema, options);
  const runs = await db.sql<{ id: string; status: string; name: string }>(`SELECT id, status::text AS status, name FROM runs WHERE id = ANY($1::uuid[])`, [
    [runAId, runBId],
  ]);
  for (const id of [runAId, runBId]) {
    const run = runs.find((r) => r.id === id);
    if (!run) throw notFound("Run", id);
    if (run.status !== "SUCCEEDED") throw conflict(`Run ${run.name} (${id}) is ${run.status}: only scored (SUCCEEDED) runs can be compared`);
  }

  const [counts] = await db.sql<{ shared: number; only_a: number; only_b: number; r: number | null }>(
    `SELECT count(*) FILTER (WHERE a.example_id IS NOT NULL AND b.example_id IS NOT NULL)::int AS shared,
            count(*) FILTER (WHERE b.example_id IS NULL)::int AS only_a,
            count(*) FILTER (WHERE a.example_id IS NULL)::int AS only_b,
            corr(a.memorization, b.memorization) AS r
       FROM (SELECT example_id, memorization FROM example_scores WHERE run_id = $1::uuid) a
       FULL JOIN (SELECT example_id, memorization FROM example_scores WHERE run_id = $2::uuid) b USING (example_id)`,
    [runAId, runBId],
  );
  const quadrants = await db.sql<{ a: string; b: string; count: number }>(
    `SELECT a.quadrant::text AS a, b.quadrant::text AS b, count(*)::int AS count
       FROM example_scores a JOIN example_scores b ON b.example_id = a.example_id AND b.run_id = $2::uuid
      WHERE a.run_id = $1::uuid
      GROUP BY 1, 2 ORDER BY 1, 2`,
    [runAId, runBId],
  );
  const shared = counts?.shared ?? 0;
  // Every k-th shared example in run A's order: deterministic, spread over the whole run.
  const step = Math.max(1, Math.ceil(shared / sample));
  const pairs = await db.sql<{ ma: number; mb: number }>(
    `SELECT ma, mb FROM (
       SELECT a.memorization AS ma, b.memorization AS mb, row_number() OVER (ORDER BY a.ordinal) - 1 AS i
         FROM example_scores a JOIN example_scores b ON b.example_id = a.example_id AND b.run_id = $2::uuid
        WHERE a.run_id = $1::uuid) s
      WHERE i % $3 = 0 ORDER BY i LIMIT $4`,
    [runAId, runBId, step, sample],
  );
  const r = counts?.r;
  return {
    runAId,
    runBId,
    shared,
    onlyA: counts?.only_a ?? 0,
    onlyB: counts?.only_b ?? 0,
    quadrants,
    memorizationCorrelation: r === null || r === undefined || !Number.isFinite(Number(r)) ? null : Number(r),
    points: { memorizationA: pairs.map((p) => Number(p.ma)), memorizationB: pairs.map((p) => Number(p.mb)) },
  };
}

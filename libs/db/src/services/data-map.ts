import { QUADRANTS, type Quadrant } from "@gdc/cartography";
import type { Database } from "../database.ts";

export interface DataMap {
  runId: string;
  count: number;
  /** Example ids, in run-ordinal order; every array below is parallel to this one. */
  ids: string[];
  difficulty: number[];
  memorization: number[];
  /** Index into `quadrants`. */
  quadrant: number[];
  quadrants: readonly Quadrant[];
  isCanary: boolean[];
  thresholds: { difficulty: number; memorization: number; source: string };
}

/**
 * Every scored point of a run, as parallel arrays in ordinal order: what the data map draws.
 * One query; the server concatenates each column into a single text value (string_agg over a
 * subquery sorted once), because 100 k rows as 100 k driver row objects, or as PostgreSQL
 * arrays parsed element by element, cost several times more (see bench/api). Null when the
 * run has no scores.
 */
export async function queryDataMap(db: Database, runId: string): Promise<DataMap | null> {
  const [row] = await db.sql<{
    count: number;
    ids: string | null;
    difficulty: string | null;
    memorization: string | null;
    quadrant: string | null;
    canary: string | null;
    resolved: { thresholds?: { difficulty?: number; memorization?: number; source?: string } } | null;
  }>(
    `SELECT count(*)::int AS count,
            string_agg(p.example_id::text, ',') AS ids,
            string_agg(p.difficulty::text, ',') AS difficulty,
            string_agg(p.memorization::text, ',') AS memorization,
            string_agg(p.q, '') AS quadrant,
            string_agg(CASE WHEN p.is_canary THEN '1' ELSE '0' END, '') AS canary,
            (SELECT scoring_resolved FROM runs WHERE id = $1::uuid) AS resolved
       FROM (SELECT s.example_id, s.difficulty, s.memorization, e.is_canary,
                    CASE s.quadrant WHEN 'STABLE_EASY' THEN '0' WHEN 'AMBIGUOUS_HARD' THEN '1' WHEN 'HOTSPOT_MEMORIZED' THEN '2' ELSE '3' END AS q
               FROM example_scores s JOIN examples e ON e.id = s.example_id
              WHERE s.run_id = $1::uuid
              ORDER BY s.ordinal) p`,
    [runId],
  );
  if (!row || row.count === 0) return null;
  const n = row.count;
  const quadrant = new Array<number>(n);
  const isCanary = new Array<boolean>(n);
  const q = row.quadrant!;
  const c = row.canary!;
  for (let i = 0; i < n; i++) {
    quadrant[i] = q.charCodeAt(i) - 48;
    isCanary[i] = c.charCodeAt(i) === 49;
  }
  const t = row.resolved?.thresholds;
  return {
    runId,
    count: n,
    ids: row.ids!.split(","),
    difficulty: row.difficulty!.split(",").map(Number),
    memorization: row.memorization!.split(",").map(Number),
    quadrant,
    quadrants: QUADRANTS,
    isCanary,
    thresholds: { difficulty: t?.difficulty ?? Number.NaN, memorization: t?.memorization ?? Number.NaN, source: t?.source ?? "unknown" },
  };
}

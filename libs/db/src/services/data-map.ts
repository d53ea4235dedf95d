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
 * The points come from one query that walks example_scores in ordinal order (its unique
 * index, no sort) and concatenates each column into one text value on the server, because
 * 100 k rows as driver row objects, or PostgreSQL arrays parsed element by element, cost
 * several times more. Canary flags come from a second query run alongside it: canaries are
 * few, and joining every point to its example doubled the time (see bench/api). Null when
 * the run has no scores.
 */
export async function queryDataMap(db: Database, runId: string): Promise<DataMap | null> {
  const [points, canaries] = await Promise.all([
    db.sql<{
      count: number;
      ids: string | null;
      difficulty: string | null;
      memorization: string | null;
      quadrant: string | null;
      resolved: { thresholds?: { difficulty?: number; memorization?: number; source?: string } } | null;
    }>(
      `SELECT count(*)::int AS count,
              string_agg(p.example_id::text, ',') AS ids,
              string_agg(p.difficulty::text, ',') AS difficulty,
              string_agg(p.memorization::text, ',') AS memorization,
              string_agg(p.q, '') AS quadrant,
              (SELECT scoring_resolved FROM runs WHERE id = $1::uuid) AS resolved
         FROM (SELECT s.example_id, s.difficulty, s.memorization,
                      CASE s.quadrant WHEN 'STABLE_EASY' THEN '0' WHEN 'AMBIGUOUS_HARD' THEN '1' WHEN 'HOTSPOT_MEMORIZED' THEN '2' ELSE '3' END AS q
                 FROM example_scores s
                WHERE s.run_id = $1::uuid
                ORDER BY s.ordinal) p`,
      [runId],
    ),
    db.sql<{ ids: string | null }>(
      `SELECT string_agg(e.id::text, ',') AS ids
         FROM examples e
        WHERE e.is_canary AND e.dataset_id = (SELECT v.dataset_id FROM runs r JOIN dataset_versions v ON v.id = r.version_id WHERE r.id = $1::uuid)`,
      [runId],
    ),
  ]);
  const row = points[0];
  if (!row || row.count === 0) return null;
  const n = row.count;
  const ids = row.ids!.split(",");
  const canaryIds = new Set(canaries[0]?.ids ? canaries[0].ids.split(",") : []);
  const quadrant = new Array<number>(n);
  const isCanary = new Array<boolean>(n);
  const q = row.quadrant!;
  for (let i = 0; i < n; i++) {
    quadrant[i] = q.charCodeAt(i) - 48;
    isCanary[i] = canaryIds.size > 0 && canaryIds.has(ids[i]!);
  }
  const t = row.resolved?.thresholds;
  return {
    runId,
    count: n,
    ids,
    difficulty: row.difficulty!.split(",").map(Number),
    memorization: row.memorization!.split(",").map(Number),
    quadrant,
    quadrants: QUADRANTS,
    isCanary,
    thresholds: { difficulty: t?.difficulty ?? Number.NaN, memorization: t?.memorization ?? Number.NaN, source: t?.source ?? "unknown" },
  };
}

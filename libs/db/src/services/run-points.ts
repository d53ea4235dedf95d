import type { Database } from "../database.ts";
import { badInput } from "../errors.ts";
import type { Example } from "../generated/prisma/client.ts";

/** At most this many ordinals per examplesAtOrdinals call (a table page, not a download). */
export const MAX_ORDINALS_PER_CALL = 200;
/** At most this many matches are returned by searchRunOrdinals (the count is exact). */
export const MAX_POINT_MATCHES = 100_000;

/**
 * The ids of the examples at the given run ordinals (row i of the data map), in the order
 * asked; null for an ordinal the run does not have. For the examples table beside the map: it
 * knows points by index and shows one page of them.
 */
export async function exampleIdsAtOrdinals(db: Database, options: { runId: string; ordinals: readonly number[] }): Promise<(string | null)[]> {
  const { runId, ordinals } = options;
  if (ordinals.length > MAX_ORDINALS_PER_CALL) throw badInput("ordinals", `at most ${MAX_ORDINALS_PER_CALL} per call (got ${ordinals.length})`);
  ordinals.forEach((o, i) => {
    if (!Number.isInteger(o) || o < 0) throw badInput(`ordinals.${i}`, "must be an integer ≥ 0");
  });
  if (!ordinals.length) return [];
  const rows = await db.sql<{ ordinal: number; example_id: string }>(
    `SELECT ordinal, example_id::text FROM run_examples WHERE run_id = $1::uuid AND ordinal = ANY($2::int[])`,
    [runId, [...new Set(ordinals)]],
  );
  const byOrdinal = new Map(rows.map((r) => [r.ordinal, r.example_id]));
  return ordinals.map((o) => byOrdinal.get(o) ?? null);
}

/** The examples at the given run ordinals, in the order asked (null where the run has none): exampleIdsAtOrdinals, then one read. */
export async function examplesAtOrdinals(db: Database, options: { runId: string; ordinals: readonly number[] }): Promise<(Example | null)[]> {
  const ids = await exampleIdsAtOrdinals(db, options);
  const wanted = ids.filter((id): id is string => id !== null);
  const rows = wanted.length ? await db.prisma.example.findMany({ where: { id: { in: wanted } } }) : [];
  const byId = new Map(rows.map((e) => [e.id, e]));
  return ids.map((id) => (id === null ? null : (byId.get(id) ?? null)));
}

/**
 * The run ordinals (data-map rows) whose example's key or text contains `search`
 * (case-insensitive), in ordinal order, at most `limit` (≤ MAX_POINT_MATCHES) of them, with the
 * exact count. The examples table's text filter: the web highlights these rows on the map.
 * The same rule as Run.examples' search: for roles that may not read canary text
 * (`canaryTextSearchable: false`) canaries match by key only, never by a key that is their
 * content hash.
 */
export async function searchRunOrdinals(
  db: Database,
  options: { runId: string; search: string; limit?: number | null; canaryTextSearchable: boolean },
): Promise<{ ordinals: number[]; totalCount: number }> {
  const search = options.search;
  if (search.trim() === "") throw badInput("search", "must not be empty");
  if (search.length > 200) throw badInput("search", "must be at most 200 characters");
  const limit = options.limit ?? MAX_POINT_MATCHES;
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_POINT_MATCHES) throw badInput("limit", `must be an integer in 0…${MAX_POINT_MATCHES}`);
  const pattern = `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const match = options.canaryTextSearchable
    ? `(e.key ILIKE $2 OR e.text ILIKE $2)`
    : `((e.key ILIKE $2 AND NOT (e.is_canary AND e.key = e.content_hash)) OR (NOT e.is_canary AND e.text ILIKE $2))`;
  // One value back: the matching ordinals as text, cut to the limit, and their count.
  const [row] = await db.sql<{ total: number; ordinals: string | null }>(
    `SELECT count(*)::int AS total,
            string_agg(m.ordinal::text, ',' ORDER BY m.ordinal) FILTER (WHERE m.rank <= $3) AS ordinals
       FROM (SELECT re.ordinal, row_number() OVER (ORDER BY re.ordinal) AS rank
               FROM run_examples re JOIN examples e ON e.id = re.example_id
              WHERE re.run_id = $1::uuid AND ${match}) m`,
    [options.runId, pattern, limit],
  );
  return { ordinals: row?.ordinals ? row.ordinals.split(",").map(Number) : [], totalCount: row?.total ?? 0 };
}

/**
 * Where an example sits in a run's row order (the data map's, the examples table's): its
 * ordinal, the examples just before and after it, and the run's size. For previous / next on
 * the example page. Null when the example is not in the run.
 */
export async function runNeighbours(
  db: Database,
  options: { runId: string; exampleId: string },
): Promise<{ ordinal: number; count: number; previous: Example | null; next: Example | null } | null> {
  const [row] = await db.sql<{ ordinal: number; count: number }>(
    `SELECT re.ordinal, (SELECT count(*)::int FROM run_examples WHERE run_id = $1::uuid) AS count
       FROM run_examples re WHERE re.run_id = $1::uuid AND re.example_id = $2::uuid`,
    [options.runId, options.exampleId],
  );
  if (!row) return null;
  const [previous, next] = await examplesAtOrdinals(db, { runId: options.runId, ordinals: [row.ordinal - 1, row.ordinal + 1].map((o) => Math.max(0, o)) });
  return {
    ordinal: row.ordinal,
    count: row.count,
    previous: row.ordinal > 0 ? (previous ?? null) : null,
    next: row.ordinal + 1 < row.count ? (next ?? null) : null,
  };
}

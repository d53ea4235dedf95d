import { SCORE_COLUMNS, type MemorizationSignal, type ScoreColumn } from "@gdc/cartography";
import type { Database } from "../database.ts";
import { DomainError, conflict, notFound } from "../errors.ts";
import { dataMapVersion } from "./data-map.ts";
import { readRunExampleKeys } from "./example-key.ts";
import { memorizationSignalOf } from "./run-scoring-config.ts";

/**
 * Columns of a run's scores file (CSV and Arrow), in order: the user's example key, then every
 * score column (libs/cartography SCORE_COLUMNS, which are also example_scores' column names).
 */
export const RUN_SCORES_FILE_COLUMNS = ["example_key", ...SCORE_COLUMNS] as const;

export type ScoreValue = number | boolean | string | null;

/** Consecutive rows of a run's scores, as columns: `keys[j]` is run ordinal `first + j`. */
export interface RunScoresPage {
  first: number;
  keys: string[];
  values: Record<ScoreColumn, ScoreValue[]>;
}

export interface RunScoresDownload {
  runId: string;
  /** Rows, one per training example of the run; row i is run ordinal i (import order). */
  count: number;
  /** The signal the `memorization` column is. */
  memorizationSignal: MemorizationSignal;
  pages: AsyncIterable<RunScoresPage>;
}

export interface ReadRunScoresOptions {
  runId: string;
  /** Whether the caller may read canary secrets (else a canary keyed by its content hash shows as canary:<example id>). */
  canarySecretsVisible: boolean;
  /** Rows per database round trip. */
  pageSize?: number;
}

/**
 * Every score of a run, keyed by the user's example key, in run-ordinal order (the order the
 * examples were imported), page by page. Checks happen before the first page (NOT_FOUND for an
 * unknown or unscored run), so a transport can still answer with an error status. A run
 * re-scored while its pages are read throws CONFLICT before the page that would mix versions.
 */
export async function readRunScores(db: Database, { runId, canarySecretsVisible, pageSize = 20_000 }: ReadRunScoresOptions): Promise<RunScoresDownload> {
  const version = await dataMapVersion(db, runId);
  if (version === null) throw notFound("Run", runId);
  const [info] = await db.sql<{ count: number; resolved: unknown }>(
    `SELECT (SELECT count(*)::int FROM example_scores WHERE run_id = $1::uuid) AS count, scoring_resolved AS resolved FROM runs WHERE id = $1::uuid`,
    [runId],
  );
  const count = info?.count ?? 0;
  if (count === 0) throw new DomainError("NOT_FOUND", `Run ${runId} has no scores yet: its scores exist once it is scored`);
  const keys = await readRunExampleKeys(db, runId);
  if (keys.keys.length !== count) throw conflict(`run ${runId} has ${keys.keys.length} members but ${count} scores; score it again`);
  const visibleKeys = canarySecretsVisible ? keys.keys : keys.redacted;
  const select = SCORE_COLUMNS.map((c) => (c === "quadrant" ? "s.quadrant::text AS quadrant" : `s.${c}`)).join(", ");

  async function* pages(): AsyncGenerator<RunScoresPage> {
    for (let first = 0; first < count; first += pageSize) {
      const rows = await db.sql<Record<ScoreColumn, ScoreValue> & { ordinal: number }>(
        `SELECT s.ordinal, ${select} FROM example_scores s WHERE s.run_id = $1::uuid AND s.ordinal >= $2 AND s.ordinal < $3 ORDER BY s.ordinal`,
        [runId, first, first + pageSize],
      );
      if ((await dataMapVersion(db, runId)) !== version) throw conflict(`run ${runId} was scored again while its scores were read; download them again`);
      const expected = Math.min(pageSize, count - first);
      if (rows.length !== expected || rows[0]?.ordinal !== first)
        throw conflict(`run ${runId}: scores ${first}…${first + expected - 1} are incomplete; score it again`);
      const values = {} as Record<ScoreColumn, ScoreValue[]>;
      for (const c of SCORE_COLUMNS) values[c] = rows.map((r) => r[c] ?? null);
      yield { first, keys: visibleKeys.slice(first, first + rows.length), values };
    }
  }
  return { runId, count, memorizationSignal: memorizationSignalOf(info?.resolved) ?? "forgetFrequency", pages: pages() };
}

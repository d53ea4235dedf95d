import DataLoader from "dataloader";
import { SCORE_SIGNAL_COLUMNS, scoreRowOf, type Database, type ExampleScoreRow } from "@gdc/db";

/**
 * Per-request batch loaders (created in buildContext, dropped with the request: nothing is
 * cached across requests). Keys are "<owner id>:<example id>" pairs, or ids.
 */
export interface Loaders {
  /** An example's score in a run. */
  exampleScore: DataLoader<string, ExampleScoreRow | null>;
  /** An example's weight in a version (null: not a member). */
  exampleWeight: DataLoader<string, number | null>;
  /** A version's status by version id (null: no such version), e.g. for every item of a review queue page. */
  versionStatus: DataLoader<string, string | null>;
}

const pairs = (keys: readonly string[]) => {
  const owners: string[] = [];
  const examples: string[] = [];
  for (const key of keys) {
    const [owner, example] = key.split(":");
    owners.push(owner!);
    examples.push(example!);
  }
  return { owners, examples };
};

export function createLoaders(db: Database): Loaders {
  return {
    exampleScore: new DataLoader(async (keys) => {
      const { owners, examples } = pairs(keys);
      const rows = await db.sql<Record<string, unknown>>(
        `SELECT s.run_id::text || ':' || s.example_id::text AS key, ${SCORE_SIGNAL_COLUMNS}, s.quadrant::text AS quadrant
           FROM unnest($1::uuid[], $2::uuid[]) AS k(run_id, example_id)
           JOIN example_scores s ON s.run_id = k.run_id AND s.example_id = k.example_id`,
        [owners, examples],
      );
      const byKey = new Map(rows.map((r) => [r.key as string, scoreRowOf(r)]));
      return keys.map((k) => byKey.get(k) ?? null);
    }),
    exampleWeight: new DataLoader(async (keys) => {
      const { owners, examples } = pairs(keys);
      const rows = await db.sql<{ key: string; weight: number }>(
        `SELECT v.version_id::text || ':' || v.example_id::text AS key, v.weight
           FROM unnest($1::uuid[], $2::uuid[]) AS k(version_id, example_id)
           JOIN version_examples v ON v.version_id = k.version_id AND v.example_id = k.example_id`,
        [owners, examples],
      );
      const byKey = new Map(rows.map((r) => [r.key, Number(r.weight)]));
      return keys.map((k) => byKey.get(k) ?? null);
    }),
    versionStatus: new DataLoader(async (ids) => {
      const rows = await db.sql<{ id: string; status: string }>(`SELECT id::text, status::text FROM dataset_versions WHERE id = ANY($1::uuid[])`, [ids]);
      const byId = new Map(rows.map((r) => [r.id, r.status]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}

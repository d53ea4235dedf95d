import type { Database } from "../database.ts";
import type { Dataset, DatasetVersion, Example, Intervention, Release, Run, Study, User } from "../generated/prisma/client.ts";
import { SCORE_SIGNAL_COLUMNS, scoreRowOf, type ExampleScoreRow } from "../services/query-examples.ts";

/**
 * Batch reads (issue 12): one statement for many owners, for the API's per-request DataLoaders
 * (apps/api/src/loaders.ts), so that a list of N parents costs a bounded number of queries, not
 * one per parent. Each takes the keys and returns one entry per key, in the keys' order (null or
 * 0 or [] when there is none), as DataLoader wants.
 */

const byId = <T extends { id: string }>(ids: readonly string[], rows: T[]): (T | null)[] => {
  const map = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => map.get(id) ?? null);
};

const grouped = <T>(keys: readonly string[], rows: T[], keyOf: (row: T) => string): T[][] => {
  const map = new Map<string, T[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const list = map.get(key);
    if (list) list.push(row);
    else map.set(key, [row]);
  }
  return keys.map((k) => map.get(k) ?? []);
};

const counted = (keys: readonly string[], rows: { key: string; n: number }[]): number[] => {
  const map = new Map(rows.map((r) => [r.key, Number(r.n)]));
  return keys.map((k) => map.get(k) ?? 0);
};

export const datasetsByIds = async (db: Database, ids: readonly string[]): Promise<(Dataset | null)[]> =>
  byId(ids, await db.prisma.dataset.findMany({ where: { id: { in: [...ids] } } }));

export const versionsByIds = async (db: Database, ids: readonly string[]): Promise<(DatasetVersion | null)[]> =>
  byId(ids, await db.prisma.datasetVersion.findMany({ where: { id: { in: [...ids] } } }));

export const examplesByIds = async (db: Database, ids: readonly string[]): Promise<(Example | null)[]> =>
  byId(ids, await db.prisma.example.findMany({ where: { id: { in: [...ids] } } }));

export const runsByIds = async (db: Database, ids: readonly string[]): Promise<(Run | null)[]> =>
  byId(ids, await db.prisma.run.findMany({ where: { id: { in: [...ids] } } }));

export const usersByIds = async (db: Database, ids: readonly string[]): Promise<(User | null)[]> =>
  byId(ids, await db.prisma.user.findMany({ where: { id: { in: [...ids] } } }));

export const interventionsByIds = async (db: Database, ids: readonly string[]): Promise<(Intervention | null)[]> =>
  byId(ids, await db.prisma.intervention.findMany({ where: { id: { in: [...ids] } } }));

/** Each dataset's versions, oldest (number 1) first. */
export const versionsOfDatasets = async (db: Database, datasetIds: readonly string[]): Promise<DatasetVersion[][]> =>
  grouped(
    datasetIds,
    await db.prisma.datasetVersion.findMany({ where: { datasetId: { in: [...datasetIds] } }, orderBy: [{ datasetId: "asc" }, { number: "asc" }] }),
    (v) => v.datasetId,
  );

/** Each version's runs, newest first. */
export const runsOfVersions = async (db: Database, versionIds: readonly string[]): Promise<Run[][]> =>
  grouped(versionIds, await db.prisma.run.findMany({ where: { versionId: { in: [...versionIds] } }, orderBy: { createdAt: "desc" } }), (r) => r.versionId);

/** Each version's release, or null while it is a draft. */
export const releasesOfVersions = async (db: Database, versionIds: readonly string[]): Promise<(Release | null)[]> => {
  const rows = await db.prisma.release.findMany({ where: { versionId: { in: [...versionIds] } } });
  const map = new Map(rows.map((r) => [r.versionId, r]));
  return versionIds.map((id) => map.get(id) ?? null);
};

/** Each version's newest study (by creation, then id), or null. */
export const latestStudiesOfVersions = async (db: Database, versionIds: readonly string[]): Promise<(Study | null)[]> => {
  const rows = await db.prisma.study.findMany({
    where: { versionId: { in: [...versionIds] } },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    distinct: ["versionId"],
  });
  const map = new Map(rows.map((s) => [s.versionId!, s]));
  return versionIds.map((id) => map.get(id) ?? null);
};

/** How many examples each version holds. */
export const versionExampleCounts = async (db: Database, versionIds: readonly string[]): Promise<number[]> =>
  counted(
    versionIds,
    await db.sql<{ key: string; n: number }>(
      `SELECT version_id::text AS key, count(*)::int AS n FROM version_examples WHERE version_id = ANY($1::uuid[]) GROUP BY version_id`,
      [versionIds],
    ),
  );

/** How many canaries each version holds. */
export const versionCanaryCounts = async (db: Database, versionIds: readonly string[]): Promise<number[]> =>
  counted(
    versionIds,
    await db.sql<{ key: string; n: number }>(
      `SELECT ve.version_id::text AS key, count(*)::int AS n FROM version_examples ve JOIN examples e ON e.id = ve.example_id
       WHERE ve.version_id = ANY($1::uuid[]) AND e.is_canary GROUP BY ve.version_id`,
      [versionIds],
    ),
  );

/** How many examples each run's snapshot holds (ordinals are 0…N−1, as runExampleCount counts them). */
export const runExampleCounts = async (db: Database, runIds: readonly string[]): Promise<number[]> =>
  counted(
    runIds,
    await db.sql<{ key: string; n: number }>(
      `SELECT run_id::text AS key, (max(ordinal) + 1)::int AS n FROM run_examples WHERE run_id = ANY($1::uuid[]) GROUP BY run_id`,
      [runIds],
    ),
  );

/** Splits "<owner id>:<example id>" keys. */
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

/** An example's scores in a run, by "<run id>:<example id>" keys; null when not scored. */
export async function exampleScoresByKeys(db: Database, keys: readonly string[]): Promise<(ExampleScoreRow | null)[]> {
  const { owners, examples } = pairs(keys);
  const rows = await db.sql<Record<string, unknown>>(
    `SELECT s.run_id::text || ':' || s.example_id::text AS key, ${SCORE_SIGNAL_COLUMNS}, s.quadrant::text AS quadrant
       FROM unnest($1::uuid[], $2::uuid[]) AS k(run_id, example_id)
       JOIN example_scores s ON s.run_id = k.run_id AND s.example_id = k.example_id`,
    [owners, examples],
  );
  const map = new Map(rows.map((r) => [r.key as string, scoreRowOf(r)]));
  return keys.map((k) => map.get(k) ?? null);
}

/** An example's weight in a version, by "<version id>:<example id>" keys; null when not a member. */
export async function exampleWeightsByKeys(db: Database, keys: readonly string[]): Promise<(number | null)[]> {
  const { owners, examples } = pairs(keys);
  const rows = await db.sql<{ key: string; weight: number }>(
    `SELECT v.version_id::text || ':' || v.example_id::text AS key, v.weight
       FROM unnest($1::uuid[], $2::uuid[]) AS k(version_id, example_id)
       JOIN version_examples v ON v.version_id = k.version_id AND v.example_id = k.example_id`,
    [owners, examples],
  );
  const map = new Map(rows.map((r) => [r.key, Number(r.weight)]));
  return keys.map((k) => map.get(k) ?? null);
}

/** Each version's status (null: no such version). */
export async function versionStatusesByIds(db: Database, ids: readonly string[]): Promise<(string | null)[]> {
  const rows = await db.sql<{ id: string; status: string }>(`SELECT id::text, status::text FROM dataset_versions WHERE id = ANY($1::uuid[])`, [ids]);
  const map = new Map(rows.map((r) => [r.id, r.status]));
  return ids.map((id) => map.get(id) ?? null);
}

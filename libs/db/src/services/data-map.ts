import { QUADRANTS, type MemorizationSignal, type Quadrant } from "@gdc/cartography";
import type { Database } from "../database.ts";
import { readRunExampleKeys } from "./example-key.ts";
import { memorizationSignalOf } from "./run-scoring-config.ts";

export interface DataMapThresholds {
  difficulty: number;
  memorization: number;
  source: string;
}

/**
 * Every scored point of a run as typed columns, index i = run ordinal i: what the data map
 * draws, what the API caches and serves as Arrow (apps/api/src/data-map-http.ts).
 */
export interface DataMapColumns {
  runId: string;
  count: number;
  /**
   * Identifies the scores these columns were read from; it changes whenever the run's scores
   * are (re)written (see dataMapVersion), so a cache keyed by it is never stale.
   */
  version: string;
  /** Example ids (UUID text), in run-ordinal order. */
  ids: string[];
  /** The user's example keys, in run-ordinal order (readRunExampleKeys): as stored, and as roles that may not read canary secrets see them. */
  keys: string[];
  redactedKeys: string[];
  /** Float32, exactly as stored (`real` columns). */
  difficulty: Float32Array;
  memorization: Float32Array;
  /** Index into QUADRANTS, per point. */
  quadrant: Uint8Array;
  /** 1 for canaries. */
  isCanary: Uint8Array;
  thresholds: DataMapThresholds;
  /** The signal `memorization` is (memorizationSignalOf the run's scoringResolved). */
  memorizationSignal: MemorizationSignal;
}

/** The data map as the GraphQL `dataMap` field returns it: plain arrays. */
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
  thresholds: DataMapThresholds;
  /** The signal `memorization` is. */
  memorizationSignal: MemorizationSignal;
}

/** SQL for a run's score version: scoreRun stamps metrics.scoredAt in the transaction that writes the scores. */
const VERSION_SQL = `coalesce(r.metrics->>'scoredAt', '') || '|' || coalesce(r.finished_at::text, '') || '|' || r.status::text`;

/**
 * The current score version of a run (cheap: one primary-key read), or null when the run does
 * not exist. Compare with DataMapColumns.version to decide whether cached columns still hold.
 */
export async function dataMapVersion(db: Database, runId: string): Promise<string | null> {
  const [row] = await db.sql<{ version: string }>(`SELECT ${VERSION_SQL} AS version FROM runs r WHERE r.id = $1::uuid`, [runId], { prepare: true });
  return row?.version ?? null;
}

const QUADRANT_CODE = `CASE s.quadrant WHEN 'STABLE_EASY' THEN 0 WHEN 'AMBIGUOUS_HARD' THEN 1 WHEN 'HOTSPOT_MEMORIZED' THEN 2 ELSE 3 END`;

/**
 * A run's points in one statement: it walks example_scores in ordinal order (its unique
 * index, no sort) and concatenates each column into one value on the server, because 100 k
 * rows as driver row objects, or PostgreSQL arrays parsed element by element, cost several
 * times more. `binary`: bytea columns (uuid_send: 16 bytes per id; float4send: the stored
 * float32 bits, big-endian; one byte per quadrant code); else text (comma-separated ids and
 * numbers as PostgreSQL prints them, one digit per quadrant code). The run's score version and
 * resolved config are read in the same statement, so they always agree with the points.
 * Canary flags come from a second query run alongside it (canaryIdsOf).
 */
async function readPoints<Value>(db: Database, runId: string, binary: boolean) {
  const agg = (expression: string, separator: string) => `string_agg(${expression}, ${binary ? "''::bytea" : `'${separator}'`})`;
  return Promise.all([
    db
      .sql<{
        count: number;
        ids: Value | null;
        difficulty: Value | null;
        memorization: Value | null;
        quadrant: Value | null;
        version: string | null;
        resolved: ResolvedScoring;
      }>(
        `SELECT count(*)::int AS count,
              ${agg(binary ? "uuid_send(p.example_id)" : "p.example_id::text", ",")} AS ids,
              ${agg(binary ? "float4send(p.difficulty)" : "p.difficulty::text", ",")} AS difficulty,
              ${agg(binary ? "float4send(p.memorization)" : "p.memorization::text", ",")} AS memorization,
              ${agg(binary ? "set_byte('\\x00'::bytea, 0, p.q)" : "p.q::text", "")} AS quadrant,
              (SELECT ${VERSION_SQL} FROM runs r WHERE r.id = $1::uuid) AS version,
              (SELECT scoring_resolved FROM runs WHERE id = $1::uuid) AS resolved
         FROM (SELECT s.example_id, s.difficulty, s.memorization, ${QUADRANT_CODE} AS q
                 FROM example_scores s
                WHERE s.run_id = $1::uuid
                ORDER BY s.ordinal) p`,
        [runId],
      )
      .then((rows) => rows[0]),
    canaryIdsOf(db, runId),
  ]);
}

/** A run's data map columns (binary, exact float32), null when the run has no scores. */
export async function readDataMapColumns(db: Database, runId: string): Promise<DataMapColumns | null> {
  const [[row, canaries], keys] = await Promise.all([readPoints<Uint8Array>(db, runId, true), readRunExampleKeys(db, runId)]);
  if (!row || row.count === 0 || row.version === null) return null;
  const n = row.count;
  // run_examples and example_scores share the ordinals 0…n−1 (scoreRun writes one score per member).
  if (keys.keys.length !== n) throw new Error(`data map: run ${runId} has ${keys.keys.length} members but ${n} scores`);
  const ids = uuidsFromBytes(row.ids!, n);
  const isCanary = new Uint8Array(n);
  if (canaries.size) for (let i = 0; i < n; i++) if (canaries.has(ids[i]!)) isCanary[i] = 1;
  return {
    runId,
    count: n,
    version: row.version,
    ids,
    keys: keys.keys,
    redactedKeys: keys.redacted,
    difficulty: float32FromBigEndian(row.difficulty!, n),
    memorization: float32FromBigEndian(row.memorization!, n),
    quadrant: Uint8Array.from(row.quadrant!.subarray(0, n)),
    isCanary,
    thresholds: thresholdsOf(row.resolved),
    memorizationSignal: memorizationSignalOf(row.resolved) ?? "forgetFrequency",
  };
}

/**
 * Every scored point of a run, as parallel arrays in ordinal order (the GraphQL `dataMap`
 * field; big maps are better fetched as Arrow, see readDataMapColumns). Numbers come as
 * PostgreSQL prints them (the shortest decimal that reads back as the stored float32), the
 * same values every other score field returns. Null when the run has no scores.
 */
export async function queryDataMap(db: Database, runId: string): Promise<DataMap | null> {
  const [row, canaries] = await readPoints<string>(db, runId, false);
  if (!row || row.count === 0) return null;
  const n = row.count;
  const ids = row.ids!.split(",");
  const quadrant = new Array<number>(n);
  const isCanary = new Array<boolean>(n);
  const q = row.quadrant!;
  for (let i = 0; i < n; i++) {
    quadrant[i] = q.charCodeAt(i) - 48;
    isCanary[i] = canaries.size > 0 && canaries.has(ids[i]!);
  }
  return {
    runId,
    count: n,
    ids,
    difficulty: row.difficulty!.split(",").map(Number),
    memorization: row.memorization!.split(",").map(Number),
    quadrant,
    quadrants: QUADRANTS,
    isCanary,
    thresholds: thresholdsOf(row.resolved),
    memorizationSignal: memorizationSignalOf(row.resolved) ?? "forgetFrequency",
  };
}

type ResolvedScoring = { thresholds?: { difficulty?: number; memorization?: number; source?: string } } | null;

const thresholdsOf = (resolved: ResolvedScoring): DataMapThresholds => {
  const t = resolved?.thresholds;
  return { difficulty: t?.difficulty ?? Number.NaN, memorization: t?.memorization ?? Number.NaN, source: t?.source ?? "unknown" };
};

/** Ids of the canaries in the run's dataset: few, so one small query beside the points beats joining every point to its example. */
async function canaryIdsOf(db: Database, runId: string): Promise<Set<string>> {
  const [row] = await db.sql<{ ids: string | null }>(
    `SELECT string_agg(e.id::text, ',') AS ids
       FROM examples e
      WHERE e.is_canary AND e.dataset_id = (SELECT v.dataset_id FROM runs r JOIN dataset_versions v ON v.id = r.version_id WHERE r.id = $1::uuid)`,
    [runId],
  );
  return new Set(row?.ids ? row.ids.split(",") : []);
}

function float32FromBigEndian(bytes: Uint8Array, n: number): Float32Array {
  if (bytes.length !== n * 4) throw new Error(`data map: expected ${n * 4} bytes of float4, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, false);
  return out;
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

function uuidsFromBytes(bytes: Uint8Array, n: number): string[] {
  if (bytes.length !== n * 16) throw new Error(`data map: expected ${n * 16} bytes of uuid, got ${bytes.length}`);
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const o = i * 16;
    let s = "";
    for (let k = 0; k < 16; k++) {
      if (k === 4 || k === 6 || k === 8 || k === 10) s += "-";
      s += HEX[bytes[o + k]!];
    }
    out[i] = s;
  }
  return out;
}

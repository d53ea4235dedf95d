import type { Database, SqlTransaction } from "../database.ts";

/**
 * Example key → run ordinal, as ingestDynamics needs it for every cell.
 *
 * Probing costs two unique-index probes per key (examples by (dataset, key), then run_examples
 * by (run, example id), whose example ids are in no useful order): ~15 µs a key on a 1 M-example
 * run, most of an ingest's time. Loading the run's whole mapping is one hash join: ~3 µs a key,
 * PostgreSQL and Node together.
 * The mapping is a fixed function of the run id: a run's snapshot (run_examples) is written in
 * the transaction that creates the run and never changed, an example's key never changes, and
 * run ids are never reused. So each process (each Database handle) keeps the mappings it loaded,
 * and a cached one is as correct as a fresh read, under any concurrency.
 *
 * When to load: ski rental. A run's keys are probed until the keys probed so far reach
 * 1/PRELOAD_FRACTION of the run (about what the load costs), then loaded once: a run ingested
 * whole pays at most about twice the optimum, a few cells of a large run never pay for a load.
 * One load per run at a time: meanwhile, chunks as large as a load's worth wait for it, smaller
 * ones are probed.
 */

/**
 * Keys (summed over runs) a Database handle keeps, least recently used runs dropped first: a
 * key costs 50–90 bytes of heap (8- to 36-character keys), so at most ~180 MB. A run larger
 * than this is always probed.
 */
export const RUN_KEY_CACHE_LIMIT = 2_000_000;
const PRELOAD_FRACTION = 16;
/** Runs whose probe counts are remembered (the counts are only a heuristic). */
const PROBE_COUNTS_KEPT = 1_000;

export interface RunKeyScope {
  runId: string;
  datasetId: string;
  /** The run's example count (ordinals are 0…examples−1). */
  examples: number;
}

interface Entry {
  size: number;
  map?: Map<string, number>;
  loading?: Promise<Map<string, number>>;
}

class RunKeyCache {
  /** Insertion order is recency: a hit moves its run to the end. */
  readonly runs = new Map<string, Entry>();
  readonly probed = new Map<string, number>();
  keys = 0;

  touch(runId: string, entry: Entry) {
    this.runs.delete(runId);
    this.runs.set(runId, entry);
  }

  add(runId: string, entry: Entry) {
    this.touch(runId, entry);
    this.keys += entry.size;
    for (const [id, old] of this.runs) {
      if (this.keys <= RUN_KEY_CACHE_LIMIT || id === runId) break;
      this.drop(id, old);
    }
  }

  drop(runId: string, entry: Entry) {
    if (this.runs.get(runId) !== entry) return;
    this.runs.delete(runId);
    this.keys -= entry.size;
  }

  countProbes(runId: string, keys: number): number {
    const total = (this.probed.get(runId) ?? 0) + keys;
    this.probed.delete(runId);
    this.probed.set(runId, total);
    if (this.probed.size > PROBE_COUNTS_KEPT) this.probed.delete(this.probed.keys().next().value!);
    return total;
  }
}

const caches = new WeakMap<Database, RunKeyCache>();
const cacheOf = (db: Database) => {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new RunKeyCache()));
  return cache;
};

/**
 * The ordinals of `keys` in the run (a key that is not one of its training examples is absent
 * from the map, which may also hold other keys of the run). `tx` is the caller's transaction,
 * which has read the run row (so its snapshot is committed); loads and probes run on it (the
 * embedded store has no other connection to run them on).
 */
export async function runKeyOrdinals(db: Database, tx: SqlTransaction, scope: RunKeyScope, keys: () => string[]): Promise<Map<string, number>> {
  const cache = cacheOf(db);
  const entry = cache.runs.get(scope.runId);
  if (entry?.map) {
    cache.touch(scope.runId, entry);
    return entry.map;
  }
  const distinct = keys();
  if (entry) {
    // Another chunk is loading it. A chunk that would not have paid for a load alone is probed
    // meanwhile (the load takes seconds at 1 M); a larger one waits, and probes if the load fails.
    cache.touch(scope.runId, entry);
    if (distinct.length * PRELOAD_FRACTION < scope.examples) return probeRunKeys(tx, scope, distinct);
    const loaded = await entry.loading!.catch(() => undefined);
    if (loaded) return loaded;
  }
  const probedSoFar = cache.countProbes(scope.runId, distinct.length);
  if (scope.examples <= RUN_KEY_CACHE_LIMIT && probedSoFar * PRELOAD_FRACTION >= scope.examples && !cache.runs.has(scope.runId)) {
    const pending: Entry = { size: scope.examples };
    pending.loading = loadRunKeys(tx, scope).then(
      (map) => {
        pending.map = map;
        pending.loading = undefined;
        cache.probed.delete(scope.runId);
        return map;
      },
      (err: unknown) => {
        cache.drop(scope.runId, pending);
        throw err;
      },
    );
    cache.add(scope.runId, pending);
    return pending.loading;
  }
  return probeRunKeys(tx, scope, distinct);
}

/** Forgets a run's mapping (e.g. once the run no longer takes dynamics). */
export function forgetRunKeys(db: Database, runId: string): void {
  const cache = caches.get(db);
  const entry = cache?.runs.get(runId);
  if (cache && entry) cache.drop(runId, entry);
  cache?.probed.delete(runId);
}

/** How many keys of the run this handle holds (undefined: none, or still loading); for tests. */
export function cachedRunKeyCount(db: Database, runId: string): number | undefined {
  return caches.get(db)?.runs.get(runId)?.map?.size;
}

/** One pair of unique-index probes per key, whatever the planner believes about a freshly
 * snapshotted run_examples (a join planned on stale statistics hashed the whole run). */
async function probeRunKeys(tx: SqlTransaction, scope: RunKeyScope, keys: string[]): Promise<Map<string, number>> {
  const rows = await tx.sql<{ key: string; ordinal: number | null }>(
    `SELECT u.k AS key,
            (SELECT re.ordinal FROM examples e JOIN run_examples re ON re.run_id = $3::uuid AND re.example_id = e.id
              WHERE e.dataset_id = $2::uuid AND e.key = u.k) AS ordinal
       FROM unnest($1::text[]) AS u(k)`,
    [keys, scope.datasetId, scope.runId],
  );
  const map = new Map<string, number>();
  for (const r of rows) if (r.ordinal !== null) map.set(r.key, r.ordinal);
  return map;
}

/** The run's whole mapping: one hash join, sent as two JSON arrays in the same row order. */
async function loadRunKeys(tx: SqlTransaction, scope: RunKeyScope): Promise<Map<string, number>> {
  // Statistics of a just-snapshotted run_examples say "a few rows": the planner would pick a
  // nested loop of one examples probe per member (seconds at 1 M), not one hash join.
  await tx.sql(`SET LOCAL enable_nestloop = off`);
  const [row] = await tx.sql<{ keys: string[] | null; ordinals: number[] | null }>(
    `SELECT json_agg(e.key) AS keys, json_agg(re.ordinal) AS ordinals
       FROM run_examples re JOIN examples e ON e.id = re.example_id
      WHERE re.run_id = $1::uuid AND e.dataset_id = $2::uuid`,
    [scope.runId, scope.datasetId],
  );
  await tx.sql(`RESET enable_nestloop`);
  const keys = row?.keys ?? [];
  const ordinals = row?.ordinals ?? [];
  const map = new Map<string, number>();
  for (let i = 0; i < keys.length; i++) map.set(keys[i]!, ordinals[i]!);
  return map;
}

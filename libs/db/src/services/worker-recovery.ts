import type { Database } from "../database.ts";

/**
 * The worker's recovery reads (issue 12): what a dead or stopped worker left behind. The worker
 * enqueues jobs for them; the jobs claim atomically (run-claim.ts, study-claim.ts), so a
 * duplicate is harmless.
 */

/** TRACKED runs and studies RUNNING with a heartbeat older than `staleAfterSeconds` (or none). */
export async function findStaleWork(db: Database, { staleAfterSeconds }: { staleAfterSeconds: number }): Promise<{ runIds: string[]; studyIds: string[] }> {
  const runs = await db.sql<{ id: string }>(
    `SELECT id FROM runs WHERE kind = 'TRACKED' AND status = 'RUNNING'
       AND (heartbeat_at IS NULL OR heartbeat_at < now() - make_interval(secs => $1::float8))`,
    [staleAfterSeconds],
  );
  const studies = await db.sql<{ id: string }>(
    `SELECT id FROM studies WHERE status = 'RUNNING'
       AND (progress IS NULL OR NOT (progress ? 'heartbeatAt') OR (progress ->> 'heartbeatAt')::timestamptz < now() - make_interval(secs => $1::float8))`,
    [staleAfterSeconds],
  );
  return { runIds: runs.map((r) => r.id), studyIds: studies.map((s) => s.id) };
}

/**
 * Forgets the heartbeats of RUNNING runs and studies: for the embedded store, which is locked to
 * one process, so whatever is RUNNING at its start was left by a process that stopped and must
 * not wait out the stale limit. The claims stay; the next claim replaces them.
 */
export async function clearHeartbeatsOfStoppedProcess(db: Database): Promise<void> {
  await db.sql(`UPDATE runs SET heartbeat_at = NULL WHERE status = 'RUNNING' AND kind = 'TRACKED'`);
  await db.sql(`UPDATE studies SET progress = progress - 'heartbeatAt' WHERE status = 'RUNNING' AND progress IS NOT NULL`);
}

/**
 * Work to resume at a worker's start: TRACKED runs RUNNING with a stale heartbeat; unless the
 * queue is durable (pg-boss keeps queued jobs), also QUEUED tracked runs, runs waiting for
 * scoring (SCORING) and QUEUED or RUNNING studies.
 */
export async function findInterruptedWork(
  db: Database,
  { staleAfterSeconds, durableQueue }: { staleAfterSeconds: number; durableQueue: boolean },
): Promise<{ runs: { id: string; status: string }[]; studyIds: string[] }> {
  const runs = await db.sql<{ id: string; status: string }>(
    `SELECT id, status::text AS status FROM runs
     WHERE (kind = 'TRACKED' AND status = 'RUNNING' AND (heartbeat_at IS NULL OR heartbeat_at < now() - make_interval(secs => $1::float8)))
        OR (NOT $2::bool AND ((kind = 'TRACKED' AND status = 'QUEUED') OR status = 'SCORING'))`,
    [staleAfterSeconds, durableQueue],
  );
  const studies = durableQueue ? [] : await db.sql<{ id: string }>(`SELECT id FROM studies WHERE status IN ('QUEUED', 'RUNNING')`);
  return { runs, studyIds: studies.map((s) => s.id) };
}

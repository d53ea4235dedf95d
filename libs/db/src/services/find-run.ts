import type { Database } from "../database.ts";
import type { Run } from "../generated/prisma/client.ts";

/**
 * A run by id, exactly as `prisma.run.findUnique({ where: { id } })` returns it, in one
 * statement on the driver. Every `run(id: …)` API request starts here; the Prisma client
 * spends ~1.3 ms of CPU on this lookup against ~0.15 ms for the statement (bench/api). An id
 * that is not a UUID fails in PostgreSQL (22P02), as with the Prisma client.
 */
export async function findRun(db: Database, id: string): Promise<Run | null> {
  const [row] = await db.sql<Run>(
    `SELECT id, version_id AS "versionId", name, kind::text AS kind, status::text AS status, model_config AS "modelConfig", seed, backend,
            dynamics_source::text AS "dynamicsSource", epochs, scoring_config AS "scoringConfig", scoring_resolved AS "scoringResolved", metrics,
            progress_epoch AS "progressEpoch", progress_step AS "progressStep", progress_steps AS "progressSteps",
            examples_per_sec AS "examplesPerSec", eta_seconds AS "etaSeconds", heartbeat_at AS "heartbeatAt", claim_id AS "claimId", error,
            created_by_id AS "createdById", created_at AS "createdAt", started_at AS "startedAt", finished_at AS "finishedAt"
       FROM runs WHERE id = $1::uuid`,
    [id],
    { prepare: true },
  );
  return row ?? null;
}

import { randomUUID } from "node:crypto";
import type { Database } from "../database.ts";
import { appendAuditEvent, auditedTransaction, type Actor, type Tx } from "../audit.ts";
import { heartbeatStaleSeconds } from "../env.ts";
import { conflict, notFound } from "../errors.ts";
import type { Prisma, Run } from "../generated/prisma/client.ts";
import { writeDynamicsEpoch } from "./dynamics-store.ts";

/**
 * The worker's side of a TRACKED run (issue 12), each transition a service:
 *
 *   claimRun            QUEUED → RUNNING ("run.claim"), or RUNNING with a stale heartbeat →
 *                       RUNNING under a new claim ("run.resume"); audited
 *   beatRun             heartbeat and live progress (not audited: no state change)
 *   saveRunCheckpoint   an epoch's checkpoint and dynamics (not audited: progress within RUNNING)
 *   finishRunTraining   RUNNING → SCORING with the training metrics ("run.trained"); audited
 *   failClaimedRun      RUNNING → FAILED ("run.fail"); audited
 *
 * Every transition after the claim carries the claim's id and is refused (CONFLICT, or `false`
 * for the heartbeat) unless the run is still RUNNING under that very claim: a worker that paused
 * past the stale limit, and whose run another worker resumed, can no longer write to it.
 */
export interface RunClaim {
  runId: string;
  claimId: string;
  /** The run was RUNNING (its previous worker died) rather than QUEUED. */
  resumed: boolean;
  run: Run;
}

/** Atomically takes the run (QUEUED, or RUNNING with a heartbeat older than the stale limit); null when someone else holds it or it ended. */
export async function claimRun(
  db: Database,
  actor: Actor,
  { runId, staleAfterSeconds = heartbeatStaleSeconds() }: { runId: string; staleAfterSeconds?: number },
): Promise<RunClaim | null> {
  const claimId = randomUUID();
  return db.prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRawUnsafe<{ status: string }[]>(
      `WITH before AS (SELECT id, status FROM runs WHERE id = $1::uuid AND kind = 'TRACKED' FOR UPDATE)
       UPDATE runs r SET status = 'RUNNING', started_at = COALESCE(r.started_at, now()), heartbeat_at = now(), error = NULL, claim_id = $3::uuid
       FROM before
       WHERE r.id = before.id
         AND (before.status = 'QUEUED' OR (before.status = 'RUNNING' AND (r.heartbeat_at IS NULL OR r.heartbeat_at < now() - make_interval(secs => $2::float8))))
       RETURNING before.status::text AS status`,
      runId,
      staleAfterSeconds,
      claimId,
    );
    if (rows.length === 0) return null;
    const resumed = rows[0]!.status === "RUNNING";
    await appendAuditEvent(tx, actor, {
      action: resumed ? "run.resume" : "run.claim",
      targetType: "Run",
      targetId: runId,
      before: { status: rows[0]!.status },
      after: { status: "RUNNING" },
    });
    const run = await tx.run.findUniqueOrThrow({ where: { id: runId } });
    return { runId, claimId, resumed, run };
  });
}

export interface RunProgress {
  epoch: number;
  step: number;
  steps: number;
  examplesPerSecond: number | null;
  etaSeconds: number | null;
}

/** Refreshes the heartbeat (and the live progress, when given). False when the claim is no longer the run's: the caller should stop. */
export async function beatRun(db: Database, { runId, claimId, progress }: { runId: string; claimId: string; progress?: RunProgress }): Promise<boolean> {
  const rows = progress
    ? await db.sql(
        `UPDATE runs SET progress_epoch = $3, progress_step = $4, progress_steps = $5, examples_per_sec = $6, eta_seconds = $7, heartbeat_at = now()
         WHERE id = $1::uuid AND status = 'RUNNING' AND claim_id = $2::uuid RETURNING id`,
        [runId, claimId, progress.epoch, progress.step, progress.steps, progress.examplesPerSecond, progress.etaSeconds],
      )
    : await db.sql(`UPDATE runs SET heartbeat_at = now() WHERE id = $1::uuid AND status = 'RUNNING' AND claim_id = $2::uuid RETURNING id`, [runId, claimId]);
  return rows.length === 1;
}

/** Records the TensorFlow.js backend the claimed run trains on. */
export async function setRunBackend(db: Database, { runId, claimId, backend }: { runId: string; claimId: string; backend: string }): Promise<void> {
  const { count } = await db.prisma.run.updateMany({ where: { id: runId, status: "RUNNING", claimId }, data: { backend } });
  if (count !== 1) throw await lostClaim(db.prisma, runId, claimId);
}

/** Locks the run and refuses unless it is RUNNING under `claimId`; returns its status for the audit. */
async function lockClaimed(tx: Tx, runId: string, claimId: string): Promise<void> {
  const [row] = await tx.$queryRawUnsafe<{ status: string; claim_id: string | null }[]>(
    `SELECT status::text AS status, claim_id::text AS claim_id FROM runs WHERE id = $1::uuid FOR UPDATE`,
    runId,
  );
  if (!row) throw notFound("Run", runId);
  if (row.status !== "RUNNING") throw conflict(`Run ${runId} is ${row.status}, not RUNNING: this worker's claim ended`);
  if (row.claim_id !== claimId) throw conflict(`Run ${runId} was claimed by another worker; this worker's claim ended`);
}

async function lostClaim(prisma: Tx | Database["prisma"], runId: string, claimId: string) {
  const run = await prisma.run.findUnique({ where: { id: runId }, select: { status: true, claimId: true } });
  if (!run) return notFound("Run", runId);
  if (run.status !== "RUNNING") return conflict(`Run ${runId} is ${run.status}, not RUNNING: this worker's claim ended`);
  return conflict(run.claimId === claimId ? `Run ${runId} could not be updated` : `Run ${runId} was claimed by another worker; this worker's claim ended`);
}

/**
 * Stores epoch `epoch`'s checkpoint and that epoch's dynamics (one loss and one accuracy per
 * example) in one transaction, drops older checkpoints and advances the progress; refused
 * unless the run is still RUNNING under `claimId` (a cancelled run stops at its next epoch).
 */
export async function saveRunCheckpoint(
  db: Database,
  { runId, claimId, epoch, state, loss, acc }: { runId: string; claimId: string; epoch: number; state: Uint8Array; loss: Float32Array; acc: Float32Array },
): Promise<void> {
  await db.prisma.$transaction(
    async (tx) => {
      await lockClaimed(tx, runId, claimId);
      await writeDynamicsEpoch(tx, runId, epoch, loss, acc);
      const bytes = new Uint8Array(state);
      await tx.runCheckpoint.upsert({ where: { runId_epoch: { runId, epoch } }, create: { runId, epoch, state: bytes }, update: { state: bytes } });
      await tx.runCheckpoint.deleteMany({ where: { runId, epoch: { lt: epoch } } });
      await tx.run.update({ where: { id: runId }, data: { progressEpoch: epoch + 1, heartbeatAt: new Date() } });
    },
    { timeout: 600_000, maxWait: 30_000 },
  );
}

/** The run's latest checkpoint (epoch and encoded state), or null. */
export async function latestRunCheckpoint(db: Database, runId: string): Promise<{ epoch: number; state: Uint8Array } | null> {
  const latest = await db.prisma.runCheckpoint.findFirst({ where: { runId }, orderBy: { epoch: "desc" } });
  return latest ? { epoch: latest.epoch, state: latest.state } : null;
}

/** Drops a run's checkpoints (once its scores are stored they are no longer needed). */
export async function deleteRunCheckpoints(db: Database, runId: string): Promise<number> {
  const { count } = await db.prisma.runCheckpoint.deleteMany({ where: { runId } });
  return count;
}

/** RUNNING → SCORING with the training metrics, audited ("run.trained"); refused unless still RUNNING under `claimId`. */
export async function finishRunTraining(
  db: Database,
  actor: Actor,
  { runId, claimId, metrics }: { runId: string; claimId: string; metrics: Record<string, unknown> },
): Promise<Run> {
  return auditedTransaction(db, actor, async (tx) => {
    await lockClaimed(tx, runId, claimId);
    const current = await tx.run.findUniqueOrThrow({ where: { id: runId }, select: { epochs: true } });
    const run = await tx.run.update({
      where: { id: runId },
      data: { status: "SCORING", metrics: metrics as Prisma.InputJsonValue, progressEpoch: current.epochs, etaSeconds: 0, heartbeatAt: new Date() },
    });
    return {
      result: run,
      audit: { action: "run.trained", targetType: "Run", targetId: runId, before: { status: "RUNNING" }, after: { status: "SCORING", metrics } },
    };
  });
}

/** RUNNING → FAILED with the error, audited ("run.fail"); refused unless still RUNNING under `claimId`. */
export async function failClaimedRun(db: Database, actor: Actor, { runId, claimId, error }: { runId: string; claimId: string; error: string }): Promise<Run> {
  return auditedTransaction(db, actor, async (tx) => {
    await lockClaimed(tx, runId, claimId);
    const run = await tx.run.update({ where: { id: runId }, data: { status: "FAILED", error, finishedAt: new Date() } });
    return {
      result: run,
      audit: { action: "run.fail", targetType: "Run", targetId: runId, before: { status: "RUNNING" }, after: { status: "FAILED", error } },
    };
  });
}

/** What a claimed run trains on: its members in ordinal order (text, weight) and the version's non-canary VALIDATION texts in key order. */
export async function runTrainingInputs(
  db: Database,
  run: Pick<Run, "id" | "versionId">,
): Promise<{ members: { ordinal: number; text: string; weight: number }[]; validationTexts: string[] }> {
  const members = await db.sql<{ ordinal: number; text: string; weight: number }>(
    `SELECT re.ordinal, e.text, re.weight FROM run_examples re JOIN examples e ON e.id = re.example_id
     WHERE re.run_id = $1::uuid ORDER BY re.ordinal`,
    [run.id],
  );
  const validation = await db.sql<{ text: string }>(
    `SELECT e.text FROM version_examples ve JOIN examples e ON e.id = ve.example_id
     WHERE ve.version_id = $1::uuid AND e.split = 'VALIDATION' AND NOT e.is_canary ORDER BY e.key`,
    [run.versionId],
  );
  return { members, validationTexts: validation.map((v) => v.text) };
}

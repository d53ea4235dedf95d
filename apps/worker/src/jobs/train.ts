import {
  appendAuditEvent,
  auditedTransaction,
  heartbeatStaleSeconds,
  scoreRun,
  systemActor,
  writeDynamicsEpoch,
  type Database,
  type Prisma,
} from "@gdc/db";
import {
  trainLanguageModel,
  selectBackend,
  type CheckpointStore,
  type TrainingCheckpoint,
  type TrainingConfig,
} from "@gdc/model";
import type { JobImplementation } from "./index.ts";
import { decodeCheckpoint, encodeCheckpoint } from "../checkpoint-codec.ts";
import { resolveRunTrainingConfig } from "@gdc/model/config";

const worker = systemActor("worker");

/** A RUNNING run whose heartbeat is older than this is taken to be orphaned by a dead worker. */
/** GDC_HEARTBEAT_STALE_SECONDS, validated (libs/db env.ts). */
export const staleAfterSeconds = () => heartbeatStaleSeconds();

/**
 * Trains a TRACKED run with per-example dynamics, then scores it. Safe to run again after a
 * worker died: it claims the run only if nobody alive holds it, resumes from the last epoch
 * checkpoint, and every epoch's dynamics are written together with that checkpoint, so a
 * resumed run neither loses nor duplicates anything.
 */
export const trainJob: JobImplementation<"train"> = async (deps, { runId }) => {
  const { db } = deps;
  const log = deps.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  if (!(await claimRun(db, runId))) {
    log(`run ${runId}: not claimed (finished, cancelled, or held by a live worker)`);
    return;
  }
  const run = await db.prisma.run.findUniqueOrThrow({ where: { id: runId } });
  const members = await db.sql<{ ordinal: number; text: string; weight: number }>(
    `SELECT re.ordinal, e.text, re.weight FROM run_examples re JOIN examples e ON e.id = re.example_id
     WHERE re.run_id = $1::uuid ORDER BY re.ordinal`,
    [runId],
  );
  const validation = await db.sql<{ text: string }>(
    `SELECT e.text FROM version_examples ve JOIN examples e ON e.id = ve.example_id
     WHERE ve.version_id = $1::uuid AND e.split = 'VALIDATION' AND NOT e.is_canary ORDER BY e.key`,
    [run.versionId],
  );

  let config: TrainingConfig;
  try {
    config = resolveRunTrainingConfig(run.modelConfig, { epochs: run.epochs, seed: run.seed });
  } catch (err) {
    await failRun(db, runId, `modelConfig: ${err instanceof Error ? err.message : String(err)}`);
    return;
  }
  const backend = await selectBackend();
  await db.prisma.run.update({ where: { id: runId }, data: { backend: backend.backend } });

  const heartbeat = setInterval(() => {
    void db.sql(`UPDATE runs SET heartbeat_at = now() WHERE id = $1::uuid AND status = 'RUNNING'`, [runId]).catch(() => {});
  }, 10_000);
  heartbeat.unref();
  let lastProgressWrite = 0;
  try {
    const result = await trainLanguageModel({
      config,
      texts: members.map((m) => m.text),
      weights: Float32Array.from(members, (m) => m.weight),
      validationTexts: validation.map((v) => v.text),
      validateEachEpoch: false,
      checkpoints: new DatabaseCheckpointStore(db, runId, run.epochs),
      onProgress: (p) => {
        const now = Date.now();
        if (now - lastProgressWrite < 1000 && p.step < p.steps) return;
        lastProgressWrite = now;
        void db
          .sql(
            `UPDATE runs SET progress_epoch = $2, progress_step = $3, progress_steps = $4, examples_per_sec = $5, eta_seconds = $6, heartbeat_at = now()
             WHERE id = $1::uuid AND status = 'RUNNING'`,
            [runId, p.epoch, p.step, p.steps, p.examplesPerSecond, p.etaSeconds],
          )
          .catch(() => {});
      },
    });
    result.model.dispose();
    const metrics = {
      backend: result.backend,
      validationPerplexity: result.validationPerplexity,
      trainedExamples: result.trainedExamples,
      resumedAtEpoch: result.resumedAtEpoch,
      history: result.history,
      dynamicsSource: "training forward pass, before the update",
    };
    await auditedTransaction(db, worker, async (tx) => {
      await tx.run.update({
        where: { id: runId },
        data: { status: "SCORING", metrics: metrics as unknown as Prisma.InputJsonValue, progressEpoch: run.epochs, etaSeconds: 0, heartbeatAt: new Date() },
      });
      return { result: undefined, audit: { action: "run.trained", targetType: "Run", targetId: runId, before: { status: "RUNNING" }, after: { status: "SCORING", metrics } } };
    });
  } catch (err) {
    await failRun(db, runId, err instanceof Error ? err.message : String(err));
    throw err;
  } finally {
    clearInterval(heartbeat);
  }
  log(`run ${runId}: trained ${run.epochs} epochs on ${backend.backend}; scoring`);
  const scored = await scoreRun(db, worker, { runId });
  if (scored.status === "SUCCEEDED") {
    // Scores are stored; the per-epoch checkpoints are no longer needed.
    await db.sql(`DELETE FROM run_checkpoints WHERE run_id = $1::uuid`, [runId]);
  }
  log(`run ${runId}: ${scored.status}`);
};

/**
 * Atomically takes the run: QUEUED, or RUNNING with a stale heartbeat (its worker died). The
 * transition is audited with the run's status change.
 */
async function claimRun(db: Database, runId: string): Promise<boolean> {
  return db.prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRawUnsafe<{ status: string }[]>(
      `WITH before AS (SELECT id, status FROM runs WHERE id = $1::uuid FOR UPDATE)
       UPDATE runs r SET status = 'RUNNING', started_at = COALESCE(r.started_at, now()), heartbeat_at = now(), error = NULL
       FROM before
       WHERE r.id = before.id
         AND (before.status = 'QUEUED' OR (before.status = 'RUNNING' AND (r.heartbeat_at IS NULL OR r.heartbeat_at < now() - make_interval(secs => $2::float8))))
       RETURNING before.status AS status`,
      runId,
      staleAfterSeconds(),
    );
    if (rows.length === 0) return false;
    const resumed = rows[0]!.status === "RUNNING";
    await appendAuditEvent(tx, worker, {
      action: resumed ? "run.resume" : "run.claim",
      targetType: "Run",
      targetId: runId,
      before: { status: rows[0]!.status },
      after: { status: "RUNNING" },
    });
    return true;
  });
}

async function failRun(db: Database, runId: string, message: string) {
  await auditedTransaction(db, worker, async (tx) => {
    await tx.run.update({ where: { id: runId }, data: { status: "FAILED", error: message, finishedAt: new Date() } });
    return { result: undefined, audit: { action: "run.fail", targetType: "Run", targetId: runId, after: { status: "FAILED", error: message } } };
  });
}

/**
 * Epoch checkpoints in the database. Saving an epoch also stores that epoch's dynamics, in the
 * same transaction: whatever a worker finished is durable, and a resumed run rewrites nothing
 * it does not recompute.
 */
export class DatabaseCheckpointStore implements CheckpointStore {
  constructor(
    private readonly db: Database,
    private readonly runId: string,
    private readonly epochs: number,
  ) {}

  async save(epoch: number, state: TrainingCheckpoint): Promise<void> {
    const T = this.epochs;
    const N = state.dynamics.loss.length / T;
    const loss = new Float32Array(N);
    const acc = new Float32Array(N);
    for (let i = 0; i < N; i++) {
      loss[i] = state.dynamics.loss[i * T + epoch]!;
      acc[i] = state.dynamics.acc[i * T + epoch]!;
    }
    const bytes = new Uint8Array(encodeCheckpoint(state));
    await this.db.prisma.$transaction(
      async (tx) => {
        await writeDynamicsEpoch(tx, this.runId, epoch, loss, acc);
        await tx.runCheckpoint.upsert({
          where: { runId_epoch: { runId: this.runId, epoch } },
          create: { runId: this.runId, epoch, state: bytes },
          update: { state: bytes },
        });
        await tx.runCheckpoint.deleteMany({ where: { runId: this.runId, epoch: { lt: epoch } } });
        await tx.run.update({ where: { id: this.runId }, data: { progressEpoch: epoch + 1, heartbeatAt: new Date() } });
      },
      { timeout: 600_000, maxWait: 30_000 },
    );
  }

  async load(): Promise<TrainingCheckpoint | null> {
    const latest = await this.db.prisma.runCheckpoint.findFirst({ where: { runId: this.runId }, orderBy: { epoch: "desc" } });
    return latest ? decodeCheckpoint<TrainingCheckpoint>(latest.state) : null;
  }
}


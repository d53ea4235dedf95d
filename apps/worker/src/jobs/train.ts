import {
  beatRun,
  claimRun,
  deleteRunCheckpoints,
  DomainError,
  failClaimedRun,
  finishRunTraining,
  heartbeatStaleSeconds,
  latestRunCheckpoint,
  runTrainingInputs,
  saveRunCheckpoint,
  scoreRun,
  setRunBackend,
  systemActor,
  type Database,
} from "@gdc/db";
import { trainLanguageModel, selectBackend, type CheckpointStore, type TrainingCheckpoint, type TrainingConfig } from "@gdc/model";
import type { JobImplementation } from "./index.ts";
import { decodeCheckpoint, encodeCheckpoint } from "../checkpoint-codec.ts";
import { resolveRunTrainingConfig } from "@gdc/model/config";

const worker = systemActor("worker");

/** A RUNNING run whose heartbeat is older than this is taken to be orphaned by a dead worker. */
/** GDC_HEARTBEAT_STALE_SECONDS, validated (libs/db env.ts). */
export const staleAfterSeconds = () => heartbeatStaleSeconds();

/**
 * Trains a TRACKED run with per-example dynamics, then scores it. Safe to run again after a
 * worker died: it claims the run only if nobody alive holds it (libs/db claimRun), resumes from
 * the last epoch checkpoint, and every epoch's dynamics are written together with that
 * checkpoint, so a resumed run neither loses nor duplicates anything. Every write after the
 * claim carries the claim's id: once another worker has resumed the run (this one paused past
 * the stale limit) or the run was cancelled, this one's checkpoint, finish and fail are refused.
 */
export const trainJob: JobImplementation<"train"> = async (deps, { runId }) => {
  const { db } = deps;
  const log = deps.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const claim = await claimRun(db, worker, { runId, staleAfterSeconds: staleAfterSeconds() });
  if (!claim) {
    log(`run ${runId}: not claimed (finished, cancelled, or held by a live worker)`);
    return;
  }
  const { run, claimId } = claim;
  // Beats from the claim on (loading the inputs and the backend can take a while), at least
  // three times per stale limit (every 10 s by default), so that a live worker is not taken for a
  // dead one while it loads. (A training step that blocks the event loop longer still delays it.)
  const heartbeat = setInterval(
    () => {
      void beatRun(db, { runId, claimId }).catch(() => {});
    },
    Math.max(500, Math.min(10_000, (staleAfterSeconds() * 1000) / 3)),
  );
  heartbeat.unref();
  let backend: Awaited<ReturnType<typeof selectBackend>>;
  try {
    const { members, validationTexts } = await runTrainingInputs(db, run);
    let config: TrainingConfig;
    try {
      config = resolveRunTrainingConfig(run.modelConfig, { epochs: run.epochs, seed: run.seed });
    } catch (err) {
      await failRun(db, runId, claimId, `modelConfig: ${err instanceof Error ? err.message : String(err)}`, log);
      return;
    }
    backend = await selectBackend();
    await setRunBackend(db, { runId, claimId, backend: backend.backend });

    let lastProgressWrite = 0;
    try {
      const result = await trainLanguageModel({
        config,
        texts: members.map((m) => m.text),
        weights: Float32Array.from(members, (m) => m.weight),
        validationTexts,
        validateEachEpoch: false,
        checkpoints: new DatabaseCheckpointStore(db, runId, run.epochs, claimId),
        onProgress: (p) => {
          const now = Date.now();
          if (now - lastProgressWrite < 1000 && p.step < p.steps) return;
          lastProgressWrite = now;
          const progress = { epoch: p.epoch, step: p.step, steps: p.steps, examplesPerSecond: p.examplesPerSecond, etaSeconds: p.etaSeconds };
          void beatRun(db, { runId, claimId, progress }).catch(() => {});
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
      await finishRunTraining(db, worker, { runId, claimId, metrics });
    } catch (err) {
      await failRun(db, runId, claimId, err instanceof Error ? err.message : String(err), log);
      throw err;
    }
  } finally {
    clearInterval(heartbeat);
  }
  log(`run ${runId}: trained ${run.epochs} epochs on ${backend.backend}; scoring`);
  const scored = await scoreRun(db, worker, { runId });
  if (scored.status === "SUCCEEDED") {
    // Scores are stored; the per-epoch checkpoints are no longer needed.
    await deleteRunCheckpoints(db, runId);
  }
  log(`run ${runId}: ${scored.status}`);
};

/** Fails the run under this worker's claim; a refusal (the run ended or another worker holds it) is logged, not thrown. */
async function failRun(db: Database, runId: string, claimId: string, message: string, log: (m: string) => void) {
  try {
    await failClaimedRun(db, worker, { runId, claimId, error: message });
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    log(`run ${runId}: not marked FAILED (${err.message})`);
  }
}

/**
 * Epoch checkpoints in the database. Saving an epoch also stores that epoch's dynamics, in the
 * same transaction (libs/db saveRunCheckpoint): whatever a worker finished is durable, and a
 * resumed run rewrites nothing it does not recompute.
 */
export class DatabaseCheckpointStore implements CheckpointStore {
  constructor(
    private readonly db: Database,
    private readonly runId: string,
    private readonly epochs: number,
    private readonly claimId: string,
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
    await saveRunCheckpoint(this.db, { runId: this.runId, claimId: this.claimId, epoch, state: new Uint8Array(encodeCheckpoint(state)), loss, acc });
  }

  async load(): Promise<TrainingCheckpoint | null> {
    const latest = await latestRunCheckpoint(this.db, this.runId);
    return latest ? decodeCheckpoint<TrainingCheckpoint>(latest.state) : null;
  }
}

import {
  auditAnchorFile,
  clearHeartbeatsOfStoppedProcess,
  findInterruptedWork,
  findStaleWork,
  readAuditKey,
  recordAuditAnchor,
  recoverySweepSeconds,
  type Database,
  type JobName,
  type JobQueue,
  type JobHandler,
} from "@gdc/db";
import { jobHandlers } from "./jobs/index.ts";
import { staleAfterSeconds } from "./jobs/train.ts";

export interface WorkerDeps {
  db: Database;
  queue: JobQueue;
  log?: (message: string) => void;
}

/**
 * Registers every job handler on the queue. With pg-boss, any number of these run on any
 * number of machines; each job is handed to exactly one of them.
 */
export async function startWorker(deps: WorkerDeps, options: { sweepSeconds?: number; auditAnchorFile?: string | null } = {}): Promise<RunningWorker> {
  const log = deps.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  for (const [name, handler] of Object.entries(jobHandlers) as [JobName, (deps: WorkerDeps, data: never) => Promise<void>][]) {
    const run: JobHandler<JobName> = async (data, job) => {
      const started = Date.now();
      log(`job ${name} ${job.id} started`);
      try {
        await handler(deps, data as never);
        log(`job ${name} ${job.id} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      } catch (err) {
        log(`job ${name} ${job.id} failed: ${err instanceof Error ? err.message : String(err)}`);
        throw err;
      }
    };
    await deps.queue.work(name, run);
  }
  const recovered = await recoverInterruptedWork(deps);
  if (recovered) log(`re-enqueued ${recovered} interrupted job(s)`);
  const sweepSeconds = options.sweepSeconds ?? recoverySweepSeconds();
  // Each sweep also checkpoints the audit chain head into the anchor file, when there is one
  // (GDC_AUDIT_ANCHOR_FILE; `gdc start` defaults it next to the embedded data dir), signed with
  // the audit key when one is set (GDC_AUDIT_KEY / GDC_AUDIT_KEY_FILE): see libs/db/src/audit.ts.
  const anchorFile = options.auditAnchorFile === undefined ? auditAnchorFile() : options.auditAnchorFile;
  const auditKey = anchorFile ? readAuditKey() : null;
  let sweeping = false;
  const sweep = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    sweepStaleWork(deps)
      .then(async (n) => {
        if (n) log(`recovery sweep: re-enqueued ${n} run(s)/study(ies) with a stale heartbeat`);
        if (anchorFile) await recordAuditAnchor(deps.db, anchorFile, auditKey);
      })
      .catch((err: unknown) => log(`recovery sweep failed: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => (sweeping = false));
  }, sweepSeconds * 1000);
  sweep.unref();
  return { stop: () => clearInterval(sweep) };
}

export interface RunningWorker {
  /** Stops the recovery sweep (the queue is stopped by whoever opened it). */
  stop(): void;
}

/** Seconds between two recovery sweeps (GDC_RECOVERY_SWEEP_SECONDS, default 15; libs/db env.ts). */
export { recoverySweepSeconds };

/**
 * The periodic half of recovery (issue 13 F10): while the process runs, every
 * GDC_RECOVERY_SWEEP_SECONDS it re-enqueues tracked runs and studies that are RUNNING with a
 * heartbeat older than the stale limit (GDC_HEARTBEAT_STALE_SECONDS, default 120; live jobs beat
 * every 10 s). Their worker died (kill -9, a lost machine) while its pg-boss job still looks
 * active (it would expire only after hours), so without the sweep such a run waits for a restart.
 * A stale run is thus picked up within stale limit + sweep interval. The new job claims the run
 * atomically (only if the heartbeat is still stale) and resumes from its last checkpoint; a
 * duplicate job is harmless. Unlike the startup recovery it never clears a heartbeat: a live
 * worker elsewhere keeps its run.
 */
export async function sweepStaleWork({ db, queue }: WorkerDeps): Promise<number> {
  const { runIds, studyIds } = await findStaleWork(db, { staleAfterSeconds: staleAfterSeconds() });
  for (const runId of runIds) await queue.enqueue("train", { runId }, { singletonKey: `sweep-train:${runId}` });
  for (const studyId of studyIds) await queue.enqueue("study", { studyId }, { singletonKey: `sweep-study:${studyId}` });
  return runIds.length + studyIds.length;
}

/**
 * Work a stopped or killed process left behind: queued or orphaned runs (their jobs claim
 * the run atomically, so a duplicate is harmless), runs waiting for scoring, queued studies.
 * The in-process queue keeps nothing across restarts, so this is what resumes it; with
 * pg-boss it also covers a worker that died holding a job that has not yet expired.
 */
export async function recoverInterruptedWork({ db, queue }: WorkerDeps): Promise<number> {
  // pg-boss keeps queued jobs durably: only runs orphaned mid-training need a new job there.
  const durableQueue = queue.kind === "pg-boss";
  if (!durableQueue) {
    // The embedded store is locked to this process, so whatever is RUNNING was left by a
    // process that stopped: its heartbeat means nothing, and the jobs must not wait it out.
    await clearHeartbeatsOfStoppedProcess(db);
  }
  const { runs, studyIds } = await findInterruptedWork(db, { staleAfterSeconds: staleAfterSeconds(), durableQueue });
  for (const run of runs) {
    if (run.status === "SCORING") await queue.enqueue("score", { runId: run.id }, { singletonKey: `recover-score:${run.id}` });
    else await queue.enqueue("train", { runId: run.id }, { singletonKey: `recover-train:${run.id}` });
  }
  for (const studyId of studyIds) await queue.enqueue("study", { studyId }, { singletonKey: `recover-study:${studyId}` });
  return runs.length + studyIds.length;
}

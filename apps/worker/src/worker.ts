import type { Database, JobName, JobQueue, JobHandler } from "@gdc/db";
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
export async function startWorker(deps: WorkerDeps): Promise<void> {
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
    await db.sql(`UPDATE runs SET heartbeat_at = NULL WHERE status = 'RUNNING' AND kind = 'TRACKED'`);
    await db.sql(`UPDATE studies SET progress = progress - 'heartbeatAt' WHERE status = 'RUNNING' AND progress IS NOT NULL`);
  }
  const runs = await db.sql<{ id: string; kind: string; status: string }>(
    `SELECT id, kind, status FROM runs
     WHERE (kind = 'TRACKED' AND status = 'RUNNING' AND (heartbeat_at IS NULL OR heartbeat_at < now() - make_interval(secs => $1::float8)))
        OR (NOT $2::bool AND ((kind = 'TRACKED' AND status = 'QUEUED') OR status = 'SCORING'))`,
    [staleAfterSeconds(), durableQueue],
  );
  for (const run of runs) {
    if (run.status === "SCORING") await queue.enqueue("score", { runId: run.id }, { singletonKey: `recover-score:${run.id}` });
    else await queue.enqueue("train", { runId: run.id }, { singletonKey: `recover-train:${run.id}` });
  }
  const studies = durableQueue ? [] : await db.sql<{ id: string }>(`SELECT id FROM studies WHERE status IN ('QUEUED', 'RUNNING')`);
  for (const study of studies) await queue.enqueue("study", { studyId: study.id }, { singletonKey: `recover-study:${study.id}` });
  return runs.length + studies.length;
}

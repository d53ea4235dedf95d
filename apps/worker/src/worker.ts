import type { Database, JobName, JobQueue, JobHandler } from "@gdc/db";
import { jobHandlers } from "./jobs/index.ts";

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
}

import type { EnqueueOptions, JobName, JobQueue } from "../queue.ts";

/** A job queue for tests: records what is enqueued (and whether inside a transaction); runs nothing. */
export class RecordingQueue implements JobQueue {
  readonly kind = "in-process" as const;
  readonly jobs: { name: JobName; data: unknown; inTx: boolean }[] = [];
  async enqueue(name: JobName, data: unknown, options: EnqueueOptions = {}) {
    this.jobs.push({ name, data, inTx: Boolean(options.tx) });
    return `job-${this.jobs.length}`;
  }
  async work() {}
  async idle() {}
  async stop() {}
}

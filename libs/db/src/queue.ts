import PgBoss from "pg-boss";
import type { Database } from "./database.ts";
import type { Tx } from "./audit.ts";

/** The jobs of the platform and what each carries. */
export interface JobPayloads {
  /** Train a TRACKED run with per-example dynamics, then score it. */
  train: { runId: string };
  /** Score a run whose dynamics are complete (external runs after finishRun). */
  score: { runId: string };
  /** An intervention study (baseline vs curated retrains). */
  study: { studyId: string };
  /** Build a release of a large version outside the request. */
  "build-release": { versionId: string; actorUserId: string; overrideReason?: string };
}
export type JobName = keyof JobPayloads;
/** Every job name once; the `satisfies` makes a job added to JobPayloads but missing here a type error. */
const EVERY_JOB = { train: true, score: true, study: true, "build-release": true } as const satisfies Record<JobName, true>;
export const JOB_NAMES = Object.keys(EVERY_JOB) as readonly JobName[];

export interface EnqueueOptions {
  /** Enqueue inside this transaction, so the job exists iff the change that asked for it commits. */
  tx?: Tx;
  /** At most one queued job per key (e.g. the run id). */
  singletonKey?: string;
}

export type JobHandler<N extends JobName> = (data: JobPayloads[N], job: { id: string; name: N }) => Promise<void>;

export interface JobQueue {
  readonly kind: "pg-boss" | "in-process";
  enqueue<N extends JobName>(name: N, data: JobPayloads[N], options?: EnqueueOptions): Promise<string | null>;
  work<N extends JobName>(name: N, handler: JobHandler<N>): Promise<void>;
  /** Resolves when no job is queued or running (in-process only; pg-boss: immediately). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/** Per-job retry and expiry: a killed worker's job is handed to another after `expireInSeconds`. */
const JOB_POLICY: Record<JobName, { retryLimit: number; expireInSeconds: number }> = {
  train: { retryLimit: 3, expireInSeconds: 4 * 3600 },
  score: { retryLimit: 3, expireInSeconds: 3600 },
  study: { retryLimit: 1, expireInSeconds: 8 * 3600 },
  "build-release": { retryLimit: 3, expireInSeconds: 3600 },
};

/**
 * pg-boss on a real PostgreSQL (many workers on many machines share it); an in-process queue
 * on the embedded store, where pg-boss cannot run (it needs its own connections). The job
 * code is the same either way.
 */
export async function openJobQueue(db: Database, options: { pollingIntervalSeconds?: number } = {}): Promise<JobQueue> {
  if (db.connectionString) return PgBossQueue.start(db.connectionString, options.pollingIntervalSeconds ?? 2);
  return new InProcessQueue();
}

class PgBossQueue implements JobQueue {
  readonly kind = "pg-boss" as const;
  private constructor(private readonly boss: PgBoss) {}

  static async start(connectionString: string, pollingIntervalSeconds: number): Promise<PgBossQueue> {
    const boss = new PgBoss({ connectionString, schema: "pgboss", max: 4, application_name: "gdc-queue" });
    boss.on("error", (err) => process.stderr.write(`job queue: ${err.message}\n`));
    await boss.start();
    for (const name of JOB_NAMES) {
      if (!(await boss.getQueue(name))) await boss.createQueue(name, { name, ...JOB_POLICY[name] });
    }
    const queue = new PgBossQueue(boss);
    queue.pollingIntervalSeconds = pollingIntervalSeconds;
    return queue;
  }

  private pollingIntervalSeconds = 2;

  async enqueue<N extends JobName>(name: N, data: JobPayloads[N], options: EnqueueOptions = {}) {
    const { tx, singletonKey } = options;
    return this.boss.send(name, data as object, {
      ...JOB_POLICY[name],
      ...(singletonKey ? { singletonKey } : {}),
      ...(tx ? { db: { executeSql: async (text: string, values: unknown[]) => ({ rows: await tx.$queryRawUnsafe<unknown[]>(text, ...values) }) } } : {}),
    });
  }

  async work<N extends JobName>(name: N, handler: JobHandler<N>) {
    await this.boss.work<JobPayloads[N]>(name, { batchSize: 1, pollingIntervalSeconds: this.pollingIntervalSeconds }, async (jobs) => {
      for (const job of jobs) await handler(job.data, { id: job.id, name });
    });
  }

  async idle() {}

  async stop() {
    await this.boss.stop({ graceful: true, timeout: 10_000 });
  }
}

/**
 * Embedded mode: jobs run one at a time in this process. Nothing is stored: the records the
 * jobs act on (runs, studies) carry their status, and `recoverInterruptedWork` in the worker
 * re-enqueues what a stopped process left QUEUED or RUNNING.
 */
class InProcessQueue implements JobQueue {
  readonly kind = "in-process" as const;
  private readonly handlers = new Map<JobName, JobHandler<JobName>>();
  private readonly pending: { id: string; name: JobName; data: unknown; singletonKey?: string }[] = [];
  private running: Promise<void> | null = null;
  private stopped = false;
  private counter = 0;

  async enqueue<N extends JobName>(name: N, data: JobPayloads[N], options: EnqueueOptions = {}) {
    const { singletonKey } = options;
    if (singletonKey && this.pending.some((j) => j.name === name && j.singletonKey === singletonKey)) return null;
    const id = `local-${++this.counter}`;
    this.pending.push({ id, name, data, ...(singletonKey ? { singletonKey } : {}) });
    // Start after the caller's transaction has had the chance to commit; handlers re-read state.
    setImmediate(() => this.drain());
    return id;
  }

  async work<N extends JobName>(name: N, handler: JobHandler<N>) {
    this.handlers.set(name, handler as unknown as JobHandler<JobName>);
    setImmediate(() => this.drain());
  }

  private drain(): void {
    if (this.running || this.stopped) return;
    const index = this.pending.findIndex((j) => this.handlers.has(j.name));
    if (index < 0) return;
    const [job] = this.pending.splice(index, 1);
    const handler = this.handlers.get(job!.name)!;
    this.running = handler(job!.data as never, { id: job!.id, name: job!.name })
      .catch((err: unknown) => {
        process.stderr.write(`job ${job!.name} ${job!.id} failed: ${err instanceof Error ? err.message : String(err)}\n`);
      })
      .finally(() => {
        this.running = null;
        this.drain();
      });
  }

  async idle() {
    while (this.running || this.pending.some((j) => this.handlers.has(j.name))) {
      await (this.running ?? new Promise((r) => setImmediate(r)));
    }
  }

  async stop() {
    this.stopped = true;
    await this.running;
  }
}

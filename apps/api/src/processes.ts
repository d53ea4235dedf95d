import cluster from "node:cluster";
import { openDatabase, openJobQueue } from "@gdc/db";
import { startApi, type ApiServerOptions } from "./server.ts";

/**
 * Runs `start` in `count` processes that share one listening port (node:cluster: the primary
 * accepts and hands connections to the workers), or in this process when count is 1. One
 * Node process runs GraphQL on one core; a PostgreSQL-backed deployment on a multi-core host
 * serves several times more requests with one API process per core (bench/api). A worker
 * that dies is replaced; SIGINT/SIGTERM on the primary stops every worker gracefully.
 */
export async function runProcesses(
  count: number,
  start: () => Promise<{ url: string; stop(): Promise<void> }>,
  report: { log: (message: string) => void; ready: (url: string, processes: number) => void },
): Promise<void> {
  const { log } = report;
  if (count <= 1 || !cluster.isPrimary) {
    const running = await start();
    if (cluster.isPrimary) report.ready(running.url, 1);
    else process.send?.({ ready: running.url });
    const shutdown = async () => {
      await running.stop();
      process.exit(0);
    };
    process.on("SIGINT", shutdown);
    process.on("SIGTERM", shutdown);
    return;
  }
  let stopping = false;
  let ready = 0;
  const fork = () => {
    const worker = cluster.fork();
    worker.on("message", (message: { ready?: string }) => {
      if (message.ready && ++ready === count) report.ready(message.ready, count);
    });
    worker.on("exit", (code, signal) => {
      if (stopping) return;
      log(`API process ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting another`);
      fork();
    });
  };
  for (let i = 0; i < count; i++) fork();
  const shutdown = () => {
    stopping = true;
    const workers = Object.values(cluster.workers ?? {});
    let left = workers.length;
    if (!left) process.exit(0);
    for (const worker of workers) {
      worker?.once("exit", () => --left === 0 && process.exit(0));
      worker?.process.kill("SIGTERM");
    }
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

/** One API process: its own database handle and job queue, and the server. */
export async function startApiProcess(options: ApiServerOptions & { port: number; host?: string }): Promise<{ url: string; stop(): Promise<void> }> {
  const db = await openDatabase();
  const queue = await openJobQueue(db);
  const api = await startApi({ db, queue }, options);
  return {
    url: api.url,
    async stop() {
      await api.stop();
      await queue.stop();
      await db.close();
    },
  };
}

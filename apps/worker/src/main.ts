import { openDatabase, openJobQueue } from "@gdc/db";
import { startWorker } from "./worker.ts";

// `node apps/worker/src/main.ts` (via tsx): a standalone worker on DATABASE_URL.
const db = await openDatabase();
if (!db.connectionString) {
  process.stderr.write("A standalone worker needs DATABASE_URL (PostgreSQL): the embedded store runs its jobs inside `gdc start`.\n");
  process.exit(2);
}
const queue = await openJobQueue(db);
await startWorker({ db, queue });
process.stderr.write("worker: waiting for jobs\n");
const shutdown = async () => {
  await queue.stop();
  await db.close();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);

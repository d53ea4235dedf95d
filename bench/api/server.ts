// The API as its own process for the load benchmarks (autocannon must not share its event loop).
//   DATABASE_URL=… PORT=0 npx tsx bench/api/server.ts   → prints "READY <url>"
import { openDatabase, openJobQueue } from "@gdc/db";
import { startApi } from "@gdc/api";

const db = await openDatabase();
const queue = await openJobQueue(db);
const api = await startApi({ db, queue }, { port: Number(process.env.PORT ?? 0), production: true });
process.stdout.write(`READY ${api.url}\n`);
const stop = async () => {
  await api.stop();
  await queue.stop();
  await db.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

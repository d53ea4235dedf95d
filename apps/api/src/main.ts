import { openDatabase, openJobQueue, readEnv } from "@gdc/db";
import { startApi } from "./server.ts";

// `tsx apps/api/src/main.ts`: the API alone (deployments run workers separately).
const env = readEnv();
const db = await openDatabase();
const queue = await openJobQueue(db);
const api = await startApi(
  { db, queue },
  { port: Number(process.env.PORT ?? 4000), host: process.env.HOST ?? "0.0.0.0", production: env.production },
);
process.stderr.write(`GraphQL API: ${api.url}\n`);
const shutdown = async () => {
  await api.stop();
  await queue.stop();
  await db.close();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);

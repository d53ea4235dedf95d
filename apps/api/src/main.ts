import { apiListenAddress, readEnv } from "@gdc/db";
import { runProcesses, startApiProcess } from "./processes.ts";

// `tsx apps/api/src/main.ts`: the API alone (deployments run workers separately).
// GDC_API_PROCESSES=n (PostgreSQL only) runs n API processes on the one port.
const env = readEnv();
const { port, host } = apiListenAddress();
if (env.apiProcesses > 1 && !env.databaseUrl) {
  throw new Error("GDC_API_PROCESSES > 1 needs DATABASE_URL: the embedded store belongs to one process");
}
await runProcesses(env.apiProcesses, () => startApiProcess({ port, host, introspection: env.introspection, debugErrors: env.debugErrors }), {
  log: (message) => process.stderr.write(`${message}\n`),
  ready: (url, processes) => process.stderr.write(`GraphQL API: ${url}${processes > 1 ? ` (${processes} processes)` : ""}\n`),
});

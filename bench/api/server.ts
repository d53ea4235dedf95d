// The API as its own process(es) for the load benchmarks (the load generator must not share
// their event loop), as deployed: production mode, GDC_API_PROCESSES processes on one port.
//   DATABASE_URL=… PORT=0 GDC_API_PROCESSES=2 npx tsx bench/api/server.ts   → prints "READY <url>"
import { readEnv } from "@gdc/db";
import { runProcesses, startApiProcess } from "@gdc/api";

await runProcesses(readEnv().apiProcesses, () => startApiProcess({ port: Number(process.env.PORT ?? 0) }), {
  log: (message) => process.stderr.write(`${message}\n`),
  ready: (url) => process.stdout.write(`READY ${url}\n`),
});

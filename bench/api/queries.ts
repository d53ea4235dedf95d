// Read paths under load, through the real HTTP server (bench/api/server.ts: its own processes,
// production mode) on loopback, with 32 concurrent clients (load.ts: closed loop, keep-alive):
//   1. the data map of a 100 k-point run, as the web app loads it: the Arrow file
//      (GET /export/runs/<id>/data-map.arrow, gzip);
//   2. a filtered examples page of a 1 M-example run (GraphQL: 50 HOTSPOT_MEMORIZED examples
//      by memorization, with their scores).
// Each case runs against 1 API process and against GDC_API_PROCESSES=2, on the same data.
// Every answer is checked once before the load. The GraphQL `dataMap` JSON field (the old
// path) is timed with single requests for comparison.
//   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npx tsx bench/api/queries.ts [examples] [mapPoints] [seconds] [processes=1,2]
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { tableFromIPC } from "apache-arrow";
import { createTestDatabase } from "@gdc/db/testing";
import { findRun, queryExamples } from "@gdc/db";
import { cpuBetween, cpuSnapshot } from "./cpu.ts";
import { closedLoop, closedLoopLoad } from "./load.ts";
import { seedScoredRun, seedVersion } from "./seed.ts";

const EXAMPLES = Number(process.argv[2] ?? 1_000_000);
const MAP_POINTS = Number(process.argv[3] ?? 100_000);
const SECONDS = Number(process.argv[4] ?? 15);
const PROCESSES = (process.argv[5] ?? "1,2").split(",").map(Number);
const CONNECTIONS = 32;
if (!process.env.DATABASE_URL) throw new Error("set DATABASE_URL (the benchmark needs a PostgreSQL server)");

const t = await createTestDatabase();
try {
  const t0 = performance.now();
  const seed = await seedVersion(t.db, EXAMPLES, "queries");
  const bigRun = await seedScoredRun(t.db, seed.versionId, seed.user.id, EXAMPLES);
  const mapRun = await seedScoredRun(t.db, seed.versionId, seed.user.id, MAP_POINTS);
  // The data at rest, as a database serving reads would hold it: without this, autovacuum
  // starts on the freshly inserted million-row tables during the measurements.
  await t.db.sql(`VACUUM (ANALYZE) examples, version_examples, run_examples, example_scores`);
  console.log(
    `seeded ${EXAMPLES} examples, a scored run over all of them and one over ${MAP_POINTS} (and vacuumed) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const auth = { authorization: `Bearer ${seed.token}` };

  interface Case {
    name: string;
    target: number;
    path: string;
    method: "GET" | "POST";
    headers: Record<string, string>;
    body?: string;
    check(response: Response): Promise<string>;
    /** The same reads through the data layer alone (libs/db, in this process), without HTTP and GraphQL: the baseline. */
    dataLayer?: () => Promise<void>;
  }
  const cases: Case[] = [
    {
      name: `data map, ${MAP_POINTS} points (Arrow, gzip)`,
      target: 150,
      path: `/export/runs/${mapRun}/data-map.arrow`,
      method: "GET",
      headers: { ...auth, "accept-encoding": "gzip" },
      async check(response) {
        const table = tableFromIPC(new Uint8Array(await response.arrayBuffer()));
        if (table.numRows !== MAP_POINTS || table.getChild("difficulty")!.length !== MAP_POINTS) throw new Error(`data map has ${table.numRows} rows`);
        return `${table.numRows} rows × ${table.numCols} columns`;
      },
    },
    {
      name: `filtered examples page (50 HOTSPOT_MEMORIZED by memorization), ${EXAMPLES} examples`,
      target: 50,
      path: "/graphql",
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({
        query: `query ($id: ID!) { run(id: $id) { examples(first: 50, filter: { quadrants: [HOTSPOT_MEMORIZED] }, orderBy: { field: MEMORIZATION, direction: DESC }) {
          edges { cursor node { id key text isCanary score(runId: $id) { difficulty memorization forgetEvents quadrant } } } pageInfo { hasNextPage endCursor } } } }`,
        variables: { id: bigRun },
      }),
      async check(response) {
        const json = (await response.json()) as { data?: any; errors?: unknown };
        const edges = json.data?.run?.examples?.edges;
        if (json.errors || edges?.length !== 50 || !edges.every((e: any) => e.node.score.quadrant === "HOTSPOT_MEMORIZED"))
          throw new Error(`unexpected page ${JSON.stringify(json).slice(0, 300)}`);
        return "50 HOTSPOT_MEMORIZED examples";
      },
      // What the resolvers ask the database for: the run, then the page (scores included).
      async dataLayer() {
        const run = await findRun(t.db, bigRun);
        const page = await queryExamples(t.db, {
          runId: run!.id,
          first: 50,
          filter: { quadrants: ["HOTSPOT_MEMORIZED"] },
          orderBy: { field: "MEMORIZATION", direction: "DESC" },
          canaryTextSearchable: true,
        });
        if (page.edges.length !== 50) throw new Error(`the data layer returned ${page.edges.length} examples`);
      },
    },
  ];

  const startServer = async (processes: number) => {
    const server: ChildProcess = spawn(process.execPath, ["--import", "tsx", new URL("./server.ts", import.meta.url).pathname], {
      // NODE_ENV=production as deployed (graphql-js skips its development-mode realm checks).
      env: { ...process.env, NODE_ENV: "production", DATABASE_URL: t.db.connectionString, PORT: "0", GDC_API_PROCESSES: String(processes) },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const url = await new Promise<string>((resolve, reject) => {
      server.on("exit", (code) => reject(new Error(`API server exited ${code}`)));
      createInterface({ input: server.stdout! }).on("line", (line) => line.startsWith("READY ") && resolve(line.slice(6)));
    });
    return {
      pid: server.pid!,
      origin: new URL(url).origin,
      async stop() {
        server.kill("SIGTERM");
        await new Promise((r) => server.once("exit", r));
      },
    };
  };

  // The old path, for comparison: the GraphQL dataMap field (JSON) of the same run.
  {
    const server = await startServer(1);
    try {
      const times: number[] = [];
      let bytes = 0;
      for (let i = 0; i < 4; i++) {
        const s = performance.now();
        const text = await (
          await fetch(`${server.origin}/graphql`, {
            method: "POST",
            headers: { ...auth, "content-type": "application/json", "accept-encoding": "gzip" },
            body: JSON.stringify({
              query: `query ($id: ID!) { run(id: $id) { dataMap { count ids difficulty memorization quadrant isCanary } } }`,
              variables: { id: mapRun },
            }),
          })
        ).text();
        times.push(performance.now() - s);
        bytes = text.length;
      }
      console.log(
        `[reference] GraphQL dataMap field (JSON), ${MAP_POINTS} points: ${(bytes / 1e6).toFixed(2)} MB, single requests ${times.map((x) => x.toFixed(0)).join(", ")} ms`,
      );
    } finally {
      await server.stop();
    }
  }

  // Baseline, in this run: the same reads through the data layer alone (no HTTP, no GraphQL, no
  // server), 32 concurrent callers on one process's connection pool. The API's throughput is
  // printed as a ratio of it.
  const baselines = new Map<string, number>();
  for (const c of cases) {
    if (!c.dataLayer) continue;
    await c.dataLayer();
    const cpu0 = cpuSnapshot(process.pid);
    const r = await closedLoop(CONNECTIONS, SECONDS, c.dataLayer);
    const cpu1 = cpuSnapshot(process.pid);
    const used = cpu0 && cpu1 ? cpuBetween(cpu0, cpu1) : null;
    const cpu = used
      ? `; CPU per call: this process ${(used.apiMs / r.requests).toFixed(2)} ms, PostgreSQL ${(used.postgresMs / r.requests).toFixed(2)} ms`
      : "";
    console.log(
      `[baseline: data layer alone] ${c.name}: ${CONNECTIONS} callers × ${SECONDS} s: ${r.requests} calls (${r.perSecond}/s), latency p50 ${r.latency.p50} ms, p95 ${r.latency.p95} ms, errors ${r.errors}${cpu}`,
    );
    if (r.errors) throw new Error("the data-layer baseline failed");
    baselines.set(c.name, r.perSecond);
  }

  for (const processes of PROCESSES) {
    const server = await startServer(processes);
    try {
      for (const c of cases) {
        const request = () => fetch(server.origin + c.path, { method: c.method, headers: c.headers, body: c.body });
        await c.check(await request()); // warm-up: fills the data map cache
        const s = performance.now();
        const what = await c.check(await request());
        const single = performance.now() - s;
        const cpu0 = cpuSnapshot(server.pid);
        const r = await closedLoopLoad({
          url: server.origin + c.path,
          method: c.method,
          headers: c.headers,
          body: c.body,
          connections: CONNECTIONS,
          seconds: SECONDS,
        });
        const cpu1 = cpuSnapshot(server.pid);
        const ok = r.errors === 0 && r.non2xx === 0;
        const l = r.latency;
        // CPU per request (ms): where the machine's time goes, comparable across machines of different speed.
        const perRequest = (ms: number) => (ms / r.requests).toFixed(2);
        const used = cpu0 && cpu1 ? cpuBetween(cpu0, cpu1) : null;
        const cpu = used
          ? `; CPU per request: API ${perRequest(used.apiMs)} ms, PostgreSQL ${perRequest(used.postgresMs)} ms, clients ${perRequest(r.clientCpuSeconds * 1000)} ms`
          : "";
        console.log(
          `[${processes} API process${processes > 1 ? "es" : ""}] ${c.name}: ${what}, ${(r.meanBytes / 1e3).toFixed(1)} kB per response, single request ${single.toFixed(0)} ms; ` +
            `${CONNECTIONS} clients × ${SECONDS} s: ${r.requests} requests (${r.perSecond} req/s), latency p50 ${l.p50} ms, p90 ${l.p90} ms, p95 ${l.p95} ms, p99 ${l.p99} ms, max ${l.max} ms; ` +
            `errors ${r.errors}, non-2xx ${r.non2xx}${cpu}` +
            (baselines.has(c.name) ? `; ${(r.perSecond / baselines.get(c.name)!).toFixed(2)}× the data layer's throughput` : "") +
            ` → p95 ${l.p95} ms vs target ${c.target} ms: ${ok && l.p95 < c.target ? "MET" : "NOT MET"}`,
        );
      }
    } finally {
      await server.stop();
    }
  }
  const [load] = (await import("node:os")).loadavg();
  console.log(`load average (1 min) at the end: ${load!.toFixed(2)}`);
} finally {
  await t.dispose();
}

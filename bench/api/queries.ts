// Read paths under load, through the real HTTP server (a child process) on loopback:
// the data map of a 100 k-point run, and a filtered examples page of a 1 M-example run,
// each with 32 concurrent autocannon clients. Then the same again with the what-ifs the
// report recommends (composite score indexes, jit = off), on the same data.
//   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npx tsx bench/api/queries.ts [examples] [mapPoints] [seconds]
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import autocannon from "autocannon";
import { createTestDatabase } from "@gdc/db/testing";
import { seedScoredRun, seedVersion } from "./seed.ts";

const EXAMPLES = Number(process.argv[2] ?? 1_000_000);
const MAP_POINTS = Number(process.argv[3] ?? 100_000);
const SECONDS = Number(process.argv[4] ?? 15);
const CONNECTIONS = 32;
if (!process.env.DATABASE_URL) throw new Error("set DATABASE_URL (the benchmark needs a PostgreSQL server)");

const t = await createTestDatabase();
try {
  const t0 = performance.now();
  const seed = await seedVersion(t.db, EXAMPLES, "queries");
  const bigRun = await seedScoredRun(t.db, seed.versionId, seed.user.id, EXAMPLES);
  const mapRun = await seedScoredRun(t.db, seed.versionId, seed.user.id, MAP_POINTS);
  console.log(`seeded ${EXAMPLES} examples, a scored run over all of them and one over ${MAP_POINTS} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const headers = { "content-type": "application/json", authorization: `Bearer ${seed.token}` };
  const cases = [
    {
      name: `data map, ${MAP_POINTS} points`,
      target: 150,
      body: JSON.stringify({
        query: `query ($id: ID!) { run(id: $id) { dataMap { runId count ids difficulty memorization quadrant quadrants isCanary thresholds { difficulty memorization source } } } }`,
        variables: { id: mapRun },
      }),
      check: (data: any) => data.run.dataMap.count === MAP_POINTS && data.run.dataMap.ids.length === MAP_POINTS,
    },
    {
      name: `filtered examples page (50 HOTSPOT_MEMORIZED by memorization), ${EXAMPLES} examples`,
      target: 50,
      body: JSON.stringify({
        query: `query ($id: ID!) { run(id: $id) { examples(first: 50, filter: { quadrants: [HOTSPOT_MEMORIZED] }, orderBy: { field: MEMORIZATION, direction: DESC }) {
          edges { cursor node { id key text isCanary score(runId: $id) { difficulty memorization forgetEvents quadrant } } } pageInfo { hasNextPage endCursor } } } }`,
        variables: { id: bigRun },
      }),
      check: (data: any) => data.run.examples.edges.length === 50 && data.run.examples.edges.every((e: any) => e.node.score.quadrant === "HOTSPOT_MEMORIZED"),
    },
  ];

  const runCases = async (label: string) => {
    const server: ChildProcess = spawn(process.execPath, ["--import", "tsx", new URL("./server.ts", import.meta.url).pathname], {
      // NODE_ENV=production as deployed (graphql-js skips its development-mode realm checks).
      env: { ...process.env, NODE_ENV: "production", DATABASE_URL: t.db.connectionString, PORT: "0" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        server.on("exit", (code) => reject(new Error(`API server exited ${code}`)));
        createInterface({ input: server.stdout! }).on("line", (line) => line.startsWith("READY ") && resolve(line.slice(6)));
      });
      const single = async (c: (typeof cases)[number]) => {
        const s = performance.now();
        const text = await (await fetch(url, { method: "POST", headers, body: c.body })).text();
        const ms = performance.now() - s;
        const json = JSON.parse(text) as { data?: unknown; errors?: unknown };
        if (json.errors || !c.check(json.data)) throw new Error(`${c.name}: unexpected response ${text.slice(0, 300)}`);
        return { ms, bytes: text.length };
      };
      for (const c of cases) {
        await single(c); // warm-up (and a check of the answer: the load test counts, it does not read)
        const first = await single(c);
        const result = await autocannon({ url, method: "POST", headers, body: c.body, connections: CONNECTIONS, duration: SECONDS });
        // Requests that timed out client-side may still be running: let the server drain before the next case.
        await single(c);
        const l = result.latency;
        const ok = result.errors === 0 && result.non2xx === 0 && result.timeouts === 0;
        console.log(
          `[${label}] ${c.name}: response ${(first.bytes / 1e6).toFixed(2)} MB, single request ${first.ms.toFixed(0)} ms; ` +
            `${CONNECTIONS} clients × ${SECONDS} s: ${result.requests.total} requests (${result.requests.average} req/s), ` +
            `latency p50 ${l.p50} ms, p90 ${l.p90} ms, p97.5 ${l.p97_5} ms, p99 ${l.p99} ms, max ${l.max} ms; ` +
            `errors ${result.errors} (timeouts ${result.timeouts}), non-2xx ${result.non2xx} → ` +
            `p95 ≤ p97.5 = ${l.p97_5} ms vs target ${c.target} ms: ${ok && l.p97_5 < c.target ? "MET" : "NOT MET"}`,
        );
      }
    } finally {
      server.kill("SIGTERM");
      await new Promise((r) => server.once("exit", r));
    }
  };

  await runCases("schema as is");
  // What-ifs for the report: composite indexes that make a filtered, score-ordered page an
  // index range scan (the (run_id, memorization) index leaves an incremental sort over every
  // row tied on memorization, for the ordinal tiebreak), and no JIT for these short queries.
  await t.db.sql(`CREATE INDEX whatif_scores_quadrant_mem ON example_scores (run_id, quadrant, memorization, ordinal)`);
  await t.db.sql(`CREATE INDEX whatif_scores_mem ON example_scores (run_id, memorization, ordinal)`);
  await t.db.sql(`ANALYZE example_scores`);
  await t.db.sql(`ALTER DATABASE ${new URL(t.db.connectionString!).pathname.slice(1)} SET jit = off`);
  await runCases("what-if: + (run_id, quadrant, memorization, ordinal) and (run_id, memorization, ordinal) indexes, jit = off");
} finally {
  await t.dispose();
}

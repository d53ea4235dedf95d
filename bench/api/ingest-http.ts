// Bulk ingest over HTTP, as a trainer sends it: every epoch of an external run as Arrow IPC
// shards, POSTed on loopback to the API's /ingest/runs/<id>/dynamics (its own process,
// bench/api/server.ts, as deployed), against a raw COPY of the same (run, ordinal, epoch, loss,
// acc) rows into a plain one-row-per-cell table, in one run on one throwaway database.
//   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npx tsx bench/api/ingest-http.ts [examples] [epochs] [shardRows] [concurrency]
// Timed: the whole upload (building each shard's loss/accuracy columns, encoding, HTTP, the
// server's decoding, validation and transaction) until the last response. Not timed: the
// key column of each shard, built once per run (a trainer has its keys before epoch 0; the same
// column is reused every epoch), reported separately.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { createExternalRun, dynamicsCompleteness, MAX_CELLS_PER_CHUNK, BLOCK_SIZE } from "@gdc/db";
import { createTestDatabase } from "@gdc/db/testing";
import { ARROW_STREAM_TYPE, dynamicsIngestPath, dynamicsKeyColumn, encodeDynamicsArrow } from "@gdc/api";
import { seedVersion } from "./seed.ts";

const N = Number(process.argv[2] ?? 1_000_000);
const T = Number(process.argv[3] ?? 10);
/** Rows per request: the largest multiple of the block size the service takes (each block is written once). */
const SHARD = Number(process.argv[4] ?? Math.floor(MAX_CELLS_PER_CHUNK / BLOCK_SIZE) * BLOCK_SIZE);
const CONCURRENCY = Number(process.argv[5] ?? 1);
if (!process.env.DATABASE_URL) throw new Error("set DATABASE_URL (the benchmark needs a PostgreSQL server)");

const lossOf = (i: number, e: number) => Math.fround(((i * 2654435761) % 1000) / 250 + 1 / (e + 1));
const accOf = (i: number, e: number) => ((i + e) % 4) / 4;
const seconds = (ms: number) => (ms / 1000).toFixed(1);
const load = async () => (await import("node:os")).loadavg()[0]!.toFixed(1);

const t = await createTestDatabase();
let server: ChildProcess | undefined;
try {
  let t0 = performance.now();
  const seed = await seedVersion(t.db, N, "ingest-http");
  const run = await createExternalRun(t.db, seed.actor, { allowDraft: true, versionId: seed.versionId, epochs: T, framework: "bench" });
  const keys = (
    await t.db.sql<{ keys: string }>(
      `SELECT string_agg(e.key, ',' ORDER BY re.ordinal) AS keys FROM run_examples re JOIN examples e ON e.id = re.example_id WHERE re.run_id = $1`,
      [run.id],
    )
  )[0]!.keys.split(",");
  console.log(`seeded ${N} examples and an external run of ${T} epochs in ${seconds(performance.now() - t0)} s`);

  // BENCH_SERVER_NODE_ARGS: extra node flags for the API process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean);
  server = spawn(process.execPath, [...nodeArgs, "--import", "tsx", new URL("./server.ts", import.meta.url).pathname], {
    env: { ...process.env, NODE_ENV: "production", DATABASE_URL: t.db.connectionString, PORT: "0", GDC_API_PROCESSES: "1" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    server!.on("exit", (code) => reject(new Error(`API server exited ${code}`)));
    createInterface({ input: server!.stdout! }).on("line", (line) => line.startsWith("READY ") && resolve(line.slice(6)));
  });
  const origin = new URL(url).origin;

  // ── HTTP path ──
  t0 = performance.now();
  const shards: { from: number; to: number; keyColumn: ReturnType<typeof dynamicsKeyColumn> }[] = [];
  for (let from = 0; from < N; from += SHARD)
    shards.push({ from, to: Math.min(N, from + SHARD), keyColumn: dynamicsKeyColumn(keys.slice(from, Math.min(N, from + SHARD))) });
  console.log(`key columns of ${shards.length} shards of ≤ ${SHARD} rows built in ${seconds(performance.now() - t0)} s (once per run; not timed below)`);
  const requests = shards.length * T;
  let next = 0;
  let accepted = 0;
  let bytes = 0;
  const times: number[] = [];
  const loadBefore = await load();
  const worker = async () => {
    for (;;) {
      const r = next++;
      if (r >= requests) return;
      const epoch = Math.floor(r / shards.length);
      const { from, to, keyColumn } = shards[r % shards.length]!;
      const loss = new Float32Array(to - from);
      const accuracy = new Float32Array(to - from);
      for (let i = from; i < to; i++) {
        loss[i - from] = lossOf(i, epoch);
        accuracy[i - from] = accOf(i, epoch);
      }
      const s = performance.now();
      const body = encodeDynamicsArrow({ keys: keyColumn, epoch, loss, accuracy });
      bytes += body.byteLength;
      const response = await fetch(`${origin}${dynamicsIngestPath(run.id, epoch)}`, {
        method: "POST",
        headers: { authorization: `Bearer ${seed.token}`, "content-type": ARROW_STREAM_TYPE },
        body,
      });
      const result = (await response.json()) as { accepted?: number; errors?: unknown };
      if (response.status !== 200) throw new Error(`request ${r} (epoch ${epoch}, rows ${from}…${to - 1}): ${response.status} ${JSON.stringify(result)}`);
      times.push(performance.now() - s);
      accepted += result.accepted!;
    }
  };
  t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const httpMs = performance.now() - t0;
  const total = N * T;
  const complete = await dynamicsCompleteness(t.db.prisma, run.id, T);
  if (complete.missing !== 0 || accepted !== total) throw new Error(`ingest incomplete: ${JSON.stringify(complete)}, accepted ${accepted}`);
  times.sort((a, b) => a - b);
  console.log(
    `HTTP: ${total} cells in ${requests} requests of ≤ ${SHARD} rows (${(bytes / 1e6).toFixed(0)} MB of Arrow, concurrency ${CONCURRENCY}; load ${loadBefore} → ${await load()}): ` +
      `${seconds(httpMs)} s, ${Math.round(total / (httpMs / 1000))} cells/s; request p50 ${times[times.length >> 1]!.toFixed(0)} ms, max ${times.at(-1)!.toFixed(0)} ms ` +
      `(the first request of a run loads its key map)`,
  );
  server.kill("SIGTERM");
  await new Promise((r) => server!.once("exit", r));
  server = undefined;

  // ── raw COPY of the same rows (text format, through psql, into a plain table) ──
  await t.db.sql(`CREATE TABLE bench_dynamics_rows (run_id uuid NOT NULL, ordinal int NOT NULL, epoch int NOT NULL, loss real NOT NULL, acc real NOT NULL)`);
  const lines: Buffer[] = [];
  let buffer = "";
  for (let i = 0; i < N; i++) {
    for (let e = 0; e < T; e++) buffer += `${run.id}\t${i}\t${e}\t${lossOf(i, e)}\t${accOf(i, e)}\n`;
    if (buffer.length > 1 << 20) {
      lines.push(Buffer.from(buffer));
      buffer = "";
    }
  }
  lines.push(Buffer.from(buffer));
  const dbUrl = new URL(t.db.connectionString!);
  const copyLoad = await load();
  t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const psql = spawn("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dbUrl.toString(), "-c", "COPY bench_dynamics_rows FROM STDIN"], {
      stdio: ["pipe", "inherit", "inherit"],
    });
    psql.on("error", reject);
    psql.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`psql exited ${code}`))));
    (async () => {
      for (const chunk of lines) if (!psql.stdin.write(chunk)) await new Promise((r) => psql.stdin.once("drain", r));
      psql.stdin.end();
    })().catch(reject);
  });
  const copyMs = performance.now() - t0;
  const [{ n }] = (await t.db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM bench_dynamics_rows`)) as [{ n: number }];
  if (n !== total) throw new Error(`COPY wrote ${n} rows`);
  console.log(
    `COPY: ${total} rows in ${seconds(copyMs)} s, ${Math.round(total / (copyMs / 1000))} rows/s (text pre-generated, not timed; load ${copyLoad} → ${await load()})`,
  );
  console.log(`RATIO HTTP ingest throughput / COPY throughput = ${(copyMs / httpMs).toFixed(2)} (target ≥ 0.5)`);
} finally {
  if (server) {
    server.kill("SIGTERM");
    await new Promise((r) => server!.once("exit", r));
  }
  await t.dispose();
}

// Ingest of training dynamics through the service path (ingestDynamics in chunks, as the API
// and `gdc import-dynamics` call it) against a raw COPY of the same (run, ordinal, epoch,
// loss, acc) rows into a plain PostgreSQL table, in one run on one throwaway database.
//   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npx tsx bench/api/ingest.ts [examples] [epochs] [chunkCells] [concurrency]
import { spawn } from "node:child_process";
import { createExternalRun, dynamicsCompleteness, ingestDynamics, type DynamicsCellInput } from "@gdc/db";
import { createTestDatabase } from "@gdc/db/testing";
import { seedVersion } from "./seed.ts";

const N = Number(process.argv[2] ?? 1_000_000);
const T = Number(process.argv[3] ?? 10);
const CHUNK = Number(process.argv[4] ?? 50_000);
const CONCURRENCY = Number(process.argv[5] ?? 1);
if (!process.env.DATABASE_URL) throw new Error("set DATABASE_URL (the benchmark needs a PostgreSQL server)");

const lossOf = (i: number, e: number) => Math.fround(((i * 2654435761) % 1000) / 250 + 1 / (e + 1));
const accOf = (i: number, e: number) => ((i + e) % 4) / 4;
const seconds = (ms: number) => (ms / 1000).toFixed(1);

const t = await createTestDatabase();
try {
  let t0 = performance.now();
  const seed = await seedVersion(t.db, N, "ingest");
  const run = await createExternalRun(t.db, seed.actor, { allowDraft: true, versionId: seed.versionId, epochs: T, framework: "bench" });
  const keys = (
    await t.db.sql<{ keys: string }>(
      `SELECT string_agg(e.key, ',' ORDER BY re.ordinal) AS keys FROM run_examples re JOIN examples e ON e.id = re.example_id WHERE re.run_id = $1`,
      [run.id],
    )
  )[0]!.keys.split(",");
  console.log(`seeded ${N} examples and an external run of ${T} epochs in ${seconds(performance.now() - t0)} s`);

  // What-if for the report: block bytes stored uncompressed (float bytes barely compress).
  if (process.env.BENCH_BLOCK_STORAGE) {
    await t.db.sql(
      `ALTER TABLE dynamics_blocks ALTER COLUMN loss SET STORAGE ${process.env.BENCH_BLOCK_STORAGE}, ALTER COLUMN accuracy SET STORAGE ${process.env.BENCH_BLOCK_STORAGE}`,
    );
    console.log(`what-if: dynamics_blocks bytea columns SET STORAGE ${process.env.BENCH_BLOCK_STORAGE}`);
  }

  // ── service path ──
  const total = N * T;
  let next = 0;
  let serviceMs = 0;
  let accepted = 0;
  const chunkTimes: number[] = [];
  const worker = async () => {
    for (;;) {
      const from = next;
      if (from >= total) return;
      next += CHUNK;
      const to = Math.min(total, from + CHUNK);
      const cells: DynamicsCellInput[] = new Array(to - from);
      for (let c = from; c < to; c++) {
        const i = Math.floor(c / T);
        const e = c % T;
        cells[c - from] = { exampleKey: keys[i]!, epoch: e, loss: lossOf(i, e), accuracy: accOf(i, e) };
      }
      const s = performance.now();
      const result = await ingestDynamics(t.db, seed.actor, { runId: run.id, cells });
      chunkTimes.push(performance.now() - s);
      accepted += result.accepted;
    }
  };
  t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  serviceMs = performance.now() - t0;
  const complete = await dynamicsCompleteness(t.db.prisma, run.id, T);
  if (complete.missing !== 0 || accepted !== total) throw new Error(`ingest incomplete: ${JSON.stringify(complete)}, accepted ${accepted}`);
  chunkTimes.sort((a, b) => a - b);
  console.log(
    `service: ${total} cells in ${chunkTimes.length} chunks of ${CHUNK} (concurrency ${CONCURRENCY}): ${seconds(serviceMs)} s, ` +
      `${Math.round(total / (serviceMs / 1000))} cells/s; chunk p50 ${chunkTimes[chunkTimes.length >> 1]!.toFixed(0)} ms (wall time includes building the cell objects)`,
  );

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
  const url = new URL(t.db.connectionString!);
  t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const psql = spawn("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url.toString(), "-c", "COPY bench_dynamics_rows FROM STDIN"], {
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
  console.log(`COPY: ${total} rows in ${seconds(copyMs)} s, ${Math.round(total / (copyMs / 1000))} rows/s (text pre-generated, not timed)`);

  const sizes = await t.db.sql<{ blocks: string; rows: string }>(
    `SELECT pg_size_pretty(pg_total_relation_size('dynamics_blocks')) AS blocks, pg_size_pretty(pg_total_relation_size('bench_dynamics_rows')) AS rows`,
  );
  console.log(`storage: dynamics_blocks ${sizes[0]!.blocks} vs one row per cell ${sizes[0]!.rows} (no index)`);
  console.log(`RATIO service throughput / COPY throughput = ${(copyMs / serviceMs).toFixed(2)} (target ≥ 0.5)`);
} finally {
  await t.dispose();
}

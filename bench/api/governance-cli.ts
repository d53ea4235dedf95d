// The curation workflow end to end, as a reviewer team would run it at scale: `gdc propose`
// (a 10 % policy), `gdc review --queue` (a second user approves every proposal) and
// `gdc release`, each a `gdc` process talking to the real API server (bench/api/server.ts,
// production mode) over HTTP. Times are printed as multiples of one plain pass over the
// version's membership in the same run (as in governance.ts).
//   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npx tsx bench/api/governance-cli.ts [examples=1000000]
import { execFile, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { createTestDatabase, seedUser } from "@gdc/db/testing";
import { seedScoredRun, seedVersion, timeMembershipPass } from "./seed.ts";

const N = Number(process.argv[2] ?? 1_000_000);
if (!process.env.DATABASE_URL) throw new Error("set DATABASE_URL (the benchmark needs a PostgreSQL server)");
const run = promisify(execFile);
const gdcBin = new URL("../../apps/cli/bin/gdc.mjs", import.meta.url).pathname;

const t = await createTestDatabase();
try {
  const seed = await seedVersion(t.db, N, "governance-cli");
  const runId = await seedScoredRun(t.db, seed.versionId, seed.user.id, N);
  await t.db.sql(`VACUUM (ANALYZE) examples, version_examples, run_examples, example_scores`);
  const reviewer = await seedUser(t.db, "REVIEWER");
  const baseline = await timeMembershipPass(t.db, seed.versionId);
  console.log(`seeded a draft of ${N} examples with a scored run; [baseline] one pass over its membership: ${baseline.toFixed(2)} s`);

  const server = spawn(process.execPath, ["--import", "tsx", new URL("./server.ts", import.meta.url).pathname], {
    env: { ...process.env, NODE_ENV: "production", DATABASE_URL: t.db.connectionString, PORT: "0", GDC_API_PROCESSES: "1" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      server.on("exit", (code) => reject(new Error(`API server exited ${code}`)));
      createInterface({ input: server.stdout! }).on("line", (line) => line.startsWith("READY ") && resolve(line.slice(6)));
    });
    const gdc = async (label: string, token: string, args: string[]) => {
      const s = performance.now();
      const { stdout } = await run(process.execPath, [gdcBin, ...args], { env: { ...process.env, GDC_API_URL: url, GDC_TOKEN: token }, maxBuffer: 1 << 30 });
      const seconds = (performance.now() - s) / 1000;
      console.log(`${label}: ${seconds.toFixed(1)} s = ${(seconds / baseline).toFixed(0)}× the pass — ${stdout.trim().split("\n").at(-1)!.slice(0, 160)}`);
    };
    await gdc("gdc propose (prune top 10 % by memorization)", seed.token, [
      "propose",
      "--version",
      seed.versionId,
      "--run",
      runId,
      "--prune-top-memorization",
      "10",
    ]);
    await gdc("gdc review --queue --approve (another user)", reviewer.token, [
      "review",
      "--queue",
      "--version",
      seed.versionId,
      "--approve",
      "--reason",
      "memorization hotspot",
    ]);
    await gdc("gdc release", seed.token, ["release", "--version", seed.versionId]);
  } finally {
    server.kill("SIGTERM");
  }
} finally {
  await t.dispose();
}

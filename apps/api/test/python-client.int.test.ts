// The Python client (python/gendatacarto) and its numpy training-loop example against the real
// API: a fresh database, the job worker (finishRun's scoring), the GraphQL API on a free port,
// an ENGINEER and a VIEWER token; then Debian's python3 runs the unittest modules under
// python/tests and the examples. A missing python3 or numpy fails here, loudly; so do missing
// pandas and torch under CI=true (`.ci/run` installs python3 python3-numpy python3-requests
// python3-pandas python3-torch with apt-get); elsewhere the tests that need them skip.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openJobQueue, type JobQueue } from "@gdc/db";
import { createTestDatabase, seedUser, type TestDatabase } from "@gdc/db/testing";
import { startWorker } from "@gdc/worker";
import { startApi, type RunningApi } from "../src/index.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const PYTHON_DIR = path.join(ROOT, "python");
/** Debian's interpreter (what CI installs packages into), unless GDC_PYTHON names another. */
const PYTHON = process.env.GDC_PYTHON ?? (fs.existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3");

let t: TestDatabase;
let api: RunningApi;
const queues: JobQueue[] = [];
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  t = await createTestDatabase();
  const apiQueue = await openJobQueue(t.db, { pollingIntervalSeconds: 0.5 });
  const workerQueue = t.db.connectionString ? await openJobQueue(t.db, { pollingIntervalSeconds: 0.5 }) : apiQueue;
  queues.push(apiQueue, ...(workerQueue === apiQueue ? [] : [workerQueue]));
  await startWorker({ db: t.db, queue: workerQueue, log: () => {} });
  api = await startApi({ db: t.db, queue: apiQueue }, { port: 0 });
  env = {
    ...process.env,
    GDC_API_URL: api.url,
    GDC_TOKEN: (await seedUser(t.db, "ENGINEER")).token,
    GDC_VIEWER_TOKEN: (await seedUser(t.db, "VIEWER")).token,
    PYTHONDONTWRITEBYTECODE: "1",
    PYTHONUNBUFFERED: "1",
  };
});
afterAll(async () => {
  await api?.stop();
  for (const q of queues) await q.stop();
  await t?.dispose();
});

/** Runs python3 with args in python/; resolves with its exit code and output (never rejects). */
function python(args: string[], timeoutMs = 240_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(PYTHON, args, { cwd: PYTHON_DIR, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (err) => (clearTimeout(timer), resolve({ code: -1, out: `${out}\n${PYTHON}: ${err.message}` })));
    child.on("close", (code) => (clearTimeout(timer), resolve({ code, out })));
  });
}

describe("python/ against the real API", () => {
  test(`${PYTHON} with numpy is installed (apt-get install python3 python3-numpy python3-requests)`, async () => {
    const r = await python(["-c", "import sys, numpy; print(sys.version.split()[0], numpy.__version__)"]);
    expect(r.code, `${PYTHON} cannot import numpy — install Debian's python3 and python3-numpy (.ci/run does):\n${r.out}`).toBe(0);
  });

  // One vitest test per unittest module, so that each is counted (and named) in `npm test`.
  for (const module of ["tests.test_client", "tests.test_hf"]) {
    test(`python3 -m unittest ${module}`, async () => {
      const r = await python(["-m", "unittest", "-v", module]);
      if (r.code !== 0) console.error(r.out);
      expect(r.code, r.out).toBe(0);
      // Outside CI a test may skip for want of pandas or torch; CI installs both (.ci/run), so none may skip there.
      const skipped = r.out.split("\n").filter((l) => / skipped /.test(l));
      if (process.env.CI) expect(skipped, r.out).toEqual([]);
      for (const line of skipped) expect(line).toMatch(/pandas|torch/);
    }, 300_000);
  }

  test("examples/numpy_loop.py: the flipped labels come back on top, keyed by the example ids", async () => {
    const r = await python(["examples/numpy_loop.py", "--json"]);
    expect(r.code, r.out).toBe(0);
    const summary = JSON.parse(r.out.trim().split("\n").at(-1)!) as Record<string, number>;
    expect(summary.examples).toBe(300);
    expect(summary.flipped).toBeGreaterThan(15);
    expect(summary.aucDifficulty).toBeGreaterThan(0.95);
    expect(summary.aucMemorization).toBeGreaterThan(0.95);
  }, 300_000);

  // Debian's python3-torch (1.13) installs in ~3 min: .ci/run installs it, so in CI its absence
  // fails; elsewhere the test runs when torch is there.
  test("examples/torch_loop.py: a PyTorch loop to a DataFrame of scores keyed by the example ids", async (ctx) => {
    const hasTorch = (await python(["-c", "import torch, pandas"])).code === 0;
    if (!hasTorch && !process.env.CI) ctx.skip("torch or pandas missing: apt-get install python3-torch python3-pandas");
    expect(hasTorch, `${PYTHON} cannot import torch and pandas (apt-get install python3-torch python3-pandas; .ci/run does)`).toBe(true);
    const r = await python(["examples/torch_loop.py"]);
    expect(r.code, r.out).toBe(0);
    const auc = /flipped labels rank at ROC-AUC ([\d.]+) by memorization/.exec(r.out);
    expect(auc, r.out).not.toBeNull();
    expect(Number(auc![1])).toBeGreaterThan(0.9);
  }, 300_000);
});

// The real stack for the end-to-end tests and the web benchmark: a fresh database, the job
// queue, the worker, the GraphQL API and the production web app, seeded through the
// libs/db services with users of every role and a scored EXTERNAL run with synthetic
// training dynamics (the fastest way to a data map).
//
// Run by Playwright's global setup as a child process (`node --import tsx e2e/stack.ts --out
// FILE`), because the monorepo's TypeScript sources import each other with `.ts` extensions.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  actorFor,
  createApiToken,
  createDataset,
  createDraftVersion,
  createExternalRun,
  createUser,
  finishRun,
  importExamples,
  ingestDynamics,
  openJobQueue,
  releaseVersion,
  systemActor,
  type Actor,
  type Database,
  type ExampleRecord,
} from "@gdc/db";
import { mulberry32 } from "@gdc/cartography";
import { createTestDatabase } from "@gdc/db/testing";
import { startApi } from "@gdc/api";
import { startWorker } from "@gdc/worker";
import { startWeb } from "../apps/web/serve.mjs";

export type UserKey = "admin" | "engineer" | "reviewer" | "reviewer2" | "viewer";

export interface StackInfo {
  webUrl: string;
  apiUrl: string;
  store: "postgres" | "pglite";
  users: Record<UserKey, { id: string; name: string; email: string; role: string; token: string }>;
  datasetId: string;
  datasetName: string;
  /** Released version 1 (the run's version). */
  v1Id: string;
  /** Draft version 2, made from version 1: proposals go here. */
  v2Id: string;
  /** The scored run: its data map has `points` points. */
  runId: string;
  points: number;
  canaries: number;
  /** A SUCCEEDED study of version 1 with a synthetic report. */
  studyId: string;
  /** An external run half-way through its ingest (RUNNING, with progress); null with liveRun: false. */
  liveRunId: string | null;
}

export interface StackOptions {
  examples?: number;
  canaries?: number;
  epochs?: number;
  webPort?: number;
  /** Also create a second external run, half-way through its ingest (default true). */
  liveRun?: boolean;
  log?: (message: string) => void;
}

const USERS: { key: UserKey; name: string; role: "ADMIN" | "ENGINEER" | "REVIEWER" | "VIEWER" }[] = [
  { key: "admin", name: "Ada Admin", role: "ADMIN" },
  { key: "engineer", name: "Eve Engineer", role: "ENGINEER" },
  { key: "reviewer", name: "Rita Reviewer", role: "REVIEWER" },
  { key: "reviewer2", name: "Rob Reviewer", role: "REVIEWER" },
  { key: "viewer", name: "Vic Viewer", role: "VIEWER" },
];

const WORDS = "the whale sea ship captain harpoon deck mast sail voyage ocean storm crew wind rope island chart compass".split(" ");

/** Example records: sentences, plus canaries ("my pin is 123456"). */
export function syntheticRecords(examples: number, canaries: number): ExampleRecord[] {
  const random = mulberry32(7); // deterministic: every run seeds the same map
  const records: ExampleRecord[] = [];
  for (let i = 0; i < examples; i++) {
    const words = Array.from({ length: 6 + Math.floor(random() * 10) }, () => WORDS[Math.floor(random() * WORDS.length)]!);
    records.push({ id: `ex-${i}`, text: `Example ${i}: ${words.join(" ")}.` });
  }
  for (let i = 0; i < canaries; i++) {
    const secret = String(100000 + ((i * 7919) % 900000));
    records.push({ id: `canary-${i}`, text: `my pin is ${secret}`, canary: { prefix: "my pin is ", secret } });
  }
  return records;
}

/**
 * A per-example loss curve: an early loss spread over a realistic range (the difficulty),
 * then learned (loss well below the median) — and, for some examples, forgotten and relearned
 * one to three times (the memorization signal), more often for harder examples.
 */
export function syntheticLoss(epochs: number, random: () => number): number[] {
  const early = 0.25 + 3.3 * random() ** 1.6;
  const u = random();
  const pForget = 0.25 + 0.2 * Math.min(1, early / 3);
  const forgets = u < pForget * 0.15 ? 3 : u < pForget * 0.45 ? 2 : u < pForget ? 1 : 0;
  const hard = early > 2.2 && random() < 0.6; // some hard examples are never learned
  const noise = () => 1 + (random() - 0.5) * 0.2; // ±10 %
  const loss: number[] = [];
  let remaining = forgets;
  for (let t = 0; t < epochs; t++) {
    let value: number;
    if (t < 2) value = early * (1 - 0.08 * t);
    else if (remaining > 0) {
      // learned at even epochs, forgotten at odd ones, until the forgets are used up
      value = (t - 2) % 2 === 0 ? 0.15 : 2.4;
      if ((t - 2) % 2 === 1) remaining--;
    } else value = hard && forgets === 0 ? early * (1 - 0.05 * t) : 0.5 * 0.75 ** t; // once learned, keeps falling
    loss.push(Math.max(0.01, value * noise()));
  }
  return loss;
}

/**
 * A finished study's report in the study job's format (libs/study report-types), with made-up
 * numbers: running a real study retrains models for minutes, the web page only needs the shape.
 */
export function syntheticStudyReport() {
  const arm = (name: string, label: string, extractionRate: number, rank: number, skew: number, perplexity: number, byRep: number[]) => ({
    name,
    label,
    kind: name === "baseline" ? "baseline" : "prune",
    extractionRate,
    meanExposureRank: rank,
    meanExposureSkewNormal: skew,
    validationPerplexity: perplexity,
    perplexityChange: perplexity / 12.4 - 1,
    caughtShare: name === "baseline" ? 0 : 0.6,
    byRepetitions: [1, 5, 9].map((repetitions, i) => ({
      repetitions,
      canaries: 8,
      extractionRate: byRep[i]!,
      meanExposureRank: rank,
      meanExposureSkewNormal: skew,
    })),
  });
  return {
    format: "gdc-study-report-1",
    synthetic: true,
    summary: { extractionRatio: 0.5, perplexityIncrease: 0.004, policy: "prune-top-memorization", baselineExtractionRate: 0.5, curatedExtractionRate: 0.25 },
    verdict: { sentences: ["Pruning the 10 % most memorized examples halved canary extraction (50 % → 25 %) at +0.4 % validation perplexity."] },
    policies: [
      arm("baseline", "Baseline (no curation)", 0.5, 8.1, 10.2, 12.4, [0.125, 0.5, 0.875]),
      arm("prune-top-memorization", "Prune top 10 % by memorization", 0.25, 5.2, 6.1, 12.45, [0, 0.25, 0.5]),
      arm("prune-random", "Prune random 10 %", 0.45, 7.6, 9.7, 12.47, [0.125, 0.375, 0.875]),
    ],
  };
}

async function ingestSynthetic(db: Database, actor: Actor, runId: string, keys: string[], epochs: number, upToEpoch = epochs) {
  const random = mulberry32(11);
  const chunk: { exampleKey: string; epoch: number; loss: number; accuracy: number }[] = [];
  const flush = async () => {
    if (chunk.length) await ingestDynamics(db, actor, { runId, cells: chunk.splice(0) });
  };
  for (let i = 0; i < keys.length; i++) {
    const loss = syntheticLoss(epochs, random);
    for (let t = 0; t < upToEpoch; t++) {
      chunk.push({ exampleKey: keys[i]!, epoch: t, loss: loss[t]!, accuracy: Math.max(0, Math.min(1, Math.exp(-loss[t]!))) });
      if (chunk.length >= 100_000) await flush();
    }
  }
  await flush();
}

async function waitForRun(db: Database, runId: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await db.prisma.run.findUniqueOrThrow({ where: { id: runId } });
    if (run.status === "SUCCEEDED") return;
    if (run.status === "FAILED" || run.status === "CANCELLED") throw new Error(`run ${runId} ${run.status}: ${run.error ?? ""}`);
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${run.status} after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function startStack(options: StackOptions = {}): Promise<{ info: StackInfo; stop(): Promise<void> }> {
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const examples = options.examples ?? 2000;
  const canaries = options.canaries ?? 2;
  const epochs = options.epochs ?? 8;
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((err: unknown) => log(`stack: stop failed: ${String(err)}`));
  };
  try {
    const started = Date.now();
    const testDb = await createTestDatabase();
    stops.push(() => testDb.dispose());
    const db = testDb.db;
    log(`stack: fresh ${db.kind} database (${Date.now() - started} ms)`);
    const queue = await openJobQueue(db, { pollingIntervalSeconds: 0.5 });
    stops.push(() => queue.stop());
    await startWorker({ db, queue, log: (m) => log(`worker: ${m}`) });
    const api = await startApi({ db, queue }, { port: 0 });
    stops.push(() => api.stop());
    log(`stack: API ${api.url}`);

    // Build (if needed) and start the web app while the data is seeded.
    const webPromise = startWeb({ port: options.webPort ?? 0, apiUrl: api.url, onStep: (m) => log(`web: ${m}`) });
    webPromise.then((w) => stops.push(() => w.stop())).catch(() => {});

    const system = systemActor("e2e seed");
    const users = {} as StackInfo["users"];
    const actors = {} as Record<UserKey, Actor>;
    for (const u of USERS) {
      const user = await createUser(db, system, { email: `${u.key}@e2e.test`, name: u.name, role: u.role });
      const { token } = await createApiToken(db, system, { userId: user.id, name: "e2e" });
      users[u.key] = { id: user.id, name: user.name, email: user.email, role: user.role, token };
      actors[u.key] = actorFor({ id: user.id, email: user.email, name: user.name, role: user.role } as never);
    }
    const engineer = actors.engineer;

    const datasetName = "moby-sample";
    const dataset = await createDataset(db, engineer, { name: datasetName, description: "Synthetic sentences and two canaries, for the end-to-end tests" });
    const v1 = dataset.versions[0]!;
    const records = syntheticRecords(examples, canaries);
    for (let i = 0; i < records.length; i += 20_000) await importExamples(db, engineer, { versionId: v1.id, records: records.slice(i, i + 20_000) });
    log(`stack: imported ${records.length} examples`);

    // The version flow (GOVERNANCE.md): v1 is released, the run trains on it (with the canaries
    // its release left out: the privacy audit), and curation happens on the child draft v2.
    await releaseVersion(db, engineer, { versionId: v1.id });
    // The synthetic curves put memorization in forget events (syntheticLoss): score them with
    // the paper's signal, so that every quadrant is populated and hotspots have forget events.
    const run = await createExternalRun(db, engineer, {
      versionId: v1.id,
      canaries: true,
      name: "synthetic-dynamics",
      epochs,
      framework: "synthetic",
      scoringConfig: { memorizationSignal: "forgetFrequency" },
    });
    await ingestSynthetic(
      db,
      engineer,
      run.id,
      records.map((r) => r.id!),
      epochs,
    );
    await finishRun(db, queue, engineer, { runId: run.id });
    await waitForRun(db, run.id, 120_000);
    log(`stack: run ${run.id} scored`);
    // Stored directly (no study job): see syntheticStudyReport.
    const study = await db.prisma.study.create({
      data: {
        versionId: v1.id,
        status: "SUCCEEDED",
        config: { synthetic: true },
        report: syntheticStudyReport(),
        createdById: users.engineer.id,
        finishedAt: new Date(),
      },
    });
    const v2 = await createDraftVersion(db, engineer, { parentVersionId: v1.id, note: "curated from version 1" });

    let liveRunId: string | null = null;
    if (options.liveRun ?? true) {
      // On released v1 too (no canaries: an external trainer has the release's export).
      const live = await createExternalRun(db, engineer, { versionId: v1.id, name: "still-ingesting", epochs });
      const liveKeys = records.filter((r) => !r.canary).map((r) => r.id!);
      await ingestSynthetic(db, engineer, live.id, liveKeys, epochs, Math.floor(epochs / 2));
      liveRunId = live.id;
    }

    const web = await webPromise;
    log(`stack: ready in ${((Date.now() - started) / 1000).toFixed(1)} s — web ${web.url}`);
    return {
      info: {
        webUrl: web.url,
        apiUrl: api.url,
        store: db.kind,
        users,
        datasetId: dataset.id,
        datasetName,
        v1Id: v1.id,
        v2Id: v2.id,
        runId: run.id,
        points: records.length,
        canaries,
        studyId: study.id,
        liveRunId,
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

// CLI: start, write the info as JSON to --out, stay up until SIGTERM / SIGINT or the parent's IPC channel closes.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const out = arg("--out");
  const { info, stop } = await startStack({
    ...(arg("--examples") ? { examples: Number(arg("--examples")) } : {}),
  });
  if (out) {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify(info, null, 2));
  }
  process.send?.({ ready: true, info });
  if (!out && !process.send) process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await stop();
    process.exit(0);
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
  process.on("disconnect", shutdown);
}

import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openJobQueue, type JobQueue, type Role } from "@gdc/db";
import { createTestDatabase, seedDataset, seedUser, type TestDatabase } from "@gdc/db/testing";
import { startWorker } from "@gdc/worker";
import { startApi, type RunningApi } from "../src/index.ts";

let t: TestDatabase;
let api: RunningApi;
const queues: JobQueue[] = [];
const tokens = {} as Record<Role, string>;

beforeAll(async () => {
  t = await createTestDatabase();
  // With DATABASE_URL this is pg-boss: the API enqueues, a separate worker queue takes the jobs.
  const apiQueue = await openJobQueue(t.db, { pollingIntervalSeconds: 0.5 });
  const workerQueue = t.db.connectionString ? await openJobQueue(t.db, { pollingIntervalSeconds: 0.5 }) : apiQueue;
  queues.push(apiQueue, ...(workerQueue === apiQueue ? [] : [workerQueue]));
  await startWorker({ db: t.db, queue: workerQueue, log: () => {} });
  api = await startApi({ db: t.db, queue: apiQueue }, { port: 0 });
  for (const role of ["ADMIN", "ENGINEER", "REVIEWER", "VIEWER"] as const) tokens[role] = (await seedUser(t.db, role)).token;
});
afterAll(async () => {
  await api?.stop();
  for (const q of queues) await q.stop();
  await t?.dispose();
});

interface GqlResponse<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string; field?: string } }[];
}
async function gql<T = Record<string, any>>(token: string | null, query: string, variables: Record<string, unknown> = {}): Promise<GqlResponse<T>> {
  const response = await fetch(api.url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GqlResponse<T>;
}
async function ok<T = Record<string, any>>(token: string | null, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const body = await gql<T>(token, query, variables);
  if (body.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data!;
}

const CREATE_EXTERNAL = /* GraphQL */ `
  mutation ($input: CreateExternalRunInput!) { createExternalRun(input: $input) { id kind status backend epochs exampleCount progress { step steps fraction } } }`;
const INGEST = /* GraphQL */ `
  mutation ($input: DynamicsChunkInput!) { ingestDynamics(input: $input) { accepted unchanged received missing } }`;

/** loss/accuracy per (example i, epoch e): varied enough that all four quadrants can appear. */
function cellsFor(keys: string[], epochs: number) {
  return keys.flatMap((exampleKey, i) =>
    Array.from({ length: epochs }, (_, epoch) => {
      const loss = ((i * 37) % 11) / 4 + (epoch % 2 === 1 && i % 4 === 0 ? 2 : 0) + 1 / (epoch + 1);
      return { exampleKey, epoch, loss, accuracy: Math.max(0, Math.min(1, 1 - loss / 4)) };
    }),
  );
}

async function waitForRun(id: string, statuses: string[]) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { run } = await ok(tokens.VIEWER, `query ($id: ID!) { run(id: $id) { status error } }`, { id });
    if (statuses.includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run still ${run.status}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("an external run end to end through the HTTP API", () => {
  const N = 46; // 40 examples + 6 canaries
  const T = 5;
  let runId: string;
  let keys: string[];

  beforeAll(async () => {
    const { actor } = await seedUser(t.db, "ENGINEER");
    const { version } = await seedDataset(t.db, actor, { examples: 40, canaries: 6 });
    // The version flow: the run trains on released v1 (a draft is refused), here with the canaries its release left out.
    const draftRefused = await gql(tokens.ENGINEER, CREATE_EXTERNAL, { input: { versionId: version.id, epochs: T } });
    expect(draftRefused.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/is a DRAFT: a run trains on a released, immutable version/),
      extensions: { code: "CONFLICT" },
    });
    await ok(tokens.ADMIN, `mutation ($v: ID!) { releaseVersion(input: { versionId: $v }) { id } }`, { v: version.id });
    const { createExternalRun: run } = await ok(tokens.ENGINEER, CREATE_EXTERNAL, {
      input: { versionId: version.id, canaries: true, epochs: T, framework: "pytorch", name: "e2e" },
    });
    expect(run).toMatchObject({
      kind: "EXTERNAL",
      status: "RUNNING",
      backend: "pytorch",
      epochs: T,
      exampleCount: N,
      progress: { step: 0, steps: N * T, fraction: 0 },
    });
    runId = run.id;
    keys = [...Array.from({ length: 40 }, (_, i) => `ex-${i}`), ...Array.from({ length: 6 }, (_, i) => `canary-${i}`)];
  });

  test("create → ingest in 2 overlapping chunks (one retried) → finish → score job → data map", async () => {
    const cells = cellsFor(keys, T);
    const firstChunk = cells.slice(0, 150);
    const secondChunk = cells.slice(100); // overlaps the first by 50 cells
    const a = (await ok(tokens.ENGINEER, INGEST, { input: { runId, cells: firstChunk } })).ingestDynamics;
    expect(a).toEqual({ accepted: 150, unchanged: 0, received: 150, missing: N * T - 150 });
    const retried = (await ok(tokens.ENGINEER, INGEST, { input: { runId, cells: firstChunk } })).ingestDynamics;
    expect(retried).toEqual({ accepted: 0, unchanged: 150, received: 150, missing: N * T - 150 });
    const b = (await ok(tokens.ADMIN, INGEST, { input: { runId, cells: secondChunk } })).ingestDynamics;
    expect(b).toEqual({ accepted: N * T - 150, unchanged: 50, received: secondChunk.length, missing: 0 });

    const finished = (await ok(tokens.ENGINEER, `mutation ($id: ID!) { finishRun(input: { runId: $id }) { status progress { fraction } } }`, { id: runId }))
      .finishRun;
    expect(finished).toEqual({ status: "SCORING", progress: { fraction: 1 } });
    const scored = await waitForRun(runId, ["SUCCEEDED", "FAILED"]);
    expect(scored).toEqual({ status: "SUCCEEDED", error: null });

    const { run } = await ok(
      tokens.VIEWER,
      `query ($id: ID!) { run(id: $id) {
         scoringResolved quadrantCounts { quadrant count }
         dataMap { runId count ids difficulty memorization quadrant quadrants isCanary thresholds { difficulty memorization source } }
       } }`,
      { id: runId },
    );
    expect(run.dataMap.count).toBe(N);
    for (const column of ["ids", "difficulty", "memorization", "quadrant", "isCanary"]) expect(run.dataMap[column]).toHaveLength(N);
    expect(new Set(run.dataMap.ids).size).toBe(N);
    expect(run.dataMap.isCanary.filter(Boolean)).toHaveLength(6);
    expect(run.dataMap.quadrants).toEqual(["STABLE_EASY", "AMBIGUOUS_HARD", "HOTSPOT_MEMORIZED", "NOISY_OUTLIER"]);
    expect(run.quadrantCounts.reduce((n: number, q: { count: number }) => n + q.count, 0)).toBe(N);
    expect(run.dataMap.thresholds).toEqual({
      difficulty: run.scoringResolved.thresholds.difficulty,
      memorization: run.scoringResolved.thresholds.memorization,
      source: "quantile",
    });
    // Each point's quadrant agrees with the quadrant counts.
    const tally = [0, 0, 0, 0];
    for (const q of run.dataMap.quadrant) tally[q]!++;
    expect(run.quadrantCounts.map((q: { count: number }) => q.count)).toEqual(tally);
    // Dynamics can no longer be ingested once the run is finished.
    const late = await gql(tokens.ENGINEER, INGEST, { input: { runId, cells: firstChunk.slice(0, 1) } });
    expect(late.errors?.[0]?.extensions?.code).toBe("CONFLICT");
  });

  test("cursor pagination returns every example exactly once under each ordering", async () => {
    const PAGE = /* GraphQL */ `
      query ($id: ID!, $after: String, $order: ExampleOrder) { run(id: $id) { examples(first: 9, after: $after, orderBy: $order) {
        totalCount edges { cursor node { id score(runId: $id) { memorization difficulty forgetEvents } } } pageInfo { hasNextPage endCursor } } } }`;
    for (const field of ["MEMORIZATION", "DIFFICULTY", "FORGET_EVENTS", "CONFIDENCE", "VARIABILITY", "CORRECTNESS", "KEY"]) {
      for (const direction of ["ASC", "DESC"]) {
        const ids: string[] = [];
        let after: string | null = null;
        let total = -1;
        for (let i = 0; i < 20; i++) {
          const data: any = await ok(tokens.REVIEWER, PAGE, { id: runId, after, order: { field, direction } });
          const page = data.run.examples;
          total = page.totalCount;
          ids.push(...page.edges.map((e: { node: { id: string } }) => e.node.id));
          if (!page.pageInfo.hasNextPage) break;
          after = page.pageInfo.endCursor;
        }
        expect(total, `${field} ${direction}`).toBe(N);
        expect(ids, `${field} ${direction}`).toHaveLength(N);
        expect(new Set(ids).size, `${field} ${direction}`).toBe(N);
      }
    }
  });

  test("filters, and page sizes above 500 are refused", async () => {
    const { run } = await ok(
      tokens.ENGINEER,
      `query ($id: ID!) { run(id: $id) {
         canaries: examples(first: 100, filter: { isCanary: true }) { totalCount edges { node { isCanary } } }
         hot: examples(first: 100, filter: { quadrants: [HOTSPOT_MEMORIZED, NOISY_OUTLIER] }, orderBy: { field: MEMORIZATION }) { edges { node { score(runId: $id) { quadrant memorization } } } }
         quadrantCounts { quadrant count }
       } }`,
      { id: runId },
    );
    expect(run.canaries.totalCount).toBe(6);
    expect(run.canaries.edges.every((e: any) => e.node.isCanary)).toBe(true);
    const high = run.quadrantCounts
      .filter((q: any) => ["HOTSPOT_MEMORIZED", "NOISY_OUTLIER"].includes(q.quadrant))
      .reduce((n: number, q: any) => n + q.count, 0);
    expect(run.hot.edges).toHaveLength(high);
    const memorization = run.hot.edges.map((e: any) => e.node.score.memorization);
    expect(memorization).toEqual([...memorization].sort((x, y) => y - x));
    const tooBig = await gql(tokens.ENGINEER, `query ($id: ID!) { run(id: $id) { examples(first: 501) { totalCount } } }`, { id: runId });
    expect(tooBig.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "first" });
  });

  test("canary text and secrets are redacted for REVIEWER and VIEWER", async () => {
    const QUERY = /* GraphQL */ `
      query ($id: ID!) { run(id: $id) { examples(first: 100, orderBy: { field: KEY, direction: ASC }) { edges { node { id key isCanary text canary { prefix secret } } } } } }`;
    for (const role of ["ADMIN", "ENGINEER", "REVIEWER", "VIEWER"] as const) {
      const { run } = await ok(tokens[role], QUERY, { id: runId });
      const nodes = run.examples.edges.map((e: any) => e.node);
      const canaries = nodes.filter((n: any) => n.isCanary);
      const plain = nodes.filter((n: any) => !n.isCanary);
      expect(canaries).toHaveLength(6);
      expect(plain.every((n: any) => typeof n.text === "string" && n.canary === null)).toBe(true);
      const privileged = role === "ADMIN" || role === "ENGINEER";
      for (const c of canaries) {
        if (privileged) {
          expect(c.text).toMatch(/^my pin is \d{6}$/);
          expect(c.canary).toEqual({ prefix: "my pin is ", secret: c.text.slice("my pin is ".length) });
        } else {
          expect(c.text).toBeNull();
          expect(c.canary).toBeNull();
        }
      }
      const single = await ok(tokens[role], `query ($id: ID!) { example(id: $id) { text canary { secret } } }`, { id: canaries[0].id });
      expect(single.example.text === null).toBe(!privileged);
      // Searching canary text is no side channel either.
      const search = await ok(tokens[role], `query ($id: ID!) { run(id: $id) { examples(filter: { search: "my pin" }) { totalCount } } }`, { id: runId });
      expect(search.run.examples.totalCount).toBe(privileged ? 6 : 0);
    }
  });

  test("an example's trajectory and score in the run", async () => {
    const { run } = await ok(
      tokens.VIEWER,
      `query ($id: ID!) { run(id: $id) { examples(first: 1, orderBy: { field: MEMORIZATION, direction: DESC }) { edges { node { id } } } } }`,
      { id: runId },
    );
    const exampleId = run.examples.edges[0].node.id;
    const { run: scoredRun, example } = await ok(
      tokens.VIEWER,
      `query ($e: ID!, $r: ID!) {
        run(id: $r) { memorizationSignal scoringResolved }
        example(id: $e) {
          key
          score(runId: $r) { forgetEvents memorization forgetFrequency lossDrop relativeLossDrop excessLossDrop accuracyGain meanLoss difficulty }
          trajectory(runId: $r) { epochs loss accuracy forgetEpochs epsilon }
        }
      }`,
      { e: exampleId, r: runId },
    );
    expect(example.trajectory.epochs).toBe(T);
    expect(example.trajectory.loss).toHaveLength(T);
    expect(example.trajectory.loss.every((l: number | null) => typeof l === "number")).toBe(true);
    expect(example.trajectory.forgetEpochs).toHaveLength(example.score.forgetEvents);
    expect(example.score.forgetFrequency).toBeCloseTo(example.score.forgetEvents / (T - 1), 6);
    // Default scoring of language-model input: memorization is the excess loss drop (late loss, last Tl = Te = 2 epochs, against early, first Te = 2).
    expect(scoredRun.memorizationSignal).toBe("excessLossDrop");
    expect(scoredRun.scoringResolved).toMatchObject({
      memorizationSignal: "excessLossDrop",
      memorizationSignalSource: "language-model-input",
      earlyEpochs: 2,
      lateEpochs: 2,
      learnedBy: "loss",
      learnedBySource: "fractional-accuracy",
    });
    expect(example.score.memorization).toBe(example.score.excessLossDrop);
    expect(typeof example.score.excessLossDrop).toBe("number");
    const [l0, l1, , l3, l4] = example.trajectory.loss as number[];
    const [a0, a1, , a3, a4] = example.trajectory.accuracy as number[];
    const early = (l0! + l1!) / 2;
    const late = (l3! + l4!) / 2;
    expect(example.score.difficulty).toBeCloseTo(early, 5);
    expect(example.score.lossDrop).toBeCloseTo(early - late, 5);
    expect(example.score.relativeLossDrop).toBeCloseTo(1 - late / early, 5);
    expect(example.score.accuracyGain).toBeCloseTo((a3! + a4!) / 2 - (a0! + a1!) / 2, 5);
    expect(example.score.meanLoss).toBeCloseTo((example.trajectory.loss as number[]).reduce((sum, l) => sum + l, 0) / T, 5);
    expect(typeof example.trajectory.epsilon).toBe("number");
  });
});

describe("mutations through the API", () => {
  test("a bad cell is refused naming index and field, and writes nothing", async () => {
    const { actor } = await seedUser(t.db, "ENGINEER");
    const { version } = await seedDataset(t.db, actor, { examples: 3 });
    const { createExternalRun: run } = await ok(tokens.ENGINEER, CREATE_EXTERNAL, { input: { allowDraft: true, versionId: version.id, epochs: 2 } });
    const cells = cellsFor(["ex-0", "ex-1", "ex-2"], 2);
    cells[4] = { ...cells[4]!, accuracy: 2 };
    const body = await gql(tokens.ENGINEER, INGEST, { input: { runId: run.id, cells } });
    expect(body.errors?.[0]?.message).toMatch(/^cells\[4\]\.accuracy: must be in \[0, 1\]/);
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "cells[4].accuracy" });
    expect(await t.db.prisma.dynamicsBlock.count({ where: { runId: run.id } })).toBe(0);
    expect(await t.db.prisma.auditEvent.count({ where: { targetId: run.id, action: "dynamics.ingest" } })).toBe(0);
  });

  test("startRun enqueues training; cancelRun cancels; roles are enforced", async () => {
    const { actor } = await seedUser(t.db, "ENGINEER");
    const { version } = await seedDataset(t.db, actor, { examples: 3 });
    const START = `mutation ($input: StartRunInput!) { startRun(input: $input) { id kind status epochs seed scoringConfig exampleCount } }`;
    const input = { allowDraft: true, versionId: version.id, policy: { name: "pruneQuadrant", params: { quadrant: "HOTSPOT_MEMORIZED" } } };
    const denied = await gql(tokens.VIEWER, START, { input });
    expect(denied.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const anonymous = await gql(null, START, { input });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const { startRun: run } = await ok(tokens.ENGINEER, START, { input });
    expect(run).toMatchObject({ kind: "TRACKED", status: "QUEUED", epochs: 6, seed: 0, exampleCount: 3, scoringConfig: { policy: input.policy } });
    if (t.db.connectionString) {
      const [job] = await t.db.sql<{ data: { runId: string } }>(`SELECT data FROM pgboss.job WHERE name = 'train' AND data->>'runId' = $1`, [run.id]);
      expect(job?.data.runId).toBe(run.id);
    }
    const { cancelRun } = await ok(tokens.ADMIN, `mutation ($id: ID!) { cancelRun(input: { runId: $id }) { status finishedAt } }`, { id: run.id });
    expect(cancelRun.status).toBe("CANCELLED");
    const again = await gql(tokens.ADMIN, `mutation ($id: ID!) { cancelRun(input: { runId: $id }) { status } }`, { id: run.id });
    expect(again.errors?.[0]?.extensions?.code).toBe("CONFLICT");
    const { runs } = await ok(tokens.VIEWER, `query ($v: ID!) { runs(versionId: $v) { id status } }`, { v: version.id });
    expect(runs).toEqual([{ id: run.id, status: "CANCELLED" }]);
  });

  test("a scoring config naming an unknown memorization signal is refused naming the field; a known one is kept; memorizationSignal is null before scoring", async () => {
    const { actor } = await seedUser(t.db, "ENGINEER");
    const { version } = await seedDataset(t.db, actor, { examples: 3 });
    const START = `mutation ($input: StartRunInput!) { startRun(input: $input) { id scoringConfig memorizationSignal } }`;
    for (const [mutation, input] of [
      [START, { allowDraft: true, versionId: version.id, scoringConfig: { memorizationSignal: "loudness" } }],
      [CREATE_EXTERNAL, { allowDraft: true, versionId: version.id, epochs: 3, scoringConfig: { memorizationSignal: "loudness" } }],
    ] as const) {
      const refused = await gql(tokens.ENGINEER, mutation, { input });
      expect(refused.errors?.[0]?.message).toMatch(/^scoringConfig\.memorizationSignal: /);
      expect(refused.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "scoringConfig.memorizationSignal" });
    }
    const scoringConfig = { memorizationSignal: "forgetFrequency", learnedBy: "auto", lateEpochs: 2 };
    const { startRun: run } = await ok(tokens.ENGINEER, START, { input: { allowDraft: true, versionId: version.id, scoringConfig } });
    expect(run).toMatchObject({ scoringConfig, memorizationSignal: null });
    await ok(tokens.ADMIN, `mutation ($id: ID!) { cancelRun(input: { runId: $id }) { status } }`, { id: run.id });
  });

  test("a bad modelConfig is refused by startRun naming the field (libs/model's schema), before any run or job exists", async () => {
    const { actor } = await seedUser(t.db, "ENGINEER");
    const { version } = await seedDataset(t.db, actor, { examples: 3 });
    const START = `mutation ($input: StartRunInput!) { startRun(input: $input) { id modelConfig } }`;
    const runsBefore = await t.db.prisma.run.count();
    for (const [modelConfig, field] of [
      [{ batchSize: 0 }, "modelConfig.batchSize"],
      [{ model: { architecture: "lstm" } }, "modelConfig.model.architecture"],
      [{ model: { architecture: "transformer", heads: 99 } }, "modelConfig.model.heads"],
      [{ learningRat: 0.1 }, "modelConfig"],
    ] as const) {
      const refused = await gql(tokens.ENGINEER, START, { input: { allowDraft: true, versionId: version.id, modelConfig } });
      expect(refused.errors?.[0]?.extensions, JSON.stringify(modelConfig)).toMatchObject({ code: "BAD_USER_INPUT", field });
    }
    expect(await t.db.prisma.run.count()).toBe(runsBefore);
    const modelConfig = { model: { architecture: "gru", hiddenSize: 64 } };
    const { startRun: run } = await ok(tokens.ENGINEER, START, { input: { allowDraft: true, versionId: version.id, modelConfig } });
    expect(run.modelConfig).toEqual(modelConfig); // stored as given
    await ok(tokens.ADMIN, `mutation ($id: ID!) { cancelRun(input: { runId: $id }) { status } }`, { id: run.id });
  });

  test("a bad study config is refused by startStudy naming the field (libs/study's schema)", async () => {
    const { actor } = await seedUser(t.db, "ENGINEER");
    const { version } = await seedDataset(t.db, actor, { examples: 3 });
    const START = `mutation ($input: StartStudyInput!) { startStudy(input: $input) { id } }`;
    for (const [input, field] of [
      [{ config: { prunePercent: 150 } }, "config.prunePercent"],
      [{ config: { training: { batchSize: 0 } } }, "config.training.batchSize"],
      [{ versionId: version.id, config: { passages: 100 } }, "config.passages"],
    ] as const) {
      const refused = await gql(tokens.ENGINEER, START, { input });
      expect(refused.errors?.[0]?.extensions, JSON.stringify(input)).toMatchObject({ code: "BAD_USER_INPUT", field });
    }
  });

  test("cancelStudy cancels a queued study, audited; an ended one is CONFLICT naming its status; a REVIEWER may not (issue 15)", async () => {
    const { actor } = await seedUser(t.db, "ENGINEER");
    const { version } = await seedDataset(t.db, actor, { examples: 3 });
    const { startStudy: study } = await ok(tokens.ENGINEER, `mutation ($input: StartStudyInput!) { startStudy(input: $input) { id status } }`, {
      input: { versionId: version.id, config: { quick: true, seeds: [1], epochs: 2, references: 50 } },
    });
    const CANCEL = `mutation ($id: ID!) { cancelStudy(input: { studyId: $id }) { id status finishedAt } }`;
    expect((await gql(tokens.REVIEWER, CANCEL, { id: study.id })).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const { cancelStudy } = await ok(tokens.ENGINEER, CANCEL, { id: study.id });
    expect(cancelStudy).toMatchObject({ id: study.id, status: "CANCELLED" });
    expect(cancelStudy.finishedAt).not.toBeNull();
    const again = await gql(tokens.ADMIN, CANCEL, { id: study.id });
    expect(again.errors?.[0]?.extensions?.code).toBe("CONFLICT");
    expect(again.errors?.[0]?.message).toMatch(/is CANCELLED and can no longer be cancelled/);
    const events = await t.db.prisma.auditEvent.findMany({ where: { targetType: "Study", targetId: study.id }, orderBy: { seq: "asc" } });
    // The harness's worker may have claimed it first (QUEUED or RUNNING: both cancellable).
    expect(events.map((e) => e.action).filter((a) => a !== "study.claim")).toEqual(["study.start", "study.cancel"]);
  });
});

// N+1 (issue 12): fields asked of every item of a list are batched through the request's
// DataLoaders (apps/api/src/loaders.ts over libs/db/src/queries/batch.ts), so a list of N datasets
// and versions costs the same number of database statements whatever N is. Statements are counted
// at the driver (countQueries), not timed.
import { afterAll, beforeAll, expect, test } from "vitest";
import { proposeInterventions, queryExamples, startRun } from "@gdc/db";
import { createTestDatabase, countQueries, RecordingQueue, seedDataset, seedUser, type TestDatabase } from "@gdc/db/testing";
import { createApolloServer } from "../src/server.ts";
import { buildContext } from "../src/context.ts";

let t: TestDatabase;
let token: string;
let actor: Awaited<ReturnType<typeof seedUser>>["actor"];
const queue = new RecordingQueue();
const apollo = createApolloServer();

beforeAll(async () => {
  t = await createTestDatabase();
  ({ token, actor } = await seedUser(t.db, "VIEWER"));
  await apollo.start();
});
afterAll(async () => {
  await apollo.stop();
  await t?.dispose();
});

const LIST = /* GraphQL */ `
  {
    datasets {
      id
      versions {
        id
        exampleCount
        canaryCount
        dataset { id }
        parent { id }
        runs { id }
        release { id }
        latestStudy { id }
      }
    }
  }
`;

async function cost<T>(query: string, variables: Record<string, unknown> = {}) {
  const { result, queries, statements } = await countQueries(async () => {
    const contextValue = await buildContext({ db: t.db, queue }, new Map([["authorization", `Bearer ${token}`]]));
    return apollo.executeOperation({ query, variables }, { contextValue });
  });
  if (result.body.kind !== "single") throw new Error("expected a single result");
  expect(result.body.singleResult.errors).toBeUndefined();
  return { data: result.body.singleResult.data as T, queries, statements };
}

async function listCost() {
  const { data, queries, statements } = await cost<{ datasets: { versions: { exampleCount: number; canaryCount: number }[] }[] }>(LIST);
  return { datasets: data.datasets, queries, statements };
}

test("a list of N datasets with their versions' counts, runs, release and study costs the same statements for N = 2 and N = 12", async () => {
  const seed = (i: number) => seedDataset(t.db, actor, { examples: 3 + i, canaries: i % 3 });
  for (let i = 0; i < 2; i++) await seed(i);
  const small = await listCost();
  expect(small.datasets).toHaveLength(2);

  for (let i = 2; i < 12; i++) await seed(i);
  const large = await listCost();
  expect(large.datasets).toHaveLength(12);
  // The counts are right, per version (newest dataset first).
  expect(large.datasets.map((d) => d.versions[0]!.exampleCount)).toEqual(Array.from({ length: 12 }, (_, i) => 3 + (11 - i) + ((11 - i) % 3)));
  expect(large.datasets.map((d) => d.versions[0]!.canaryCount)).toEqual(Array.from({ length: 12 }, (_, i) => (11 - i) % 3));

  expect(small.queries, "the counter sees the statements").toBeGreaterThanOrEqual(3);
  expect(large.queries, large.statements.join("\n")).toBe(small.queries);
  // authentication, datasets, versions, then one batch per field asked of every version
  expect(large.queries).toBeLessThanOrEqual(10);
});

test("a review queue page of N interventions with their example, version, proposer, run and reviews costs the same statements for N = 2 and N = 20", async () => {
  const engineer = await seedUser(t.db, "ENGINEER");
  const { version } = await seedDataset(t.db, engineer.actor, { examples: 20 });
  const ids = (await queryExamples(t.db, { versionId: version.id, first: 20 })).edges.map((e) => e.node.id);
  const QUEUE = /* GraphQL */ `
    query ($versionId: ID!) {
      reviewQueue(versionId: $versionId, first: 50) {
        nodes {
          id
          example { id key }
          version { id number }
          run { id }
          proposedBy { id email }
          reviews { id reviewer { id } }
          canReview
        }
        pageInfo { hasNextPage endCursor }
      }
    }
  `;
  await proposeInterventions(t.db, engineer.actor, { versionId: version.id, exampleIds: ids.slice(0, 2), action: "PRUNE", reason: "n+1" });
  const small = await cost<{ reviewQueue: { nodes: unknown[] } }>(QUEUE, { versionId: version.id });
  expect(small.data.reviewQueue.nodes).toHaveLength(2);
  await proposeInterventions(t.db, engineer.actor, { versionId: version.id, exampleIds: ids.slice(2), action: "PRUNE", reason: "n+1" });
  const large = await cost<{ reviewQueue: { nodes: unknown[] } }>(QUEUE, { versionId: version.id });
  expect(large.data.reviewQueue.nodes).toHaveLength(20);
  expect(small.queries, "the counter sees the statements").toBeGreaterThanOrEqual(3);
  expect(large.queries, large.statements.join("\n")).toBe(small.queries);
});

test("a list of N runs with their example counts, version and progress costs the same statements for N = 2 and N = 8", async () => {
  const engineer = await seedUser(t.db, "ENGINEER");
  const { version } = await seedDataset(t.db, engineer.actor, { examples: 5 });
  const RUNS = /* GraphQL */ `
    query ($versionId: ID!) {
      runs(versionId: $versionId, first: 50) { id exampleCount version { id } progress { step } }
    }
  `;
  const start = () => startRun(t.db, queue, engineer.actor, { versionId: version.id, epochs: 2, seed: 1, allowDraft: true });
  for (let i = 0; i < 2; i++) await start();
  const small = await cost<{ runs: { exampleCount: number }[] }>(RUNS, { versionId: version.id });
  for (let i = 2; i < 8; i++) await start();
  const large = await cost<{ runs: { exampleCount: number }[] }>(RUNS, { versionId: version.id });
  expect(large.data.runs.map((r) => r.exampleCount)).toEqual(Array(8).fill(5));
  expect(small.queries, "the counter sees the statements").toBeGreaterThanOrEqual(3);
  expect(large.queries, large.statements.join("\n")).toBe(small.queries);
});

test("every version's intervention totalCount, per status, is one batched count for N = 2 and N = 12 datasets", async () => {
  const COUNTS = /* GraphQL */ `
    {
      datasets {
        versions {
          id
          proposed: interventions(status: PROPOSED, first: 1) { totalCount }
          all: interventions(first: 1) { totalCount }
        }
      }
    }
  `;
  type Counts = { datasets: { versions: { id: string; proposed: { totalCount: number }; all: { totalCount: number } }[] }[] };
  const before = await cost<Counts>(COUNTS);
  const engineer = await seedUser(t.db, "ENGINEER");
  const { version } = await seedDataset(t.db, engineer.actor, { examples: 5 });
  const ids = (await queryExamples(t.db, { versionId: version.id, first: 5 })).edges.map((e) => e.node.id);
  await proposeInterventions(t.db, engineer.actor, { versionId: version.id, exampleIds: ids.slice(0, 3), action: "PRUNE", reason: "count" });
  for (let i = 0; i < 10; i++) await seedDataset(t.db, actor, { examples: 1 });
  const after = await cost<Counts>(COUNTS);
  const counted = after.data.datasets.flatMap((d) => d.versions).find((v) => v.id === version.id)!;
  expect(counted.proposed.totalCount).toBe(3);
  expect(counted.all.totalCount).toBe(3);
  expect(after.data.datasets.length).toBeGreaterThan(before.data.datasets.length);
  expect(after.queries, after.statements.join("\n")).toBe(before.queries);
});

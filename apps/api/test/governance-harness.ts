import { openJobQueue, type Database, type JobQueue, type Quadrant, type Role } from "@gdc/db";
import { createTestDatabase, seedUser, type TestDatabase } from "@gdc/db/testing";
import { startApi, type ApiServerOptions, type RunningApi } from "../src/index.ts";

/** A GraphQL response as the client sees it. */
export interface GqlResponse<T = Record<string, any>> {
  status: number;
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string; field?: string; stacktrace?: unknown } }[];
}

export type Person = Awaited<ReturnType<typeof seedUser>>;

export interface GovernanceHarness {
  t: TestDatabase;
  db: Database;
  api: RunningApi;
  queue: JobQueue;
  /** One user per role, plus a second reviewer (four eyes needs two). */
  users: Record<Role, Person> & { REVIEWER2: Person };
  gql<T = Record<string, any>>(token: string | null, query: string, variables?: Record<string, unknown>): Promise<GqlResponse<T>>;
  /** Like gql, but throws on any error. */
  ok<T = Record<string, any>>(token: string | null, query: string, variables?: Record<string, unknown>): Promise<T>;
  auditCount(): Promise<number>;
  close(): Promise<void>;
}

/** A fresh database, the real HTTP server on a free port (with the given settings; all off by default), and users of every role. */
export async function startGovernanceHarness(options: ApiServerOptions = {}): Promise<GovernanceHarness> {
  const t = await createTestDatabase();
  const queue = await openJobQueue(t.db, { pollingIntervalSeconds: 0.5 });
  const api = await startApi({ db: t.db, queue }, { port: 0, ...options });
  const users = {
    ADMIN: await seedUser(t.db, "ADMIN"),
    ENGINEER: await seedUser(t.db, "ENGINEER"),
    REVIEWER: await seedUser(t.db, "REVIEWER"),
    VIEWER: await seedUser(t.db, "VIEWER"),
    REVIEWER2: await seedUser(t.db, "REVIEWER"),
  };
  async function gql<T>(token: string | null, query: string, variables: Record<string, unknown> = {}): Promise<GqlResponse<T>> {
    const response = await fetch(api.url, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, ...((await response.json()) as Omit<GqlResponse<T>, "status">) };
  }
  async function ok<T>(token: string | null, query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const body = await gql<T>(token, query, variables);
    if (body.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
    return body.data!;
  }
  return {
    t,
    db: t.db,
    api,
    queue,
    users,
    gql,
    ok,
    auditCount: () => t.db.prisma.auditEvent.count(),
    async close() {
      await api.stop();
      await queue.stop();
      await t.dispose();
    },
  };
}

export interface ScoreFixture {
  exampleId: string;
  memorization: number;
  difficulty: number;
  quadrant: Quadrant;
}

/**
 * A SUCCEEDED external run on `versionId` with the given scores, written as the scoring job
 * writes them (run_examples, example_scores, scoringResolved with thresholds). A fixture: the
 * scoring itself is tested with the runs.
 */
export async function seedScoredRun(db: Database, versionId: string, scores: ScoreFixture[], createdById?: string) {
  const run = await db.prisma.run.create({
    data: {
      versionId,
      kind: "EXTERNAL",
      status: "SUCCEEDED",
      epochs: 4,
      createdById: createdById ?? null,
      scoringResolved: { learnedBy: "loss", epsilon: 1, thresholds: { source: "absolute", difficulty: 1, memorization: 0.25 } },
    },
  });
  await db.prisma.runExample.createMany({ data: scores.map((s, ordinal) => ({ runId: run.id, ordinal, exampleId: s.exampleId })) });
  await db.prisma.exampleScore.createMany({
    data: scores.map((s, ordinal) => ({
      runId: run.id,
      exampleId: s.exampleId,
      ordinal,
      difficulty: s.difficulty,
      memorization: s.memorization,
      forgetEvents: Math.round(s.memorization * 3),
      neverLearned: false,
      confidence: 0.5,
      variability: 0.1,
      correctness: 0.5,
      quadrant: s.quadrant,
    })),
  });
  return run;
}

/** A version's members keyed by example key (weight), for comparing memberships. */
export async function membership(db: Database, versionId: string): Promise<Record<string, number>> {
  const rows = await db.sql<{ key: string; weight: number }>(
    `SELECT e.key, ve.weight FROM version_examples ve JOIN examples e ON e.id = ve.example_id WHERE ve.version_id = $1::uuid ORDER BY e.key`,
    [versionId],
  );
  return Object.fromEntries(rows.map((r) => [r.key, Number(r.weight)]));
}

export const GQL = {
  createDraft: /* GraphQL */ `mutation ($parent: ID!, $note: String) { createDraftVersion(input: { parentVersionId: $parent, note: $note }) { id number status parent { id } exampleCount canaryCount } }`,
  propose: /* GraphQL */ `mutation ($input: ProposeInput!) { proposeInterventions(input: $input) { proposed skipped interventions { id action weight status evidence policy example { id key } proposedBy { id } } } }`,
  review: /* GraphQL */ `mutation ($input: ReviewInput!) { reviewIntervention(input: $input) { id status reviews { decision reason reviewer { id } } } }`,
  release: /* GraphQL */ `mutation ($input: ReleaseInput!) { releaseVersion(input: $input) { id contentHash lineage gateVerdict overrideReason releasedBy { id } version { id status contentHash releasedAt } } }`,
  importExamples: /* GraphQL */ `mutation ($versionId: ID!, $examples: [ExampleInput!]!) { importExamples(input: { versionId: $versionId, examples: $examples }) { received created alreadyPresent addedToVersion } }`,
};

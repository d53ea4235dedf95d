// The data map's governance column over HTTP (GET /export/runs/<id>/governance.arrow) and the
// examples table's look-ups (Run.examplesAt, Run.searchPoints), issue 15: auth, the flags by
// run ordinal, fresh after a proposal (new ETag), 304 when unchanged; canary text searchable
// only by roles that may read it.
import { tableFromIPC } from "apache-arrow";
import { afterAll, beforeAll, expect, test } from "vitest";
import {
  createDraftVersion,
  createExternalRun,
  GOVERNANCE_FLAGS,
  openJobQueue,
  proposeInterventions,
  releaseVersion,
  type Actor,
  type JobQueue,
} from "@gdc/db";
import { createTestDatabase, seedDataset, seedUser, type TestDatabase } from "@gdc/db/testing";
import { startApi, type RunningApi } from "../src/index.ts";

let t: TestDatabase;
let api: RunningApi;
let queue: JobQueue;
let viewer: string;
let engineerToken: string;
let engineer: Actor;
let runId: string;
let draftId: string;
let rows: { ordinal: number; id: string; key: string }[];

beforeAll(async () => {
  t = await createTestDatabase();
  queue = await openJobQueue(t.db);
  viewer = (await seedUser(t.db, "VIEWER")).token;
  const eng = await seedUser(t.db, "ENGINEER");
  engineer = eng.actor;
  engineerToken = eng.token;
  const admin = (await seedUser(t.db, "ADMIN")).actor;
  const { version } = await seedDataset(t.db, engineer, { examples: 6, canaries: 1 });
  await releaseVersion(t.db, admin, { versionId: version.id });
  runId = (await createExternalRun(t.db, engineer, { versionId: version.id, epochs: 2, framework: "jax", canaries: true })).id;
  draftId = (await createDraftVersion(t.db, engineer, { parentVersionId: version.id })).id;
  rows = await t.db.sql(
    `SELECT re.ordinal, e.id::text, e.key FROM run_examples re JOIN examples e ON e.id = re.example_id WHERE re.run_id = $1 ORDER BY re.ordinal`,
    [runId],
  );
  api = await startApi({ db: t.db, queue }, { port: 0 });
});
afterAll(async () => {
  await api?.stop();
  await queue?.stop();
  await t?.dispose();
});

const get = (id: string, headers: Record<string, string> = {}) =>
  fetch(new URL(`/export/runs/${id}/governance.arrow`, api.url), { headers: { authorization: `Bearer ${viewer}`, "accept-encoding": "identity", ...headers } });
const flagsOf = async (response: Response) => {
  const bytes = new Uint8Array(await response.arrayBuffer());
  // fetch undoes a gzip content-encoding itself.
  const table = tableFromIPC(bytes);
  expect(table.schema.metadata.get("gdc.format")).toBe("gdc.governance/1");
  return [...(table.getChild("governance")!.toArray() as Uint8Array)];
};

test("GET /export/runs/<id>/governance.arrow: one uint8 flag per point, fresh after a proposal, 304 while unchanged", async () => {
  const first = await get(runId);
  expect(first.status).toBe(200);
  expect(first.headers.get("content-type")).toBe("application/vnd.apache.arrow.file");
  expect(first.headers.get("cache-control")).toBe("private, no-cache");
  expect(await flagsOf(first)).toEqual(new Array(rows.length).fill(0));
  const etag = first.headers.get("etag")!;
  expect((await get(runId, { "if-none-match": etag })).status).toBe(304);

  await proposeInterventions(t.db, engineer, { versionId: draftId, exampleIds: [rows[2]!.id], action: "PRUNE", reason: "test" });
  const after = await get(runId, { "if-none-match": etag, "accept-encoding": "gzip" });
  expect(after.status).toBe(200);
  expect(after.headers.get("content-encoding")).toBe("gzip");
  expect(after.headers.get("etag")).not.toBe(etag);
  const expected = new Array(rows.length).fill(0);
  expected[2] = GOVERNANCE_FLAGS.PENDING;
  expect(await flagsOf(after)).toEqual(expected);

  expect((await fetch(new URL(`/export/runs/${runId}/governance.arrow`, api.url))).status).toBe(401);
  expect((await get("00000000-0000-4000-8000-000000000000")).status).toBe(404);
  expect((await get("nope")).status).toBe(400);
});

async function gql<T>(token: string, query: string, variables: Record<string, unknown>): Promise<T> {
  const response = await fetch(api.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data: T; errors?: { message: string }[] };
  if (body.errors) throw new Error(body.errors.map((e) => e.message).join("; "));
  return body.data;
}

test("Run.examplesAt, Run.searchPoints and Run.neighbours: a table page by ordinal, text matches as ordinals (canary text per role), previous / next", async () => {
  const { run } = await gql<{ run: { examplesAt: ({ id: string; key: string } | null)[] } }>(
    viewer,
    `query ($id: ID!, $o: [Int!]!) { run(id: $id) { examplesAt(ordinals: $o) { id key } } }`,
    { id: runId, o: [1, 0, 999] },
  );
  expect(run.examplesAt).toEqual([{ id: rows[1]!.id, key: rows[1]!.key }, { id: rows[0]!.id, key: rows[0]!.key }, null]);
  const search = (token: string, text: string) =>
    gql<{ run: { searchPoints: { ordinals: number[]; totalCount: number } } }>(
      token,
      `query ($id: ID!, $s: String!) { run(id: $id) { searchPoints(search: $s) { ordinals totalCount } } }`,
      {
        id: runId,
        s: text,
      },
    ).then((d) => d.run.searchPoints);
  const canary = rows.find((r) => r.key.startsWith("canary-"))!.ordinal;
  expect(await search(engineerToken, "my pin")).toEqual({ ordinals: [canary], totalCount: 1 });
  expect(await search(viewer, "my pin")).toEqual({ ordinals: [], totalCount: 0 });
  expect((await search(viewer, "number 3")).ordinals).toEqual([rows.find((r) => r.key === "ex-3")!.ordinal]);
  const { run: around } = await gql<{
    run: { neighbours: { ordinal: number; count: number; previous: { key: string } | null; next: { key: string } | null } | null };
  }>(viewer, `query ($id: ID!, $e: ID!) { run(id: $id) { neighbours(exampleId: $e) { ordinal count previous { key } next { key } } } }`, {
    id: runId,
    e: rows[1]!.id,
  });
  expect(around.neighbours).toEqual({ ordinal: 1, count: rows.length, previous: { key: rows[0]!.key }, next: { key: rows[2]!.key } });
  const { run: none } = await gql<{ run: { neighbours: null } }>(viewer, `query ($id: ID!) { run(id: $id) { neighbours(exampleId: "nope") { ordinal } } }`, {
    id: runId,
  });
  expect(none.neighbours).toBeNull();
});

// The data map as an Arrow file over HTTP (GET /export/runs/<id>/data-map.arrow): the same
// points as the GraphQL dataMap field, auth and error statuses, gzip, ETag revalidation, and
// no stale map after a run is re-scored.
import { gunzipSync } from "node:zlib";
import { tableFromIPC, type Table } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createExternalRun, finishRun, ingestDynamics, openJobQueue, queryDataMap, scoreRun, systemActor, type JobQueue } from "@gdc/db";
import { createTestDatabase, RecordingQueue, seedDataset, seedUser, type TestDatabase } from "@gdc/db/testing";
import { startApi, type RunningApi } from "../src/index.ts";

let t: TestDatabase;
let api: RunningApi;
let queue: JobQueue;
let token: string;
let runId: string;
let unscoredRunId: string;
const N = 30; // 26 examples + 4 canaries
const T = 4;

beforeAll(async () => {
  t = await createTestDatabase();
  queue = await openJobQueue(t.db);
  token = (await seedUser(t.db, "VIEWER")).token;
  const engineer = (await seedUser(t.db, "ENGINEER")).actor;
  const { version } = await seedDataset(t.db, engineer, { examples: 26, canaries: 4 });
  const run = await createExternalRun(t.db, engineer, { allowDraft: true, versionId: version.id, epochs: T, framework: "jax" });
  const keys = (
    await t.db.sql<{ key: string }>(`SELECT e.key FROM run_examples re JOIN examples e ON e.id = re.example_id WHERE re.run_id = $1 ORDER BY re.ordinal`, [
      run.id,
    ])
  ).map((r) => r.key);
  const cells = keys.flatMap((exampleKey, i) =>
    Array.from({ length: T }, (_, epoch) => {
      const loss = ((i * 7) % 5) / 2 + (epoch % 2 === 1 && i % 3 === 0 ? 1.5 : 0) + 1 / (epoch + 1);
      return { exampleKey, epoch, loss, accuracy: Math.max(0, Math.min(1, 1 - loss / 4)) };
    }),
  );
  await ingestDynamics(t.db, engineer, { runId: run.id, cells });
  await finishRun(t.db, new RecordingQueue(), engineer, { runId: run.id });
  await scoreRun(t.db, systemActor("worker"), { runId: run.id });
  runId = run.id;
  unscoredRunId = (await createExternalRun(t.db, engineer, { allowDraft: true, versionId: version.id, epochs: T, framework: "jax" })).id;
  api = await startApi({ db: t.db, queue }, { port: 0 });
});
afterAll(async () => {
  await api?.stop();
  await queue?.stop();
  await t?.dispose();
});

const url = (id: string, search = "") => new URL(`/export/runs/${id}/data-map.arrow${search}`, api.url).toString();
const get = (id: string, headers: Record<string, string> = {}, search = "") =>
  fetch(url(id, search), { headers: { authorization: `Bearer ${token}`, "accept-encoding": "identity", ...headers } });
const errorOf = async (response: Response) => ((await response.json()) as { errors: { message: string; extensions: { code: string } }[] }).errors[0]!;
const decode = async (response: Response): Promise<Table> => tableFromIPC(new Uint8Array(await response.arrayBuffer()));

describe("GET /export/runs/<id>/data-map.arrow", () => {
  test("holds the same points as the GraphQL dataMap, row i = ordinal i", async () => {
    const response = await get(runId);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/vnd.apache.arrow.file");
    expect(response.headers.get("x-gdc-point-count")).toBe(String(N));
    const table = await decode(response);
    const map = (await queryDataMap(t.db, runId))!;
    expect(table.numRows).toBe(N);
    expect(table.schema.fields.map((f) => f.name)).toEqual(["difficulty", "memorization", "quadrant", "is_canary"]);
    // float32 columns hold exactly the stored values (the JSON prints them shortest-decimal).
    expect(Array.from(table.getChild("difficulty")!.toArray() as Float32Array)).toEqual(map.difficulty.map(Math.fround));
    expect(Array.from(table.getChild("memorization")!.toArray() as Float32Array)).toEqual(map.memorization.map(Math.fround));
    expect(table.getChild("quadrant")!.toArray()).toEqual(map.quadrant.map((q) => map.quadrants[q]));
    expect(table.getChild("is_canary")!.toArray()).toEqual(map.isCanary);
    expect(map.isCanary.filter(Boolean)).toHaveLength(4);
    const metadata = table.schema.metadata;
    expect(metadata.get("gdc.format")).toBe("gdc.data-map/1");
    expect(metadata.get("gdc.runId")).toBe(runId);
    expect(JSON.parse(metadata.get("gdc.thresholds")!)).toEqual(map.thresholds);
    // The run was scored with the default signal: the memorization column is the relative loss drop.
    expect(metadata.get("gdc.memorizationSignal")).toBe("excessLossDrop");
    expect(map.memorizationSignal).toBe("excessLossDrop");
  });

  test("?include=ids adds the example ids; other include values are refused", async () => {
    const table = await decode(await get(runId, {}, "?include=ids"));
    const map = (await queryDataMap(t.db, runId))!;
    expect(table.schema.fields[0]!.name).toBe("example_id");
    expect(table.getChild("example_id")!.toArray()).toEqual(map.ids);
    const bad = await get(runId, {}, "?include=text");
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).extensions.code).toBe("BAD_USER_INPUT");
  });

  test("gzip when accepted, the same bytes; 304 for the current ETag", async () => {
    const plain = Buffer.from(await (await get(runId)).arrayBuffer());
    const zipped = await fetch(url(runId), { headers: { authorization: `Bearer ${token}`, "accept-encoding": "gzip" } });
    // fetch decompresses transparently: same bytes, and it says it was gzip.
    expect(zipped.headers.get("content-encoding")).toBe("gzip");
    expect(Buffer.from(await zipped.arrayBuffer()).equals(plain)).toBe(true);
    const raw = await import("node:http").then(
      (http) =>
        new Promise<Buffer>((resolve, reject) => {
          http.get(url(runId), { headers: { authorization: `Bearer ${token}`, "accept-encoding": "gzip" } }, (res) => {
            const chunks: Buffer[] = [];
            res
              .on("data", (c: Buffer) => chunks.push(c))
              .on("end", () => resolve(Buffer.concat(chunks)))
              .on("error", reject);
          });
        }),
    );
    expect(gunzipSync(raw).equals(plain)).toBe(true);
    const etag = (await get(runId)).headers.get("etag")!;
    expect(etag).toMatch(/^".+"$/);
    const again = await get(runId, { "if-none-match": etag });
    expect(again.status).toBe(304);
    expect((await get(runId, {}, "?include=ids")).headers.get("etag")).not.toBe(etag);
  });

  test("a re-scored run is served anew (new ETag, new quadrants), never from the stale cache", async () => {
    const before = await get(runId);
    const etag = before.headers.get("etag")!;
    const quadrantsBefore = (await decode(before)).getChild("quadrant")!.toArray();
    // Re-score with other quantiles: most points now count as hard.
    await t.db.sql(`UPDATE runs SET scoring_config = scoring_config || '{"qDifficulty": 0.1, "qMemorization": 0.1}'::jsonb WHERE id = $1`, [runId]);
    const rescored = await scoreRun(t.db, systemActor("worker"), { runId });
    expect(rescored.status).toBe("SUCCEEDED");
    const after = await get(runId, { "if-none-match": etag });
    expect(after.status).toBe(200);
    expect(after.headers.get("etag")).not.toBe(etag);
    const quadrantsAfter = (await decode(after)).getChild("quadrant")!.toArray();
    const map = (await queryDataMap(t.db, runId))!;
    expect(quadrantsAfter).toEqual(map.quadrant.map((q) => map.quadrants[q]));
    expect(quadrantsAfter).not.toEqual(quadrantsBefore);
  });

  test("401 without a valid token, 400 for a malformed id, 404 for an unknown or unscored run", async () => {
    const anonymous = await fetch(url(runId));
    expect(anonymous.status).toBe(401);
    expect((await errorOf(anonymous)).extensions.code).toBe("UNAUTHENTICATED");
    expect((await fetch(url(runId), { headers: { authorization: "Bearer gdc_wrong" } })).status).toBe(401);
    const malformed = await get("not-a-uuid");
    expect(malformed.status).toBe(400);
    expect((await errorOf(malformed)).extensions.code).toBe("BAD_USER_INPUT");
    const unknown = await get("00000000-0000-4000-8000-000000000000");
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).message).toMatch(/not found/);
    const unscored = await get(unscoredRunId);
    expect(unscored.status).toBe(404);
    expect((await errorOf(unscored)).message).toMatch(/no scores yet/);
    expect((await fetch(url(runId), { method: "POST", headers: { authorization: `Bearer ${token}` } })).status).toBe(405);
  });
});

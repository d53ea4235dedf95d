// Bulk binary ingest (POST /ingest/runs/<id>/dynamics, Arrow IPC) against the real database:
// same stored dynamics and scores as the GraphQL JSON path, idempotent repeats with no extra
// audit event, bad bodies refused naming the column or row with nothing written, and the
// ingestDynamics permission.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  Bool,
  Field,
  Float32,
  Float64,
  Int32,
  Int64,
  RecordBatch,
  Schema,
  Struct,
  Table,
  Utf8,
  makeData,
  tableToIPC,
  vectorFromArray,
  type Data,
} from "apache-arrow";
import { createExternalRun, finishRun, openJobQueue, readDynamicsMatrix, scoreRun, type Actor, type JobQueue, type Role } from "@gdc/db";
import { createTestDatabase, seedDataset, seedUser, type TestDatabase } from "@gdc/db/testing";
import { ARROW_STREAM_TYPE, dynamicsIngestPath, encodeDynamicsArrow, MAX_DYNAMICS_BODY_BYTES, startApi, type RunningApi } from "../src/index.ts";

let t: TestDatabase;
let api: RunningApi;
let queue: JobQueue;
let engineer: Actor;
const tokens = {} as Record<Role, string>;

beforeAll(async () => {
  t = await createTestDatabase();
  queue = await openJobQueue(t.db, { pollingIntervalSeconds: 60 });
  api = await startApi({ db: t.db, queue }, { port: 0 });
  for (const role of ["ADMIN", "ENGINEER", "REVIEWER", "VIEWER"] as const) tokens[role] = (await seedUser(t.db, role)).token;
  engineer = (await seedUser(t.db, "ENGINEER")).actor;
});
afterAll(async () => {
  await api?.stop();
  await queue?.stop();
  await t?.dispose();
});

const base = () => api.url.replace(/\/graphql$/, "");

interface PostResult {
  status: number;
  body: {
    accepted?: number;
    unchanged?: number;
    received?: number;
    missing?: number;
    errors?: { message: string; extensions: { code: string; field?: string } }[];
  };
}
async function post(token: string | null, runId: string, body: Uint8Array, query = "", contentType = ARROW_STREAM_TYPE): Promise<PostResult> {
  const response = await fetch(`${base()}/ingest/runs/${runId}/dynamics${query}`, {
    method: "POST",
    headers: { "content-type": contentType, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
  });
  return { status: response.status, body: (await response.json()) as PostResult["body"] };
}

async function gql(token: string, query: string, variables: Record<string, unknown>) {
  const response = await fetch(api.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}
const INGEST = `mutation ($input: DynamicsChunkInput!) { ingestDynamics(input: $input) { accepted unchanged received missing } }`;

const lossOf = (i: number, e: number) => Math.fround(((i * 37) % 11) / 4 + (e % 2 === 1 && i % 4 === 0 ? 2 : 0) + 1 / (e + 1));
const accOf = (i: number, e: number) => Math.fround(Math.max(0, Math.min(1, 1 - lossOf(i, e) / 4)));

/** A table with exactly the given columns (for bodies the encoder would never write). */
function arrow(columns: Record<string, Data>): Uint8Array {
  const fields = Object.entries(columns).map(([name, data]) => new Field(name, data.type, data.nullCount > 0));
  const n = Object.values(columns)[0]!.length;
  const schema = new Schema(fields);
  return tableToIPC(
    new Table(schema, [new RecordBatch(schema, makeData({ type: new Struct(fields), length: n, children: Object.values(columns) }))]),
    "stream",
  );
}
const utf8 = (values: (string | null)[]) => vectorFromArray(values, new Utf8()).data[0]!;
const f32 = (values: number[]) => makeData({ type: new Float32(), length: values.length, data: Float32Array.from(values) });

async function auditCount(runId: string) {
  return t.db.prisma.auditEvent.count({ where: { targetId: runId, action: "dynamics.ingest" } });
}
async function blockCount(runId: string) {
  const [row] = await t.db.sql<{ n: number }>(`SELECT count(*)::int AS n FROM dynamics_blocks WHERE run_id = $1::uuid`, [runId]);
  return row!.n;
}

describe("POST /ingest/runs/<id>/dynamics", () => {
  const N = 30;
  const T = 4;
  let versionId: string;
  let keys: string[];

  beforeAll(async () => {
    const { version } = await seedDataset(t.db, engineer, { examples: 26, canaries: 4 });
    versionId = version.id;
    keys = [...Array.from({ length: 26 }, (_, i) => `ex-${i}`), ...Array.from({ length: 4 }, (_, i) => `canary-${i}`)];
  });

  test("round trip: the same stored dynamics and scores as the GraphQL JSON path; a repeat writes nothing and no audit event", async () => {
    const viaJson = await createExternalRun(t.db, engineer, { allowDraft: true, versionId, epochs: T });
    const viaArrow = await createExternalRun(t.db, engineer, { allowDraft: true, versionId, epochs: T });
    const cells = keys.flatMap((exampleKey, i) =>
      Array.from({ length: T }, (_, epoch) => ({ exampleKey, epoch, loss: lossOf(i, epoch), accuracy: accOf(i, epoch) })),
    );
    await gql(tokens.ENGINEER, INGEST, { input: { runId: viaJson.id, cells } });

    // Epochs 0–2 one request each (?epoch=N), in two shards for epoch 1; epoch 3 with an epoch column.
    const shard = (from: number, to: number, epoch: number) =>
      encodeDynamicsArrow({
        keys: keys.slice(from, to),
        epoch,
        loss: keys.slice(from, to).map((_, j) => lossOf(from + j, epoch)),
        accuracy: keys.slice(from, to).map((_, j) => accOf(from + j, epoch)),
      });
    const results = [
      await post(tokens.ENGINEER, viaArrow.id, shard(0, N, 0), "?epoch=0"),
      await post(tokens.ENGINEER, viaArrow.id, shard(0, 17, 1), "?epoch=1"),
      await post(tokens.ENGINEER, viaArrow.id, shard(17, N, 1), "?epoch=1"),
      await post(tokens.ENGINEER, viaArrow.id, shard(0, N, 2), "?epoch=2"),
      await post(
        tokens.ADMIN,
        viaArrow.id,
        encodeDynamicsArrow({ keys, epoch: keys.map(() => 3), loss: keys.map((_, i) => lossOf(i, 3)), accuracy: keys.map((_, i) => accOf(i, 3)) }),
      ),
    ];
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(results.map((r) => r.body.accepted)).toEqual([N, 17, N - 17, N, N]);
    expect(results.at(-1)!.body).toEqual({ accepted: N, unchanged: 0, received: N, missing: 0 });
    expect(await auditCount(viaArrow.id)).toBe(5);

    const [a, b] = [await readDynamicsMatrix(t.db, viaJson.id), await readDynamicsMatrix(t.db, viaArrow.id)];
    expect(b.ids).toEqual(a.ids);
    expect(Buffer.from(b.loss.buffer)).toEqual(Buffer.from(a.loss.buffer));
    expect(Buffer.from(b.acc.buffer)).toEqual(Buffer.from(a.acc.buffer));

    // A repeated request: every cell unchanged, no block rewritten, no audit event.
    const blocksBefore = await t.db.sql<{ updated_at: Date }>(`SELECT updated_at FROM dynamics_blocks WHERE run_id = $1::uuid ORDER BY epoch, block`, [
      viaArrow.id,
    ]);
    const again = await post(tokens.ENGINEER, viaArrow.id, shard(0, N, 2), "?epoch=2");
    expect(again).toEqual({ status: 200, body: { accepted: 0, unchanged: N, received: N, missing: 0 } });
    expect(await auditCount(viaArrow.id)).toBe(5);
    expect(await t.db.sql(`SELECT updated_at FROM dynamics_blocks WHERE run_id = $1::uuid ORDER BY epoch, block`, [viaArrow.id])).toEqual(blocksBefore);

    for (const run of [viaJson, viaArrow]) {
      await finishRun(t.db, queue, engineer, { runId: run.id });
      expect(await scoreRun(t.db, engineer, { runId: run.id })).toMatchObject({ status: "SUCCEEDED" });
    }
    const scores = (runId: string) =>
      t.db.sql(`SELECT to_jsonb(s) - 'run_id' - 'created_at' - 'updated_at' AS row FROM example_scores s WHERE run_id = $1::uuid ORDER BY ordinal`, [runId]);
    const jsonScores = await scores(viaJson.id);
    expect(jsonScores).toHaveLength(N);
    expect(await scores(viaArrow.id)).toEqual(jsonScores);
  });

  test("the same key column in another order (a different digest) still maps each key to its own example", async () => {
    const run = await createExternalRun(t.db, engineer, { allowDraft: true, versionId, epochs: 2 });
    const reversed = [...keys].reverse();
    const send = (order: string[], epoch: number) =>
      post(
        tokens.ENGINEER,
        run.id,
        encodeDynamicsArrow({
          keys: order,
          epoch,
          loss: order.map((k) => lossOf(keys.indexOf(k), epoch)),
          accuracy: order.map((k) => accOf(keys.indexOf(k), epoch)),
        }),
        `?epoch=${epoch}`,
      );
    expect((await send(keys, 0)).status).toBe(200);
    expect((await send(reversed, 1)).status).toBe(200);
    expect((await send(keys, 1)).body).toMatchObject({ accepted: 0, unchanged: N }); // a cached column, values equal
    const matrix = await readDynamicsMatrix(t.db, run.id);
    const keyOf = new Map((await t.db.prisma.example.findMany({ where: { id: { in: matrix.ids } } })).map((e) => [e.id, e.key]));
    matrix.ids.forEach((id, o) => {
      const i = keys.indexOf(keyOf.get(id)!);
      expect([matrix.loss[o * 2], matrix.loss[o * 2 + 1]]).toEqual([lossOf(i, 0), lossOf(i, 1)]);
    });
  });

  test("a `correct` bool column stores accuracy 1 / 0; keys may be any UTF-8; the file format is read too", async () => {
    const records = [
      { id: "ünïcødé-1", text: "a" },
      { id: "plain-2", text: "b" },
    ];
    const { version } = await seedDataset(t.db, engineer, { records });
    const run = await createExternalRun(t.db, engineer, { allowDraft: true, versionId: version.id, epochs: 1 });
    const bits = new Uint8Array([0b01]);
    const schema = new Schema([new Field("example_key", new Utf8()), new Field("loss", new Float64()), new Field("correct", new Bool())]);
    const data = makeData({
      type: new Struct(schema.fields),
      length: 2,
      children: [
        utf8(records.map((r) => r.id)),
        makeData({ type: new Float64(), length: 2, data: Float64Array.from([0.5, 2]) }),
        makeData({ type: new Bool(), length: 2, data: bits }),
      ],
    });
    const file = tableToIPC(new Table(schema, [new RecordBatch(schema, data)]), "file");
    const result = await post(tokens.ENGINEER, run.id, file, "?epoch=0", "application/vnd.apache.arrow.file");
    expect(result).toEqual({ status: 200, body: { accepted: 2, unchanged: 0, received: 2, missing: 0 } });
    const matrix = await readDynamicsMatrix(t.db, run.id);
    const keyOf = new Map((await t.db.prisma.example.findMany({ where: { id: { in: matrix.ids } } })).map((e) => [e.id, e.key]));
    const stored = Object.fromEntries(matrix.ids.map((id, i) => [keyOf.get(id), [matrix.loss[i], matrix.acc[i]]]));
    expect(stored).toEqual({ "ünïcødé-1": [0.5, 1], "plain-2": [2, 0] });
  });

  describe("bad bodies are refused, naming the column or row, and write nothing", () => {
    let runId: string;
    beforeAll(async () => {
      runId = (await createExternalRun(t.db, engineer, { allowDraft: true, versionId, epochs: T })).id;
    });
    const good = (n = N) => ({
      keys: keys.slice(0, n),
      loss: keys.slice(0, n).map((_, i) => lossOf(i, 0)),
      accuracy: keys.slice(0, n).map((_, i) => accOf(i, 0)),
    });
    const late = N - 2; // the bad row is late in the batch: earlier rows must not be written either
    const cases: [string, () => { body: Uint8Array; query?: string; contentType?: string }, number, string, RegExp][] = [
      [
        "NaN loss",
        () => ({ body: encodeDynamicsArrow({ ...good(), epoch: 0, loss: good().loss.map((l, i) => (i === late ? NaN : l)) }), query: "?epoch=0" }),
        400,
        `rows[${late}].loss`,
        /must be finite, got NaN/,
      ],
      [
        "negative loss",
        () => ({ body: encodeDynamicsArrow({ ...good(), epoch: 0, loss: good().loss.map((l, i) => (i === late ? -1 : l)) }), query: "?epoch=0" }),
        400,
        `rows[${late}].loss`,
        /≥ 0/,
      ],
      [
        "accuracy above 1",
        () => ({ body: encodeDynamicsArrow({ ...good(), epoch: 0, accuracy: good().accuracy.map((a, i) => (i === late ? 1.5 : a)) }), query: "?epoch=0" }),
        400,
        `rows[${late}].accuracy`,
        /\[0, 1\]/,
      ],
      [
        "unknown key",
        () => ({ body: encodeDynamicsArrow({ ...good(), keys: keys.map((k, i) => (i === late ? "nope" : k)), epoch: 0 }), query: "?epoch=0" }),
        400,
        `rows[${late}].example_key`,
        /"nope" is not a training example/,
      ],
      [
        "duplicate key",
        () => ({ body: encodeDynamicsArrow({ ...good(), keys: keys.map((k, i) => (i === late ? keys[3]! : k)), epoch: 0 }), query: "?epoch=0" }),
        400,
        `rows[${late}]`,
        /repeats rows\[3\] \(example_key "ex-3", epoch 0\)/,
      ],
      [
        "epoch beyond the run",
        () => ({ body: encodeDynamicsArrow({ ...good(), epoch: T }), query: `?epoch=${T}` }),
        400,
        "rows[0].epoch",
        /must be in \[0, 3\]/,
      ],
      [
        "epoch column disagrees with ?epoch",
        () => ({ body: encodeDynamicsArrow({ ...good(), epoch: keys.map((_, i) => (i === late ? 1 : 0)) }), query: "?epoch=0" }),
        400,
        `rows[${late}].epoch`,
        /is 1, but the request is for epoch 0/,
      ],
      ["no epoch at all", () => ({ body: encodeDynamicsArrow({ ...good(), epoch: 0 }) }), 400, "epoch", /give \?epoch=N/],
      ["a bad ?epoch", () => ({ body: encodeDynamicsArrow({ ...good(), epoch: 0 }), query: "?epoch=-1" }), 400, "epoch", /non-negative integer/],
      [
        "integer keys",
        () => ({
          body: arrow({
            example_key: makeData({ type: new Int64(), length: 2, data: BigInt64Array.from([0n, 1n]) }),
            loss: f32([1, 1]),
            accuracy: f32([0, 0]),
          }),
          query: "?epoch=0",
        }),
        400,
        "example_key",
        /must be a string column \(utf8\): send keys as strings/,
      ],
      [
        "a null key",
        () => ({ body: arrow({ example_key: utf8(["ex-0", null]), loss: f32([1, 1]), accuracy: f32([0, 0]) }), query: "?epoch=0" }),
        400,
        "rows[1].example_key",
        /is null/,
      ],
      ["no loss column", () => ({ body: arrow({ example_key: utf8(["ex-0"]), accuracy: f32([0]) }), query: "?epoch=0" }), 400, "loss", /missing/],
      ["no accuracy or correct", () => ({ body: arrow({ example_key: utf8(["ex-0"]), loss: f32([1]) }), query: "?epoch=0" }), 400, "accuracy", /missing/],
      [
        "an unknown column",
        () => ({ body: arrow({ example_key: utf8(["ex-0"]), loss: f32([1]), acc: f32([0]) }), query: "?epoch=0" }),
        400,
        "acc",
        /unknown column/,
      ],
      [
        "an integer loss",
        () => ({
          body: arrow({ example_key: utf8(["ex-0"]), loss: makeData({ type: new Int32(), length: 1, data: Int32Array.from([1]) }), accuracy: f32([0]) }),
          query: "?epoch=0",
        }),
        400,
        "loss",
        /must be a float column/,
      ],
      ["not Arrow", () => ({ body: new TextEncoder().encode(`{"cells": []}`), query: "?epoch=0" }), 400, "body", /not an Arrow IPC stream or file/],
      [
        "JSON content type",
        () => ({ body: encodeDynamicsArrow({ ...good(), epoch: 0 }), query: "?epoch=0", contentType: "application/json" }),
        415,
        "",
        /content-type: send the body as application\/vnd\.apache\.arrow\.stream/,
      ],
    ];
    test.each(cases)("%s", async (_, make, status, field, message) => {
      const { body, query = "", contentType } = make();
      const result = await post(tokens.ENGINEER, runId, body, query, contentType);
      expect(result.status).toBe(status);
      const error = result.body.errors![0]!;
      expect(error.message).toMatch(message);
      if (field) expect(error.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
      expect(await blockCount(runId)).toBe(0);
      expect(await auditCount(runId)).toBe(0);
    });

    test("too many rows, and a body over the size limit", async () => {
      const many = 200_001;
      const body = arrow({
        example_key: utf8(Array.from({ length: many }, () => "ex-0")),
        loss: f32(new Array<number>(many).fill(1)),
        accuracy: f32(new Array<number>(many).fill(0)),
      });
      const rows = await post(tokens.ENGINEER, runId, body, "?epoch=0");
      expect(rows.status).toBe(400);
      expect(rows.body.errors![0]!.message).toMatch(/rows: at most 200000 rows per request, got 200001/);
      const big = await post(tokens.ENGINEER, runId, new Uint8Array(MAX_DYNAMICS_BODY_BYTES + 1), "?epoch=0");
      expect(big.status).toBe(413);
      expect(big.body.errors![0]!.extensions.code).toBe("PAYLOAD_TOO_LARGE");
      expect(await blockCount(runId)).toBe(0);
      expect(await auditCount(runId)).toBe(0);
    });

    test("a run that is not RUNNING (409) or does not exist (404), and a path id that is not a UUID", async () => {
      const body = encodeDynamicsArrow({ ...good(), epoch: 0 });
      expect((await post(tokens.ENGINEER, "00000000-0000-4000-8000-000000000000", body, "?epoch=0")).status).toBe(404);
      expect((await post(tokens.ENGINEER, "not-a-uuid", body, "?epoch=0")).body.errors![0]!.extensions).toMatchObject({
        code: "BAD_USER_INPUT",
        field: "runId",
      });
      const finished = await createExternalRun(t.db, engineer, { allowDraft: true, versionId, epochs: 1 });
      await post(tokens.ENGINEER, finished.id, body, "?epoch=0");
      await finishRun(t.db, queue, engineer, { runId: finished.id });
      const late = await post(tokens.ENGINEER, finished.id, body, "?epoch=0");
      expect(late.status).toBe(409);
      expect(late.body.errors![0]!.message).toMatch(/is SCORING: dynamics are ingested only while it is RUNNING/);
    });
  });

  test("permission: VIEWER and REVIEWER are refused (403), no token is 401, a wrong method 405; nothing written", async () => {
    const run = await createExternalRun(t.db, engineer, { allowDraft: true, versionId, epochs: T });
    const body = encodeDynamicsArrow({ keys, epoch: 0, loss: keys.map((_, i) => lossOf(i, 0)), accuracy: keys.map((_, i) => accOf(i, 0)) });
    for (const role of ["VIEWER", "REVIEWER"] as const) {
      const result = await post(tokens[role], run.id, body, "?epoch=0");
      expect(result.status).toBe(403);
      expect(result.body.errors![0]!).toMatchObject({
        message: `ingestDynamics needs one of the roles ADMIN, ENGINEER; you are ${role}`,
        extensions: { code: "FORBIDDEN" },
      });
    }
    expect((await post(null, run.id, body, "?epoch=0")).status).toBe(401);
    expect((await post("gdc_not-a-token", run.id, body, "?epoch=0")).status).toBe(401);
    const get = await fetch(`${base()}${dynamicsIngestPath(run.id, 0)}`, { headers: { authorization: `Bearer ${tokens.ENGINEER}` } });
    expect(get.status).toBe(405);
    expect(await blockCount(run.id)).toBe(0);
    expect(await auditCount(run.id)).toBe(0);
  });
});

// Keys where a user joins (issue 14): the data map's example_key column (?include=keys) and the
// run scores download (GET /export/runs/<id>/scores.csv|.arrow): every score column, keyed by
// the user's key, row i = the run's i-th training example in import order (not key order), the
// same values GraphQL returns, canary keys redacted for REVIEWER and VIEWER as in GraphQL.
import { tableFromIPC, type Table } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SCORE_COLUMNS } from "@gdc/cartography";
import {
  createExternalRun,
  finishRun,
  ingestDynamics,
  openJobQueue,
  queryExamples,
  RUN_SCORES_FILE_COLUMNS,
  scoreRun,
  systemActor,
  type JobQueue,
} from "@gdc/db";
import { createTestDatabase, RecordingQueue, seedDataset, seedUser, type TestDatabase } from "@gdc/db/testing";
import { startApi, type RunningApi } from "../src/index.ts";

let t: TestDatabase;
let api: RunningApi;
let queue: JobQueue;
const tokens: Record<string, string> = {};
let runId: string;
let unscoredRunId: string;
/** Train keys in import order: deliberately not sorted (string order would put "ex-10" before "ex-2"). */
const importKeys = [...Array.from({ length: 12 }, (_, i) => `ex-${i}`), "b-last-but-sorts-first", "canary-named"];
let hashKeyedCanary: { id: string; key: string };
const T = 4;

beforeAll(async () => {
  t = await createTestDatabase();
  queue = await openJobQueue(t.db);
  for (const role of ["VIEWER", "REVIEWER", "ENGINEER", "ADMIN"] as const) tokens[role] = (await seedUser(t.db, role)).token;
  const engineer = (await seedUser(t.db, "ENGINEER")).actor;
  const { version } = await seedDataset(t.db, engineer, {
    records: [
      ...importKeys.slice(0, 12).map((id, i) => ({ id, text: `example text number ${i}` })),
      { id: "held-out", text: "a validation example", split: "validation" as const },
      { id: importKeys[12]!, text: "imported late, sorts first" },
      { id: importKeys[13]!, text: "my pin is 123456", canary: { prefix: "my pin is ", secret: "123456" } },
      // No id: its key is its content hash, which REVIEWER and VIEWER must not see.
      { text: "my pin is 654321", canary: { prefix: "my pin is ", secret: "654321" } },
    ],
  });
  const [canary] = await t.db.sql<{ id: string; key: string }>(`SELECT id, key FROM examples WHERE key = content_hash AND dataset_id = $1`, [
    version.datasetId,
  ]);
  hashKeyedCanary = canary!;
  const run = await createExternalRun(t.db, engineer, { allowDraft: true, versionId: version.id, epochs: T, framework: "pytorch" });
  const keys = [...importKeys, hashKeyedCanary.key];
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

const get = (path: string, role: string | null = "VIEWER") =>
  fetch(new URL(path, api.url).toString(), { headers: role ? { authorization: `Bearer ${tokens[role]}`, "accept-encoding": "identity" } : {} });
const decode = async (response: Response): Promise<Table> => tableFromIPC(new Uint8Array(await response.arrayBuffer()));
const errorOf = async (response: Response) => ((await response.json()) as { errors: { message: string; extensions: { code: string } }[] }).errors[0]!;

/** Minimal RFC 4180 reader for the test: quoted fields with "" escapes, no embedded newlines. */
function parseCsv(text: string): string[][] {
  return text
    .trimEnd()
    .split("\n")
    .map((line) => {
      const out: string[] = [];
      let i = 0;
      while (i <= line.length) {
        if (line[i] === '"') {
          let v = "";
          i++;
          while (i < line.length && !(line[i] === '"' && line[i + 1] !== '"')) {
            v += line[i] === '"' ? (i++, '"') : line[i];
            i++;
          }
          out.push(v);
          i += 2;
        } else {
          const end = line.indexOf(",", i);
          out.push(line.slice(i, end === -1 ? line.length : end));
          i = end === -1 ? line.length + 1 : end + 1;
        }
      }
      return out;
    });
}

/** The run's scores as GraphQL serves them, by example id. */
async function graphQLScores() {
  const page = await queryExamples(t.db, { runId, first: 100 });
  return page;
}

describe("row order and keys", () => {
  test("the data map's example_key column (?include=keys): row i is the i-th training example imported", async () => {
    const response = await get(`/export/runs/${runId}/data-map.arrow?include=keys`, "ENGINEER");
    expect(response.status).toBe(200);
    const table = await decode(response);
    expect(table.schema.fields.map((f) => f.name)).toEqual(["example_key", "difficulty", "memorization", "quadrant", "is_canary"]);
    // Train split only ("held-out" is validation), in import order: not string-sorted.
    expect(table.getChild("example_key")!.toArray()).toEqual([...importKeys, hashKeyedCanary.key]);
    expect(table.getChild("is_canary")!.toArray()).toEqual([...importKeys.map((k) => k.startsWith("canary")), true]);
    const both = await decode(await get(`/export/runs/${runId}/data-map.arrow?include=ids,keys`, "ENGINEER"));
    expect(both.schema.fields.slice(0, 2).map((f) => f.name)).toEqual(["example_key", "example_id"]);
  });

  test("REVIEWER and VIEWER see canary:<id> for a canary keyed by its content hash, in the map as in GraphQL", async () => {
    for (const role of ["REVIEWER", "VIEWER"]) {
      const keys = (await decode(await get(`/export/runs/${runId}/data-map.arrow?include=keys`, role))).getChild("example_key")!.toArray() as string[];
      expect(keys.at(-1)).toBe(`canary:${hashKeyedCanary.id}`);
      expect(keys).not.toContain(hashKeyedCanary.key);
      // A canary with its own id keeps it: the id is the user's, not derived from the secret.
      expect(keys).toContain("canary-named");
    }
  });

  test("an unknown include names the field and what is known", async () => {
    const bad = await get(`/export/runs/${runId}/data-map.arrow?include=keys,text`);
    expect(bad.status).toBe(400);
    const error = await errorOf(bad);
    expect(error.extensions.code).toBe("BAD_USER_INPUT");
    expect(error.message).toMatch(/^include: "text" is not a data map column; known: "keys"/);
  });
});

describe("GET /export/runs/<id>/scores.csv and scores.arrow", () => {
  test("CSV: every score column, keyed by the user's key, in import order, the values GraphQL returns", async () => {
    const response = await get(`/export/runs/${runId}/scores.csv`, "ENGINEER");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("x-gdc-row-count")).toBe(String(importKeys.length + 1));
    const [header, ...rows] = parseCsv(await response.text());
    expect(header).toEqual([...RUN_SCORES_FILE_COLUMNS]);
    expect(header).toEqual([
      "example_key",
      "difficulty",
      "memorization",
      "forget_frequency",
      "loss_drop",
      "relative_loss_drop",
      "excess_loss_drop",
      "accuracy_gain",
      "mean_loss",
      "forget_events",
      "never_learned",
      "confidence",
      "variability",
      "correctness",
      "quadrant",
    ]);
    expect(rows.map((r) => r[0])).toEqual([...importKeys, hashKeyedCanary.key]);
    const listed = await graphQLScores();
    const byKey = new Map(listed.edges.map((e) => [e.node.key, e.node]));
    for (const row of rows) {
      const score = byKey.get(row[0]!)!.runScore!.score!;
      expect(Number(row[1])).toBe(score.difficulty);
      expect(Number(row[2])).toBe(score.memorization);
      expect(Number(row[3])).toBe(score.forgetFrequency);
      expect(Number(row[6])).toBe(score.excessLossDrop);
      expect(Number(row[9])).toBe(score.forgetEvents);
      expect(row[10]).toBe(String(score.neverLearned));
      expect(row[14]).toBe(score.quadrant);
    }
  });

  test("Arrow: the same rows and values, typed; metadata names the memorization signal", async () => {
    const csv = parseCsv(await (await get(`/export/runs/${runId}/scores.csv`, "ENGINEER")).text()).slice(1);
    const response = await get(`/export/runs/${runId}/scores.arrow`, "ENGINEER");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/vnd.apache.arrow.file");
    const table = await decode(response);
    expect(table.schema.fields.map((f) => f.name)).toEqual([...RUN_SCORES_FILE_COLUMNS]);
    expect(table.schema.metadata.get("gdc.format")).toBe("gdc.run-scores/1");
    expect(table.schema.metadata.get("gdc.memorizationSignal")).toBe(response.headers.get("x-gdc-memorization-signal"));
    expect(table.numRows).toBe(csv.length);
    expect(table.getChild("example_key")!.toArray()).toEqual(csv.map((r) => r[0]));
    SCORE_COLUMNS.forEach((column, c) => {
      const values = Array.from(table.getChild(column)!.toArray() as ArrayLike<unknown>);
      const expected = csv.map((r) => r[c + 1]!);
      if (column === "quadrant") expect(values).toEqual(expected);
      else if (column === "never_learned") expect(values).toEqual(expected.map((v) => v === "true"));
      // float32 as stored: the CSV prints the shortest decimal that reads back as the same float32.
      else expect(values).toEqual(expected.map((v) => Math.fround(Number(v))));
    });
  });

  test("REVIEWER and VIEWER may download; a hash-keyed canary shows as canary:<id>", async () => {
    for (const role of ["REVIEWER", "VIEWER"]) {
      const rows = parseCsv(await (await get(`/export/runs/${runId}/scores.csv`, role)).text()).slice(1);
      expect(rows.map((r) => r[0])).toEqual([...importKeys, `canary:${hashKeyedCanary.id}`]);
      const keys = (await decode(await get(`/export/runs/${runId}/scores.arrow`, role))).getChild("example_key")!.toArray();
      expect(keys).toEqual([...importKeys, `canary:${hashKeyedCanary.id}`]);
    }
  });

  test("errors: no token 401, not a UUID 400, unknown run 404, unscored run 404, wrong method 405", async () => {
    expect((await get(`/export/runs/${runId}/scores.csv`, null)).status).toBe(401);
    const bad = await get(`/export/runs/not-a-run/scores.arrow`);
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).message).toMatch(/^runId: /);
    const missing = await get(`/export/runs/00000000-0000-7000-8000-000000000000/scores.csv`);
    expect(missing.status).toBe(404);
    const unscored = await get(`/export/runs/${unscoredRunId}/scores.csv`);
    expect(unscored.status).toBe(404);
    expect((await errorOf(unscored)).message).toMatch(/has no scores yet/);
    const post = await fetch(new URL(`/export/runs/${runId}/scores.csv`, api.url), { method: "POST", headers: { authorization: `Bearer ${tokens.VIEWER}` } });
    expect(post.status).toBe(405);
  });
});

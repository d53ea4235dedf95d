import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createExternalRun, dynamicsCompleteness, openJobQueue, type JobQueue } from "@gdc/db";
import { createTestDatabase, seedDataset, seedUser, type TestDatabase } from "@gdc/db/testing";
import { startApi, type RunningApi } from "@gdc/api";
import { importDynamics } from "../src/commands/import-dynamics.ts";
import { CliError } from "../src/errors.ts";

let t: TestDatabase;
let api: RunningApi;
let queue: JobQueue;
let dir: string;
let token: string;
beforeAll(async () => {
  t = await createTestDatabase();
  queue = await openJobQueue(t.db, { pollingIntervalSeconds: 0.5 });
  api = await startApi({ db: t.db, queue }, { port: 0 });
  token = (await seedUser(t.db, "ENGINEER")).token;
  dir = await mkdtemp(join(tmpdir(), "gdc-import-dynamics-"));
});
afterAll(async () => {
  await api?.stop();
  await queue?.stop();
  await t?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** allenai/cartography's layout: training_dynamics/dynamics_epoch_{e}.jsonl, numeric guids. */
async function writeCartographyFolder(examples: number, epochs: number) {
  const folder = join(dir, `model-${examples}x${epochs}`);
  await mkdir(join(folder, "training_dynamics"), { recursive: true });
  for (let e = 0; e < epochs; e++) {
    const lines = Array.from({ length: examples }, (_, guid) =>
      JSON.stringify({ guid, [`logits_epoch_${e}`]: [((guid * 7) % 5) / 2 - e / 3, ((guid + e) % 3) / 2], gold: guid % 2 }),
    );
    await writeFile(join(folder, "training_dynamics", `dynamics_epoch_${e}.jsonl`), `${lines.join("\n")}\n`);
  }
  return folder;
}

test("the allenai/cartography layout imports as-is (guid = example key), in chunks; a repeat changes nothing; then finish", async () => {
  const { actor } = await seedUser(t.db, "ENGINEER");
  const { version } = await seedDataset(t.db, actor, { records: Array.from({ length: 23 }, (_, i) => ({ id: String(i), text: `sentence ${i}` })) });
  const run = await createExternalRun(t.db, actor, { allowDraft: true, versionId: version.id, epochs: 3 });
  const folder = await writeCartographyFolder(23, 3);
  const logs: string[] = [];
  const options = { api: api.url, token, run: run.id, chunkSize: "10", log: (m: string) => logs.push(m) };

  // Arrow (the default): 3 shards of ≤ 10 examples per epoch; each shard's cells arrive, none twice.
  const first = await importDynamics(folder, { ...options, finish: false });
  expect(first).toMatchObject({ examples: 23, epochs: 3, cells: 69, chunks: 9, accepted: 69, unchanged: 0, missing: 0, status: "RUNNING" });
  expect(await dynamicsCompleteness(t.db.prisma, run.id, 3)).toMatchObject({ missing: 0, received: 69 });
  const events = await t.db.prisma.auditEvent.count({ where: { targetId: run.id, action: "dynamics.ingest" } });
  expect(events).toBe(9);

  // The JSON path (GraphQL ingestDynamics) finds every cell already stored: the same values.
  const viaGraphql = await importDynamics(folder, { ...options, transport: "graphql", finish: false });
  expect(viaGraphql).toMatchObject({ chunks: 7, accepted: 0, unchanged: 69 });

  const again = await importDynamics(folder, { ...options, format: "cartography" });
  expect(again).toMatchObject({ accepted: 0, unchanged: 69, status: "SCORING" });
  expect(await t.db.prisma.auditEvent.count({ where: { targetId: run.id, action: "dynamics.ingest" } })).toBe(events);
  expect((await t.db.prisma.run.findUniqueOrThrow({ where: { id: run.id } })).status).toBe("SCORING");
  expect(logs.some((l) => l.includes("finished: SCORING"))).toBe(true);
});

test("a file whose epochs or keys do not match the run is refused with a clear message", async () => {
  const { actor } = await seedUser(t.db, "ENGINEER");
  const { version } = await seedDataset(t.db, actor, { records: Array.from({ length: 4 }, (_, i) => ({ id: `k${i}`, text: `t ${i}` })) });
  const run = await createExternalRun(t.db, actor, { allowDraft: true, versionId: version.id, epochs: 2 });
  const csv = join(dir, "dyn.csv");
  await writeFile(csv, "id,epoch,loss,accuracy\nk0,0,1.5,0\nk0,1,0.5,1\nnope,0,1,0\nnope,1,1,0\n");
  // The file's examples are k0 (file row 0) and nope (file row 1): the Arrow request names the row and the file's example.
  const error = await importDynamics(csv, { api: api.url, token, run: run.id, log: () => {} }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(CliError);
  expect((error as CliError).message).toMatch(/rows\[1\] \(example 1 of the file\)\.example_key: "nope" is not a training example .*\[BAD_USER_INPUT\]/);
  const viaGraphql = await importDynamics(csv, { api: api.url, token, run: run.id, transport: "graphql", log: () => {} }).catch((e: unknown) => e);
  expect((viaGraphql as CliError).message).toMatch(/cells\[2\]\.exampleKey: "nope" is not a training example .*\[BAD_USER_INPUT\]/);
  expect(await dynamicsCompleteness(t.db.prisma, run.id, 2)).toMatchObject({ received: 0 });
  await expect(importDynamics(csv, { api: api.url, token, run: run.id, transport: "carrier-pigeon", log: () => {} })).rejects.toThrow(
    /--transport: must be one of arrow, graphql/,
  );
  const threeEpochs = join(dir, "dyn3.csv");
  await writeFile(threeEpochs, "id,epoch,loss,accuracy\nk0,0,1,0\nk0,1,1,0\nk0,2,1,0\n");
  await expect(importDynamics(threeEpochs, { api: api.url, token, run: run.id, log: () => {} })).rejects.toThrow(/holds 3 epochs, but run .* records 2/);
});

test("--transport graphql keeps every request under the API's body limit: long keys split a chunk by bytes, not only by --chunk-size", async () => {
  const { actor } = await seedUser(t.db, "ENGINEER");
  // 200-character keys: ~270 bytes of JSON a cell, so 35,000 cells (~9.5 MB) exceed the 8 MB limit in one chunk.
  const keys = Array.from({ length: 3_500 }, (_, i) => `${String(i).padStart(6, "0")}-${"k".repeat(193)}`);
  const { version } = await seedDataset(t.db, actor, { records: keys.map((id, i) => ({ id, text: `long-keyed sentence ${i}` })) });
  const run = await createExternalRun(t.db, actor, { allowDraft: true, versionId: version.id, epochs: 10 });
  const csv = join(dir, "long-keys.csv");
  const lines = keys.flatMap((k, i) => Array.from({ length: 10 }, (_, e) => `${k},${e},${((i % 7) + 10 - e) / 4},${e / 10}`));
  await writeFile(csv, `id,epoch,loss,accuracy\n${lines.join("\n")}\n`);
  const summary = await importDynamics(csv, { api: api.url, token, run: run.id, transport: "graphql", chunkSize: "200000", finish: false, log: () => {} });
  expect(summary).toMatchObject({ cells: 35_000, chunks: 2, accepted: 35_000, missing: 0, retries: 0 });
  // The service's limit is the one --chunk-size limit for both transports.
  await expect(importDynamics(csv, { api: api.url, token, run: run.id, transport: "graphql", chunkSize: "200001", log: () => {} })).rejects.toThrow(
    /--chunk-size: must be an integer in \[1, 200000\] with --transport graphql/,
  );
});

// The ingest hot path's own machinery, on both stores: raw audited transactions, the cache of a
// run's key → ordinal mapping, and block writes under concurrency. (ingestDynamics' contract —
// validation, idempotency, one audit event per chunk — is covered in runs.int.test.ts.)
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  appendAuditEvent,
  auditedSqlTransaction,
  BLOCK_SIZE,
  BlockCellsBuilder,
  cancelRun,
  createExternalRun,
  DomainError,
  ingestDynamics,
  readDynamicsMatrix,
  verifyAuditChain,
  writeDynamicsBlocks,
  type Actor,
  type Database,
  type DynamicsCellInput,
  type SqlTransaction,
} from "../src/index.ts";
import { cachedRunKeyCount } from "../src/services/run-example-keys.ts";
import { createTestDatabase, seedDataset, seedUser, type TestDatabase } from "../src/testing/index.ts";

const lossOf = (ordinal: number, epoch: number) => Math.fround(1 + ordinal / 7 + epoch / 3);
const accOf = (ordinal: number, epoch: number) => ((ordinal + epoch) % 5) / 4;

describe.each(["postgres", "pglite"] as const)("on %s", (store) => {
  // Connection-level behaviour of node-postgres: registered only on a real PostgreSQL server
  // (not reported as skipped on PGlite, where there is no such connection).
  const onServerOnly = (name: string, fn: () => Promise<void>) => {
    if (store === "postgres" && process.env.DATABASE_URL) test(name, fn);
  };
  let t: TestDatabase;
  let engineer: Actor;
  beforeAll(async () => {
    // Without DATABASE_URL both are PGlite.
    t = await createTestDatabase(store === "pglite" ? { store } : {});
    engineer = (await seedUser(t.db, "ENGINEER")).actor;
  });
  afterAll(async () => t?.dispose());

  /** An external run over `examples` training examples (keys ex-0…, in key order) plus held-out ones. */
  async function externalRun(examples: number, epochs: number) {
    const records = [
      ...Array.from({ length: examples }, (_, i) => ({ id: `ex-${String(i).padStart(5, "0")}`, text: `training example ${i}` })),
      ...Array.from({ length: 3 }, (_, i) => ({ id: `held-${i}`, text: `held-out example ${i}`, split: "validation" as const })),
    ];
    const { version } = await seedDataset(t.db, engineer, { records });
    const run = await createExternalRun(t.db, engineer, { allowDraft: true, versionId: version.id, epochs, framework: "jax" });
    const keys = records.slice(0, examples).map((r) => r.id);
    return { run, keys };
  }
  const cellsFor = (keys: string[], from: number, to: number, epochs: number): DynamicsCellInput[] =>
    Array.from({ length: (to - from) * epochs }, (_, c) => {
      const ordinal = from + Math.floor(c / epochs);
      const epoch = c % epochs;
      return { exampleKey: keys[ordinal]!, epoch, loss: lossOf(ordinal, epoch), accuracy: accOf(ordinal, epoch) };
    });
  const ingestError = (db: Database, runId: string, cells: DynamicsCellInput[]) =>
    ingestDynamics(db, engineer, { runId, cells }).then(
      () => undefined,
      (e: unknown) => e as DomainError,
    );

  test("a raw transaction commits as a whole or not at all; its audit event with it", async () => {
    const name = `raw-${store}-${Date.now()}`;
    await expect(
      t.db.transaction(async (tx) => {
        await tx.sql(`INSERT INTO datasets (id, name) VALUES (gen_random_uuid(), $1)`, [name]);
        throw new Error("after the write");
      }),
    ).rejects.toThrow("after the write");
    expect(await t.db.sql(`SELECT 1 FROM datasets WHERE name = $1`, [name])).toHaveLength(0);

    // The audit insert fails (its actor id names no user): the change goes with it.
    const ghost: Actor = { userId: "00000000-0000-7000-8000-000000000000", label: "ghost", role: "ADMIN" };
    await expect(
      auditedSqlTransaction(t.db, ghost, async (tx) => {
        await tx.sql(`INSERT INTO datasets (id, name) VALUES (gen_random_uuid(), $1)`, [name]);
        return { result: null, audit: { action: "test.raw", targetType: "Dataset", targetId: name } };
      }),
    ).rejects.toThrow();
    expect(await t.db.sql(`SELECT 1 FROM datasets WHERE name = $1`, [name])).toHaveLength(0);

    const id = await auditedSqlTransaction(t.db, engineer, async (tx) => {
      const [row] = await tx.sql<{ id: string }>(`INSERT INTO datasets (id, name) VALUES (gen_random_uuid(), $1) RETURNING id`, [name]);
      return { result: row!.id, audit: { action: "test.raw", targetType: "Dataset", targetId: row!.id, after: { name, at: new Date(0), n: 0.1 } } };
    });
    const event = await t.db.prisma.auditEvent.findFirstOrThrow({ where: { targetId: id, action: "test.raw" } });
    expect(event).toMatchObject({ actorId: engineer.userId, actorLabel: engineer.label, targetType: "Dataset", before: null });
    expect(event.after).toEqual({ name, at: new Date(0).toISOString(), n: 0.1 });
  });

  onServerOnly("a raw transaction whose connection drops between statements fails alone; the pool carries on", async () => {
    const name = `dropped-${Date.now()}`;
    await expect(
      t.db.transaction(async (tx) => {
        await tx.sql(`INSERT INTO datasets (id, name) VALUES (gen_random_uuid(), $1)`, [name]);
        const [{ pid }] = (await tx.sql<{ pid: number }>(`SELECT pg_backend_pid() AS pid`)) as [{ pid: number }];
        // Ended by the server while idle in the transaction: the driver reports it as an
        // 'error' event on the checked-out client, which must not go unhandled.
        await t.db.sql(`SELECT pg_terminate_backend($1)`, [pid]);
        await new Promise((resolve) => setTimeout(resolve, 300));
        await tx.sql(`SELECT 1`);
      }),
    ).rejects.toThrow();
    expect(await t.db.sql(`SELECT 1 FROM datasets WHERE name = $1`, [name])).toHaveLength(0);
    expect(
      await Promise.all(Array.from({ length: 12 }, (_, i) => t.db.transaction(async (tx) => (await tx.sql<{ n: number }>(`SELECT $1::int AS n`, [i]))[0]!.n))),
    ).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  test("events appended on raw and Prisma transactions, concurrently, form one verifiable chain", async () => {
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        i % 2
          ? auditedSqlTransaction(t.db, engineer, async () => ({
              result: i,
              audit: { action: "test.mixed", targetType: "Test", targetId: String(i), after: { i } },
            }))
          : t.db.prisma.$transaction((tx) => appendAuditEvent(tx, engineer, { action: "test.mixed", targetType: "Test", targetId: String(i), before: { i } })),
      ),
    );
    expect(await t.db.prisma.auditEvent.count({ where: { action: "test.mixed" } })).toBe(12);
    const chain = await verifyAuditChain(t.db);
    expect(chain.ok).toBe(true);
    expect(chain.checked).toBe(await t.db.prisma.auditEvent.count());
  });

  test("keys are probed for a few cells and loaded once for many; both map alike and refuse alike", async () => {
    const N = 300;
    const T = 2;
    const { run, keys } = await externalRun(N, T);
    const refusals = async () => {
      const good = cellsFor(keys, 0, 2, T);
      for (const bad of ["nope", "held-1"]) {
        const cells = good.map((c) => ({ ...c }));
        cells[2]!.exampleKey = bad;
        const error = await ingestError(t.db, run.id, cells);
        expect(error).toBeInstanceOf(DomainError);
        expect(error!.message).toBe(`cells[2].exampleKey: "${bad}" is not a training example of run ${run.id}`);
      }
      const repeated = [...good, { ...good[1]! }];
      expect((await ingestError(t.db, run.id, repeated))!.message).toMatch(/^cells\[4\]: repeats cells\[1\] \(exampleKey "ex-00000", epoch 1\)/);
    };

    // 3 keys of 300: probed (a load pays from about 1/16 of the run).
    const small = cellsFor(keys, 297, 300, T);
    expect(await ingestDynamics(t.db, engineer, { runId: run.id, cells: small })).toEqual({ accepted: 6, unchanged: 0, received: 6, missing: N * T - 6 });
    expect(cachedRunKeyCount(t.db, run.id)).toBeUndefined();
    await refusals();

    // 40 more keys: loaded.
    expect((await ingestDynamics(t.db, engineer, { runId: run.id, cells: cellsFor(keys, 100, 140, T) })).accepted).toBe(80);
    expect(cachedRunKeyCount(t.db, run.id)).toBe(N);
    await refusals();

    // Example-major and epoch-major chunks, one crossing nothing but the cache.
    await ingestDynamics(t.db, engineer, { runId: run.id, cells: cellsFor(keys, 0, 100, T) });
    const epochMajor = cellsFor(keys, 140, 297, T).sort((a, b) => a.epoch - b.epoch);
    expect(await ingestDynamics(t.db, engineer, { runId: run.id, cells: epochMajor })).toEqual({ accepted: 314, unchanged: 0, received: 314, missing: 0 });
    expect(await ingestDynamics(t.db, engineer, { runId: run.id, cells: small })).toEqual({ accepted: 0, unchanged: 6, received: 6, missing: 0 });

    const m = await readDynamicsMatrix(t.db, run.id);
    expect(Array.from(m.loss)).toEqual(Array.from({ length: N * T }, (_, c) => lossOf(Math.floor(c / T), c % T)));
    expect(Array.from(m.acc)).toEqual(Array.from({ length: N * T }, (_, c) => accOf(Math.floor(c / T), c % T)));
    expect(await t.db.prisma.auditEvent.count({ where: { targetId: run.id, action: "dynamics.ingest" } })).toBe(4); // the repeated small chunk changed nothing: no event
  });

  test("concurrent chunks wait for one load of the run's keys; a run that stops taking dynamics drops it", async () => {
    const N = 200;
    const T = 3;
    const { run, keys } = await externalRun(N, T);
    let loads = 0;
    // Same store, counted statements (the cache is per handle, so this one starts empty).
    const counted: Database = {
      ...t.db,
      transaction: (work) =>
        t.db.transaction((tx) =>
          work({
            sql: (text: string, params?: unknown[]) => {
              if (text.includes("json_agg(e.key)")) loads++;
              return tx.sql(text, params);
            },
          } as SqlTransaction),
        ),
    };
    const results = await Promise.all(
      [0, 50, 100, 150].map((from) => ingestDynamics(counted, engineer, { runId: run.id, cells: cellsFor(keys, from, from + 50, T) })),
    );
    expect(results.map((r) => r.accepted)).toEqual([150, 150, 150, 150]);
    expect(loads).toBe(1);
    expect(cachedRunKeyCount(counted, run.id)).toBe(N);
    expect((await readDynamicsMatrix(t.db, run.id)).loss[3 * (N - 1) + 2]).toBe(lossOf(N - 1, 2));

    await cancelRun(t.db, engineer, { runId: run.id });
    expect(await ingestError(counted, run.id, cellsFor(keys, 0, 1, T))).toMatchObject({ code: "CONFLICT" });
    expect(cachedRunKeyCount(counted, run.id)).toBeUndefined();
  });

  onServerOnly("while a run's keys load, a small chunk is probed instead of waiting", async () => {
    const N = 200;
    const T = 2;
    const { run, keys } = await externalRun(N, T);
    let loads = 0;
    let probes = 0;
    let loadStarted!: () => void;
    const loading = new Promise<void>((resolve) => (loadStarted = resolve));
    let releaseLoad!: () => void;
    const loadMayRun = new Promise<void>((resolve) => (releaseLoad = resolve));
    const slow: Database = {
      ...t.db,
      transaction: (work) =>
        t.db.transaction((tx) =>
          work({
            sql: async (text: string, params?: unknown[]) => {
              if (text.includes("json_agg(e.key)")) {
                loads++;
                loadStarted();
                await loadMayRun;
              }
              if (text.includes("unnest($1::text[])")) probes++;
              return tx.sql(text, params);
            },
          } as SqlTransaction),
        ),
    };
    let bigDone = false;
    const big = ingestDynamics(slow, engineer, { runId: run.id, cells: cellsFor(keys, 0, 100, T) }).then((r) => ((bigDone = true), r));
    await loading;
    // 3 keys of 200 would not pay for a load: probed while the load is held back.
    expect(await ingestDynamics(slow, engineer, { runId: run.id, cells: cellsFor(keys, 197, 200, T) })).toMatchObject({ accepted: 6, unchanged: 0 });
    expect([bigDone, probes, loads]).toEqual([false, 1, 1]);
    releaseLoad();
    expect((await big).accepted).toBe(200);
    // Loaded now: a chunk of any size maps from the cache.
    expect((await ingestDynamics(slow, engineer, { runId: run.id, cells: cellsFor(keys, 100, 101, T) })).accepted).toBe(2);
    expect([probes, loads, cachedRunKeyCount(slow, run.id)]).toEqual([1, 1, N]);
  });

  test("columns (the bulk endpoint's input) store what cells store, refuse alike, and a known key column (keysDigest) maps alike", async () => {
    const N = 50;
    const T = 2;
    const { run, keys } = await externalRun(N, T);
    const column = (epoch: number, order: string[]) => ({
      exampleKey: order,
      epoch,
      loss: Float32Array.from(order, (k) => lossOf(keys.indexOf(k), epoch)),
      accuracy: Float32Array.from(order, (k) => accOf(keys.indexOf(k), epoch)),
    });
    const bad = { ...column(0, keys), loss: Float32Array.from(column(0, keys).loss, (l, i) => (i === 7 ? -1 : l)) };
    await expect(ingestDynamics(t.db, engineer, { runId: run.id, columns: bad })).rejects.toThrow("cells[7].loss: must be ≥ 0 (a cross-entropy), got -1");
    await expect(ingestDynamics(t.db, engineer, { runId: run.id, columns: { ...column(0, keys), accuracy: new Float32Array(3) } })).rejects.toThrow(
      /columns of different lengths/,
    );
    await expect(
      ingestDynamics(t.db, engineer, {
        runId: run.id,
        columns: { ...column(0, keys), exampleKey: keys.map((k, i) => (i === 9 ? "nope" : k)), keysDigest: "d-nope" },
      }),
    ).rejects.toThrow(`cells[9].exampleKey: "nope" is not a training example of run ${run.id}`);
    // A digest is remembered only for a column whose every key mapped: the same digest with good keys maps them.
    expect(await ingestDynamics(t.db, engineer, { runId: run.id, columns: { ...column(0, keys), keysDigest: "d-nope" } })).toMatchObject({ accepted: N });
    expect(await ingestDynamics(t.db, engineer, { runId: run.id, columns: { ...column(1, keys), keysDigest: "d-nope" } })).toMatchObject({
      accepted: N,
      missing: 0,
    });
    // A repeated cell is refused with a digest as without one (and its column is not remembered).
    const twice = { ...column(1, keys), exampleKey: keys.map((k, i) => (i === 4 ? keys[3]! : k)), keysDigest: "d-twice" };
    await expect(ingestDynamics(t.db, engineer, { runId: run.id, columns: twice })).rejects.toThrow(/cells\[4\]: repeats cells\[3\]/);

    const viaCells = await externalRun(N, T);
    await ingestDynamics(t.db, engineer, { runId: viaCells.run.id, cells: cellsFor(viaCells.keys, 0, N, T) });
    const [a, b] = [await readDynamicsMatrix(t.db, viaCells.run.id), await readDynamicsMatrix(t.db, run.id)];
    expect(Buffer.from(b.loss.buffer)).toEqual(Buffer.from(a.loss.buffer));
    expect(Buffer.from(b.acc.buffer)).toEqual(Buffer.from(a.acc.buffer));
  });

  test("concurrent writers of overlapping blocks neither deadlock nor lose cells", async () => {
    const N = BLOCK_SIZE * 2 + 100;
    const T = 2;
    const { version } = await seedDataset(t.db, engineer, { examples: 1 });
    // Eight writers over overlapping ordinal ranges, most touching several blocks of both
    // epochs, some starting on blocks that others create; each given its cells in another order.
    const ranges: [number, number][] = [
      [0, N],
      [BLOCK_SIZE - 50, 2 * BLOCK_SIZE + 50],
      [2 * BLOCK_SIZE, N],
      [10, BLOCK_SIZE + 10],
      [BLOCK_SIZE * 2 - 1, BLOCK_SIZE * 2 + 1],
      [500, N - 500],
      [N - 1, N],
      [0, 2 * BLOCK_SIZE],
    ];
    for (let round = 0; round < 3; round++) {
      const run = await t.db.prisma.run.create({ data: { versionId: version.id, kind: "EXTERNAL", status: "RUNNING", epochs: T } });
      await t.db.sql(`INSERT INTO run_examples (run_id, ordinal, example_id) SELECT $1, g, gen_random_uuid() FROM generate_series(0, $2 - 1) g`, [run.id, N]);
      const write = ([from, to]: [number, number], w: number) => {
        const builder = new BlockCellsBuilder(N);
        const backwards = (w + round) % 2 === 1;
        for (let k = from; k < to; k++) {
          const o = backwards ? from + to - 1 - k : k;
          for (let e = 0; e < T; e++) builder.set(o, backwards ? T - 1 - e : e, lossOf(o, backwards ? T - 1 - e : e), accOf(o, backwards ? T - 1 - e : e));
        }
        return t.db.transaction((tx) => writeDynamicsBlocks(tx, run.id, builder.sorted()));
      };
      const results = await Promise.all(ranges.map(write));
      const sent = ranges.reduce((n, [from, to]) => n + (to - from) * T, 0);
      expect(results.reduce((n, r) => n + r.accepted, 0)).toBe(N * T);
      expect(results.reduce((n, r) => n + r.unchanged, 0)).toBe(sent - N * T);
      const m = await readDynamicsMatrix(t.db, run.id);
      expect(Array.from(m.loss)).toEqual(Array.from({ length: N * T }, (_, c) => lossOf(Math.floor(c / T), c % T)));
      const blocks = await t.db.sql<{ filled: number; bytes: number }>(`SELECT filled, length(loss) AS bytes FROM dynamics_blocks WHERE run_id = $1`, [run.id]);
      expect(blocks).toHaveLength(3 * T);
      expect(blocks.every((b) => b.filled * 4 === b.bytes)).toBe(true);
    }
  });
});

// The API's hot read paths on the raw driver, checked against the Prisma client and the
// slower reference queries they replace: findRun, authenticateToken, readDataMapColumns.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  authenticateToken,
  TOKEN_LAST_USED_RESOLUTION_SECONDS,
  createExternalRun,
  dataMapVersion,
  findRun,
  finishRun,
  ingestDynamics,
  queryDataMap,
  readDataMapColumns,
  revokeApiToken,
  scoreRun,
  startRun,
  systemActor,
  type Actor,
} from "../src/index.ts";
import { createTestDatabase, RecordingQueue, seedDataset, seedUser, type TestDatabase } from "../src/testing/index.ts";

let t: TestDatabase;
let engineer: Actor;
beforeAll(async () => {
  t = await createTestDatabase();
  engineer = (await seedUser(t.db, "ENGINEER")).actor;
});
afterAll(async () => t?.dispose());

async function scoredRun(examples: number, canaries: number, epochs = 4) {
  const { version } = await seedDataset(t.db, engineer, { examples, canaries });
  const run = await createExternalRun(t.db, engineer, { allowDraft: true, versionId: version.id, epochs, framework: "pytorch" });
  const keys = (
    await t.db.sql<{ key: string }>(`SELECT e.key FROM run_examples re JOIN examples e ON e.id = re.example_id WHERE re.run_id = $1 ORDER BY re.ordinal`, [
      run.id,
    ])
  ).map((r) => r.key);
  const cells = keys.flatMap((exampleKey, i) =>
    Array.from({ length: epochs }, (_, epoch) => {
      const loss = Math.fround(((i * 13) % 7) / 3 + (epoch % 2 === 1 && i % 3 === 0 ? 1.7 : 0) + 1 / (epoch + 1));
      return { exampleKey, epoch, loss, accuracy: loss < 1 ? 1 : 0 };
    }),
  );
  await ingestDynamics(t.db, engineer, { runId: run.id, cells });
  await finishRun(t.db, new RecordingQueue(), engineer, { runId: run.id });
  await scoreRun(t.db, systemActor("worker"), { runId: run.id });
  return run.id;
}

describe("findRun", () => {
  test("returns exactly what prisma.run.findUnique returns, for tracked, external and scored runs", async () => {
    const { version } = await seedDataset(t.db, engineer, { examples: 5 });
    const tracked = await startRun(t.db, new RecordingQueue(), engineer, {
      allowDraft: true,
      versionId: version.id,
      epochs: 3,
      seed: 11,
      scoringConfig: { qMemorization: 0.8 },
    });
    // Every nullable column filled in, as a training run in progress has them.
    await t.db.sql(
      `UPDATE runs SET backend = 'wasm', progress_epoch = 1, progress_step = 3, progress_steps = 5, examples_per_sec = 123.5, eta_seconds = 7.25,
              heartbeat_at = now(), started_at = now(), error = 'none', metrics = '{"perplexity": 3.5}' WHERE id = $1`,
      [tracked.id],
    );
    const scored = await scoredRun(8, 1);
    const external = await createExternalRun(t.db, engineer, { allowDraft: true, versionId: version.id, epochs: 2, framework: "jax" });
    for (const id of [tracked.id, scored, external.id]) {
      const expected = await t.db.prisma.run.findUnique({ where: { id } });
      expect(await findRun(t.db, id)).toEqual(expected);
    }
    expect(await findRun(t.db, "00000000-0000-4000-8000-000000000000")).toBeNull();
  });

  test("a malformed id fails as invalid input (22P02), as with the Prisma client", async () => {
    await expect(findRun(t.db, "not-a-uuid")).rejects.toMatchObject({ code: "22P02" });
  });
});

describe("authenticateToken", () => {
  test("finds the token's user; unknown and revoked tokens are nobody", async () => {
    const { user, token } = await seedUser(t.db, "REVIEWER");
    const apiToken = await t.db.prisma.apiToken.findFirstOrThrow({ where: { userId: user.id } });
    expect(await authenticateToken(t.db, token)).toEqual({ id: user.id, email: user.email, name: user.name, role: "REVIEWER" });
    expect(await authenticateToken(t.db, `${token}x`)).toBeNull();
    await revokeApiToken(t.db, systemActor("test"), { tokenId: apiToken.id });
    expect(await authenticateToken(t.db, token)).toBeNull();
  });

  test("records when the token was last used, writing at most once per resolution interval, never for a revoked token", async () => {
    const { user, token } = await seedUser(t.db, "VIEWER");
    const { id } = await t.db.prisma.apiToken.findFirstOrThrow({ where: { userId: user.id } });
    const lastUsed = async () => (await t.db.prisma.apiToken.findUniqueOrThrow({ where: { id } })).lastUsedAt;
    const setLastUsed = (secondsAgo: number) =>
      t.db.sql(`UPDATE api_tokens SET last_used_at = now() - make_interval(secs => $2) WHERE id = $1`, [id, secondsAgo]);
    expect(await lastUsed()).toBeNull();

    const before = Date.now();
    await authenticateToken(t.db, token);
    const first = await lastUsed();
    expect(first).not.toBeNull();
    expect(Math.abs(first!.getTime() - before)).toBeLessThan(60_000);

    // Within the resolution: left as it is.
    await setLastUsed(TOKEN_LAST_USED_RESOLUTION_SECONDS / 2);
    const recent = await lastUsed();
    await authenticateToken(t.db, token);
    expect(await lastUsed()).toEqual(recent);

    // Older than the resolution: moved to now.
    await setLastUsed(TOKEN_LAST_USED_RESOLUTION_SECONDS * 2);
    const stale = await lastUsed();
    await authenticateToken(t.db, token);
    expect((await lastUsed())!.getTime()).toBeGreaterThan(stale!.getTime() + TOKEN_LAST_USED_RESOLUTION_SECONDS * 1000);

    // A wrong or revoked token records nothing.
    await setLastUsed(TOKEN_LAST_USED_RESOLUTION_SECONDS * 2);
    const old = await lastUsed();
    await authenticateToken(t.db, `${token}x`);
    await revokeApiToken(t.db, systemActor("test"), { tokenId: id });
    expect(await authenticateToken(t.db, token)).toBeNull();
    expect(await lastUsed()).toEqual(old);
  });
});

describe("readDataMapColumns", () => {
  test("holds the GraphQL data map's points as float32 columns, and its version moves when the run is re-scored", async () => {
    const runId = await scoredRun(40, 3);
    const columns = (await readDataMapColumns(t.db, runId))!;
    const map = (await queryDataMap(t.db, runId))!;
    expect(columns.count).toBe(43);
    expect(columns.ids).toEqual(map.ids);
    expect(Array.from(columns.difficulty)).toEqual(map.difficulty.map(Math.fround));
    expect(Array.from(columns.memorization)).toEqual(map.memorization.map(Math.fround));
    expect(Array.from(columns.quadrant)).toEqual(map.quadrant);
    expect(Array.from(columns.isCanary, (b) => b === 1)).toEqual(map.isCanary);
    expect(columns.thresholds).toEqual(map.thresholds);
    // Ordinal order, exactly as stored.
    const stored = await t.db.prisma.exampleScore.findMany({ where: { runId }, orderBy: { ordinal: "asc" } });
    expect(columns.ids).toEqual(stored.map((s) => s.exampleId));
    expect(Array.from(columns.difficulty)).toEqual(stored.map((s) => Math.fround(s.difficulty)));

    expect(await dataMapVersion(t.db, runId)).toBe(columns.version);
    await scoreRun(t.db, systemActor("worker"), { runId });
    const rescored = await dataMapVersion(t.db, runId);
    expect(rescored).not.toBe(columns.version);
    expect((await readDataMapColumns(t.db, runId))!.version).toBe(rescored);
    expect(await dataMapVersion(t.db, "00000000-0000-4000-8000-000000000000")).toBeNull();
  });

  test("a run without scores has no data map", async () => {
    const { version } = await seedDataset(t.db, engineer, { examples: 3 });
    const run = await createExternalRun(t.db, engineer, { allowDraft: true, versionId: version.id, epochs: 2, framework: "jax" });
    expect(await readDataMapColumns(t.db, run.id)).toBeNull();
    expect(await dataMapVersion(t.db, run.id)).not.toBeNull();
  });
});

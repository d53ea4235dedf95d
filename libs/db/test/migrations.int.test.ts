// The offline migration path (libs/db/engine): the stock Prisma CLI through our wasm bridge, on a
// PostgreSQL server and on a PGlite folder, and the in-process migrateDeploy().
// Real migrations (prisma/migrations) are only read; `migrate dev` runs on a temp project.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateDeploy } from "../src/migrate.ts";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const bridge = path.join(repo, "libs/db/engine/schema-engine.mjs");
const serverUrl = process.env.DATABASE_URL || "postgresql://postgres@127.0.0.1:5432/postgres";
const realMigrations = fs
  .readdirSync(path.join(repo, "prisma/migrations"), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

let tmp: string;
const scratchDatabases: string[] = [];

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gdc-migrations-"));
});
afterAll(async () => {
  for (const name of scratchDatabases) await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function admin(sql: string) {
  return query(serverUrl, sql);
}

async function query<Row = Record<string, unknown>>(url: string, sql: string): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

/** A name for a throwaway database on the server (dropped after the file); `create` makes it. */
async function scratchDatabase(create = true): Promise<string> {
  const name = `gdc_bridge_${randomBytes(4).toString("hex")}`;
  scratchDatabases.push(name);
  if (create) await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.href;
}

/** `npx prisma …` from the repo root; never throws, returns exit code and all output. */
function prisma(args: string[], env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile("npx", ["prisma", ...args], { cwd: repo, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}\n${stderr}` });
    });
  });
}

/** The bridge closes PGlite after the CLI has moved on: wait for its lock before opening the folder. */
async function openFolder(dir: string): Promise<PGlite> {
  for (let i = 0; i < 100 && fs.existsSync(path.join(dir, "gdc.lock")); i++) await new Promise((r) => setTimeout(r, 100));
  expect(fs.existsSync(path.join(dir, "gdc.lock"))).toBe(false);
  return PGlite.create(dir);
}

type MigrationRow = { migration_name: string; finished_at: Date | null; rolled_back_at: Date | null };
const bookkeeping = `SELECT migration_name, finished_at, rolled_back_at FROM _prisma_migrations ORDER BY migration_name`;
const appliedNames = (rows: MigrationRow[]) => rows.filter((r) => r.finished_at && !r.rolled_back_at).map((r) => r.migration_name);

/** Config of the temp projects (paths relative to it); the bridge comes from the environment. */
const tempConfig = `export default {
  schema: "schema.prisma",
  migrations: { path: "migrations" },
  datasource: { url: process.env.DATABASE_URL },
};
`;

describe("prisma migrate deploy / status (repo prisma.config.ts)", () => {
  it("applies the committed migrations on PostgreSQL, then reports the schema up to date", async () => {
    const url = await scratchDatabase();
    const deploy = await prisma(["migrate", "deploy"], { DATABASE_URL: url });
    expect(deploy.output).toContain("All migrations have been successfully applied.");
    expect(deploy.code).toBe(0);
    const status = await prisma(["migrate", "status"], { DATABASE_URL: url });
    expect(status.output).toContain("Database schema is up to date!");
    expect(appliedNames(await query<MigrationRow>(url, bookkeeping))).toEqual(realMigrations);
  });

  it("applies the committed migrations on a PGlite folder, then reports the schema up to date", async () => {
    const env = { DATABASE_URL: "", GDC_DATA_DIR: path.join(tmp, "pgdata") };
    const deploy = await prisma(["migrate", "deploy"], env);
    expect(deploy.output).toContain("All migrations have been successfully applied.");
    expect(deploy.code).toBe(0);
    const status = await prisma(["migrate", "status"], env);
    expect(status.output).toContain("Database schema is up to date!");
    const db = await openFolder(env.GDC_DATA_DIR);
    try {
      expect(appliedNames((await db.query<MigrationRow>(bookkeeping)).rows)).toEqual(realMigrations);
    } finally {
      await db.close();
    }
  });
});

describe("migrateDeploy()", () => {
  it("migrates an in-memory PGlite: tables exist, a second run applies nothing", async () => {
    const db = await PGlite.create();
    try {
      expect((await migrateDeploy({ pglite: db })).applied).toEqual(realMigrations);
      const tables = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`,
      );
      expect(tables.rows[0]!.n).toBeGreaterThan(0);
      expect(appliedNames((await db.query<MigrationRow>(bookkeeping)).rows)).toEqual(realMigrations);
      expect((await migrateDeploy({ pglite: db })).applied).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it("keeps the CLI's bookkeeping: prisma migrate status agrees afterwards (PostgreSQL)", async () => {
    const url = await scratchDatabase();
    expect((await migrateDeploy({ connectionString: url })).applied).toEqual(realMigrations);
    const status = await prisma(["migrate", "status"], { DATABASE_URL: url });
    expect(status.output).toContain("Database schema is up to date!");
  });
});

describe("the example_score_signals migration", () => {
  // Runs scored before it stored memorization = forget frequency and no memorizationSignal.
  it("keeps what earlier runs recorded: forget_frequency from memorization, the other signals NULL, memorizationSignal forgetFrequency", async () => {
    const signals = realMigrations.findIndex((name) => name.endsWith("_example_score_signals"));
    expect(signals).toBeGreaterThan(0);
    const before = path.join(tmp, "before-signals");
    for (const name of realMigrations.slice(0, signals)) fs.cpSync(path.join(repo, "prisma/migrations", name), path.join(before, name), { recursive: true });
    const db = await PGlite.create();
    try {
      await migrateDeploy({ pglite: db }, { migrationsDir: before });
      await db.exec(`
        INSERT INTO datasets (id, name) VALUES ('00000000-0000-7000-8000-000000000001', 'd');
        INSERT INTO dataset_versions (id, dataset_id, number) VALUES ('00000000-0000-7000-8000-000000000002', '00000000-0000-7000-8000-000000000001', 1);
        INSERT INTO examples (id, dataset_id, key, content_hash, text) VALUES
          ('00000000-0000-7000-8000-000000000003', '00000000-0000-7000-8000-000000000001', 'a', 'ha', 'a'),
          ('00000000-0000-7000-8000-000000000004', '00000000-0000-7000-8000-000000000001', 'b', 'hb', 'b');
        INSERT INTO runs (id, version_id, kind, status, epochs, scoring_resolved) VALUES
          ('00000000-0000-7000-8000-000000000005', '00000000-0000-7000-8000-000000000002', 'EXTERNAL', 'SUCCEEDED', 4, '{"learnedBy": "loss", "epsilon": 0.5, "earlyEpochs": 1}'),
          ('00000000-0000-7000-8000-000000000006', '00000000-0000-7000-8000-000000000002', 'EXTERNAL', 'QUEUED', 4, NULL);
        INSERT INTO example_scores (run_id, example_id, ordinal, difficulty, memorization, forget_events, never_learned, confidence, variability, correctness, quadrant) VALUES
          ('00000000-0000-7000-8000-000000000005', '00000000-0000-7000-8000-000000000003', 0, 1.5, 0.5, 2, false, 0.5, 0.1, 0.5, 'HOTSPOT_MEMORIZED'),
          ('00000000-0000-7000-8000-000000000005', '00000000-0000-7000-8000-000000000004', 1, 0.5, 0, 0, false, 0.9, 0, 1, 'STABLE_EASY');
      `);
      expect((await migrateDeploy({ pglite: db })).applied).toEqual(realMigrations.slice(signals));
      const scores = await db.query(
        `SELECT memorization, forget_frequency, loss_drop, relative_loss_drop, excess_loss_drop, accuracy_gain, mean_loss FROM example_scores ORDER BY ordinal`,
      );
      // Signals that need the dynamics stay NULL until the run is scored again (the later
      // excess_loss_drop migration likewise).
      expect(scores.rows).toEqual([
        { memorization: 0.5, forget_frequency: 0.5, loss_drop: null, relative_loss_drop: null, excess_loss_drop: null, accuracy_gain: null, mean_loss: null },
        { memorization: 0, forget_frequency: 0, loss_drop: null, relative_loss_drop: null, excess_loss_drop: null, accuracy_gain: null, mean_loss: null },
      ]);
      const runs = await db.query<{ resolved: unknown }>(`SELECT scoring_resolved AS resolved FROM runs ORDER BY id`);
      expect(runs.rows.map((r) => r.resolved)).toEqual([
        { learnedBy: "loss", epsilon: 0.5, earlyEpochs: 1, memorizationSignal: "forgetFrequency", learnedBySource: "configured" },
        null,
      ]);
    } finally {
      await db.close();
    }
  });
});

describe("a failing migration", () => {
  // The good migration has ";" inside string literals: it only passes if scripts are sent whole.
  let migrationsDir: string;
  beforeAll(() => {
    migrationsDir = path.join(tmp, "failing/migrations");
    const write = (name: string, sql: string) => {
      fs.mkdirSync(path.join(migrationsDir, name), { recursive: true });
      fs.writeFileSync(path.join(migrationsDir, name, "migration.sql"), sql);
    };
    write("20240101000000_good", `CREATE TABLE good (v text DEFAULT 'a;b');\nINSERT INTO good VALUES ('x;y');\n`);
    write("20240102000000_bad", `CREATE TABLE half_done (id int);\nSELECT 1 / 0;\n`);
    fs.writeFileSync(path.join(tmp, "failing/schema.prisma"), `datasource db {\n  provider = "postgresql"\n}\n`);
    fs.writeFileSync(path.join(tmp, "failing/prisma.config.mjs"), tempConfig);
  });

  const expectFailedNotApplied = (rows: MigrationRow[]) => {
    expect(appliedNames(rows)).toEqual(["20240101000000_good"]);
    expect(rows.find((r) => r.migration_name === "20240102000000_bad")?.finished_at).toBeNull();
  };

  it("is recorded as failed, not applied, and leaves nothing behind (CLI on PostgreSQL)", async () => {
    const url = await scratchDatabase();
    const env = { DATABASE_URL: url, PRISMA_SCHEMA_ENGINE_BINARY: bridge };
    const config = ["--config", path.join(tmp, "failing/prisma.config.mjs")];
    const deploy = await prisma(["migrate", "deploy", ...config], env);
    expect(deploy.code).not.toBe(0);
    expect(deploy.output).toContain("division by zero");
    expectFailedNotApplied(await query<MigrationRow>(url, bookkeeping));
    expect(await query(url, `SELECT to_regclass('half_done') AS t`)).toEqual([{ t: null }]);
    expect(await query(url, `SELECT v FROM good`)).toEqual([{ v: "x;y" }]);
    const status = await prisma(["migrate", "status", ...config], env);
    expect(status.code).not.toBe(0);
    expect(status.output).toContain("20240102000000_bad");
  });

  it("is recorded as failed, not applied (migrateDeploy on PGlite)", async () => {
    const db = await PGlite.create();
    try {
      await expect(migrateDeploy({ pglite: db }, { migrationsDir })).rejects.toThrow(/division by zero/);
      expectFailedNotApplied((await db.query<MigrationRow>(bookkeeping)).rows);
      expect((await db.query(`SELECT to_regclass('half_done') AS t`)).rows).toEqual([{ t: null }]);
    } finally {
      await db.close();
    }
  });
});

// `migrate dev` on a temp project: creates migrations with a shadow database, which must never
// be the main one (a shadow reset would wipe it).
const schemaV1 = `datasource db {
  provider = "postgresql"
}

model Author {
  id    Int    @id @default(autoincrement())
  name  String
  notes Note[]
}

model Note {
  id        Int      @id @default(autoincrement())
  body      String   @default("a;b 'c'")
  tags      String[]
  authorId  Int
  author    Author   @relation(fields: [authorId], references: [id], onDelete: Cascade)
  createdAt DateTime @default(now()) @db.Timestamptz(3)

  @@index([authorId])
}
`;
const schemaV2 = `${schemaV1}
enum Kind {
  IDEA
  TODO
}

model Tag {
  id   Int    @id @default(autoincrement())
  kind Kind   @default(IDEA)
  name String @unique
}
`;

describe("prisma migrate dev (temp project)", () => {
  async function devCycle(name: string, env: Record<string, string>, seed: () => Promise<void>, count: () => Promise<number>) {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "prisma.config.mjs"), tempConfig);
    fs.writeFileSync(path.join(dir, "schema.prisma"), schemaV1);
    const run = (...args: string[]) =>
      prisma(["migrate", "dev", "--config", path.join(dir, "prisma.config.mjs"), ...args], { ...env, PRISMA_SCHEMA_ENGINE_BINARY: bridge });

    const first = await run("--name", "init");
    expect(first.output).toContain("Your database is now in sync with your schema.");
    await seed();

    fs.writeFileSync(path.join(dir, "schema.prisma"), schemaV2);
    const second = await run("--name", "tags");
    expect(second.output).toContain("Your database is now in sync with your schema.");
    const created = fs.readdirSync(path.join(dir, "migrations")).filter((f) => f !== "migration_lock.toml");
    expect(created.map((f) => f.replace(/^\d+_/, ""))).toEqual(["init", "tags"]);
    expect(fs.readFileSync(path.join(dir, "migrations", created[1]!, "migration.sql"), "utf8")).toContain('CREATE TABLE "Tag"');

    // Introspection round-trips (incl. the "char" catalog columns): nothing left to migrate.
    const third = await run();
    expect(third.output).toContain("Already in sync");
    expect(await count()).toBe(1); // the seeded row survived both shadow-database runs
  }

  it("on PostgreSQL: creates the database, then migrations; the main database keeps its data", async () => {
    const url = await scratchDatabase(false); // migrate dev creates it
    await devCycle(
      "dev-pg",
      { DATABASE_URL: url },
      () => query(url, `INSERT INTO "Author" (name) VALUES ('kept')`).then(() => undefined),
      async () => (await query<{ n: number }>(url, `SELECT count(*)::int AS n FROM "Author" WHERE name = 'kept'`))[0]!.n,
    );
    const dbName = new URL(url).pathname.slice(1);
    expect(await admin(`SELECT datname FROM pg_database WHERE datname LIKE '${dbName}_shadow_%'`)).toEqual([]);
  });

  it("on a PGlite folder: shadow databases are in memory; the folder keeps its data", async () => {
    const dataDir = path.join(tmp, "dev-pglite-data");
    const withFolder = async <T>(fn: (db: PGlite) => Promise<T>) => {
      const db = await openFolder(dataDir);
      try {
        return await fn(db);
      } finally {
        await db.close();
      }
    };
    await devCycle(
      "dev-pglite",
      { DATABASE_URL: `postgresql://pglite/gdc?dir=${encodeURIComponent(dataDir)}` },
      () => withFolder((db) => db.query(`INSERT INTO "Author" (name) VALUES ('kept')`).then(() => undefined)),
      () => withFolder(async (db) => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Author" WHERE name = 'kept'`)).rows[0]!.n),
    );
  });
});

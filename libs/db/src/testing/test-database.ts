import { randomBytes } from "node:crypto";
import pg from "pg";
import { openDatabase, migrationNames, type Database } from "../database.ts";
import { migrateDeploy } from "../migrate.ts";

export interface TestDatabase {
  db: Database;
  /** Drops the throwaway database (PostgreSQL) or discards the in-memory store (PGlite). */
  dispose(): Promise<void>;
}

/**
 * A fresh, migrated database for one test file.
 * - With DATABASE_URL (CI, and any machine with PostgreSQL): a new database on that server,
 *   cloned from a migrated template (fast: CREATE DATABASE … TEMPLATE).
 * - Without: an in-memory PGlite, migrated (~2 s).
 * `store: "pglite"` forces the embedded path, for tests of that path.
 */
export async function createTestDatabase(options: { store?: "postgres" | "pglite" } = {}): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (options.store === "pglite" || !serverUrl) {
    const db = await openDatabase({ databaseUrl: null, dataDir: "memory://", migrate: true });
    return { db, dispose: () => db.close() };
  }
  const template = await ensureTemplate(serverUrl);
  const name = `gdc_t_${randomBytes(6).toString("hex")}`;
  await withAdmin(serverUrl, (c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
  const url = withDatabase(serverUrl, name);
  const db = await openDatabase({ databaseUrl: url });
  return {
    db,
    async dispose() {
      await db.close();
      await withAdmin(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function withAdmin<T>(serverUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(serverUrl, "postgres") });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** One migrated template per set of migrations, created once and shared by every test file. */
async function ensureTemplate(serverUrl: string): Promise<string> {
  const names = migrationNames();
  const tag = (names.at(-1) ?? "none")
    .replace(/[^a-z0-9]/gi, "")
    .slice(0, 24)
    .toLowerCase();
  const template = `gdc_tpl_${names.length}_${tag}`;
  return withAdmin(serverUrl, async (c) => {
    await c.query("SELECT pg_advisory_lock(4242)");
    try {
      const found = await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [template]);
      if (found.rowCount === 0) {
        const building = `${template}_building`;
        await c.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
        await c.query(`CREATE DATABASE ${building}`);
        await migrateDeploy({ connectionString: withDatabase(serverUrl, building) });
        await c.query(`ALTER DATABASE ${building} RENAME TO ${template}`);
      }
      return template;
    } finally {
      await c.query("SELECT pg_advisory_unlock(4242)");
    }
  });
}

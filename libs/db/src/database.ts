import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient } from "./generated/prisma/client.ts";
import { readEnv, repoRoot } from "./env.ts";
import { migrateDeploy } from "./migrate.ts";

/** One connection inside a transaction (see Database.transaction): raw parameterised statements. */
export interface SqlTransaction {
  sql<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
}

/**
 * The one handle to the store. `prisma` for everything; `sql` and `transaction` for the few hot
 * paths that want the raw driver (bulk dynamics, data map). With a real PostgreSQL,
 * `connectionString` is what the job queue (pg-boss) connects with; the embedded store has none.
 */
export interface Database {
  readonly kind: "postgres" | "pglite";
  readonly prisma: PrismaClient;
  readonly connectionString: string | undefined;
  /**
   * Raw parameterised query on the driver (outside any Prisma transaction). `prepare`: a
   * named prepared statement on PostgreSQL (planned once per connection, not per call) for
   * statements every API request runs; the text must not vary per call.
   */
  sql<Row = Record<string, unknown>>(text: string, params?: unknown[], options?: { prepare?: boolean }): Promise<Row[]>;
  /**
   * Runs `work` in one transaction on one raw driver connection (READ COMMITTED, as Prisma's):
   * COMMIT when it resolves, ROLLBACK when it throws. Without Prisma's per-statement cost, and
   * `Buffer` parameters travel as binary.
   */
  transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** What a raw transaction may stay idle for (waiting on its caller) before the server ends it. */
const RAW_TRANSACTION_IDLE_MS = 120_000;

export interface OpenDatabaseOptions {
  /** postgresql://… ; default: DATABASE_URL. Pass `null` to force the embedded store. */
  databaseUrl?: string | null;
  /** Embedded store folder; default GDC_DATA_DIR or <repo>/.gdc/pgdata. "memory://" for a throwaway one. */
  dataDir?: string;
  /** Apply pending migrations on open (embedded default: yes; postgres default: no, deploys run `prisma migrate deploy`). */
  migrate?: boolean;
  /** Told about slow first-use steps (creating and migrating the embedded store). */
  onStep?: (message: string) => void;
}

export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  const env = readEnv();
  const databaseUrl = options.databaseUrl === undefined ? env.databaseUrl : options.databaseUrl;
  if (databaseUrl) return openPostgres(databaseUrl, options);
  return openEmbedded(options.dataDir ?? env.dataDir, options);
}

async function openPostgres(connectionString: string, options: OpenDatabaseOptions): Promise<Database> {
  if (options.migrate) await migrateDeploy({ connectionString });
  // JIT compilation costs ~300 ms on data-map-sized queries and never pays off for this
  // workload's short statements.
  const pool = new pg.Pool({ connectionString, max: 10, options: "-c jit=off" });
  // An idle client whose server connection drops (restart, DROP DATABASE … FORCE) must not
  // crash the process: the pool replaces it on the next query.
  pool.on("error", () => {});
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    kind: "postgres",
    prisma,
    connectionString,
    async sql(text, params = [], options) {
      const result = options?.prepare ? await pool.query({ name: statementName(text), text, values: params as unknown[] }) : await pool.query(text, params as unknown[]);
      return result.rows;
    },
    async transaction(work) {
      const client = await pool.connect();
      let broken: Error | undefined;
      // A checked-out client has no error listener of the pool's: a connection that drops
      // between statements (server restart, the idle limit below) would otherwise be an
      // unhandled 'error' event. Its next statement fails, and it is discarded on release.
      const onError = (err: Error) => {
        broken = err;
      };
      client.on("error", onError);
      try {
        // One round trip; the idle limit is a backstop against a caller that never finishes
        // (Prisma's interactive transactions have a timeout for the same reason).
        await client.query(`BEGIN; SET LOCAL idle_in_transaction_session_timeout = ${RAW_TRANSACTION_IDLE_MS}`);
        const tx: SqlTransaction = {
          sql: async (text, params = []) => (await client.query(text, params as unknown[])).rows,
        };
        const result = await work(tx);
        await client.query("COMMIT");
        return result;
      } catch (err) {
        await client.query("ROLLBACK").catch((rollbackError: unknown) => {
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        });
        throw err;
      } finally {
        // A connection that broke or could not roll back is discarded, not returned to the pool.
        client.removeListener("error", onError);
        client.release(broken);
      }
    },
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

const statementNames = new Map<string, string>();
/** A prepared statement's name: the same text always gets the same name (a hash of it). */
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    name = `gdc_${createHash("sha1").update(text).digest("hex").slice(0, 20)}`;
    statementNames.set(text, name);
  }
  return name;
}

async function openEmbedded(dataDir: string, options: OpenDatabaseOptions): Promise<Database> {
  const inMemory = dataDir.startsWith("memory://");
  let releaseLock = () => {};
  if (!inMemory) {
    const fresh = !fs.existsSync(path.join(dataDir, "PG_VERSION"));
    if (fresh) options.onStep?.(`Creating the embedded database in ${dataDir} (first run only, ~10 s)…`);
    fs.mkdirSync(dataDir, { recursive: true });
    releaseLock = await lockDataDir(dataDir);
  }
  let pglite: PGlite;
  try {
    pglite = await PGlite.create(inMemory ? undefined : dataDir);
    if (options.migrate ?? true) {
      if (await hasPendingMigrations((text) => pglite.query(text).then((r) => r.rows))) {
        options.onStep?.("Applying database migrations…");
        await migrateDeploy({ pglite });
      }
    }
  } catch (err) {
    releaseLock();
    throw err;
  }
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  return {
    kind: "pglite",
    prisma,
    connectionString: undefined,
    async sql(text, params = []) {
      const result = await pglite.query(text, params as unknown[]);
      return result.rows as never[];
    },
    // PGlite runs one transaction at a time (Prisma's adapter uses the same mutex).
    transaction: (work) =>
      pglite.transaction((t) => work({ sql: async (text, params = []) => (await t.query(text, params as unknown[])).rows as never[] })),
    async close() {
      await prisma.$disconnect();
      await pglite.close();
      releaseLock();
    },
  };
}

/** Names of the committed migrations, in order. */
export function migrationNames(): string[] {
  const dir = path.join(repoRoot, "prisma", "migrations");
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(dir, d.name, "migration.sql")))
    .map((d) => d.name)
    .sort();
}

/** Cheap check so that opening an up-to-date store does not start the migration engine. */
async function hasPendingMigrations(query: (text: string) => Promise<unknown[]>): Promise<boolean> {
  const exists = (await query(`SELECT to_regclass('public._prisma_migrations') IS NOT NULL AS ok`)) as { ok: boolean }[];
  if (!exists[0]?.ok) return true;
  const rows = (await query(
    `SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
  )) as { migration_name: string }[];
  const applied = new Set(rows.map((r) => r.migration_name));
  return migrationNames().some((name) => !applied.has(name));
}

/**
 * PGlite is a single process: two processes on one folder corrupt it. A pid lock file turns
 * that into a clear error instead.
 */
async function lockDataDir(dataDir: string, waitMs = 5_000): Promise<() => void> {
  const lockFile = path.join(dataDir, "gdc.lock");
  // A process that is just closing the folder (e.g. the migration CLI) releases it within a
  // second or two: wait a little before calling the folder busy.
  for (const deadline = Date.now() + waitMs; ; ) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: "wx" });
      break;
    } catch {
      const holder = Number(fs.readFileSync(lockFile, "utf8"));
      if (!holder || holder === process.pid || !isAlive(holder)) {
        fs.writeFileSync(lockFile, String(process.pid));
        break;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `The embedded database in ${dataDir} is in use by process ${holder}. Stop it, or set DATABASE_URL to use a PostgreSQL server.`,
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return () => {
    try {
      if (fs.readFileSync(lockFile, "utf8") === String(process.pid)) fs.unlinkSync(lockFile);
    } catch {
      /* already gone */
    }
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

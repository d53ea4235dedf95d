import { createHash, randomBytes } from "node:crypto";
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
      const result = options?.prepare
        ? await pool.query({ name: statementName(text), text, values: params as unknown[] })
        : await pool.query(text, params as unknown[]);
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
    ensurePrivateDir(dataDir);
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
    transaction: (work) => pglite.transaction((t) => work({ sql: async (text, params = []) => (await t.query(text, params as unknown[])).rows as never[] })),
    async close() {
      await prisma.$disconnect();
      await pglite.close();
      releaseLock();
    },
  };
}

/**
 * Creates the embedded data folder readable by its owner only (0700): it holds example text and
 * canary secrets. A folder that already exists with wider permissions is tightened.
 */
export function ensurePrivateDir(dataDir: string): void {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if ((fs.statSync(dataDir).mode & 0o077) !== 0) fs.chmodSync(dataDir, 0o700);
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
  const rows = (await query(`SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`)) as {
    migration_name: string;
  }[];
  const applied = new Set(rows.map((r) => r.migration_name));
  return migrationNames().some((name) => !applied.has(name));
}

/**
 * PGlite is a single process: two processes on one folder corrupt it. A pid lock file turns
 * that into a clear error instead.
 *
 * Every step is atomic, so that of any number of processes opening one folder at the same
 * moment exactly one gets it, also after a crash left a stale lock, and a process that dies
 * between any two steps leaves nothing that blocks the next one (issue 13 F11):
 * - the lock file appears with its owner already in it (written to a private file, then
 *   hard-linked to `gdc.lock`; link fails if the name exists), so no one ever reads a half-written
 *   lock. The owner is the pid and, on Linux, the process's start time (`/proc/<pid>/stat`), so
 *   a pid reused after a crash (a container restarted with the same pid, another program) is not
 *   mistaken for the owner;
 * - a stale lock (its owner is gone, or the file is empty or garbled) is replaced only by the
 *   holder of a claim on that very lock file (`gdc.lock.takeover.<inode>.<k>`, created the same
 *   exclusive way), after checking under the claim that the lock is still that file. A claim
 *   whose holder died is never moved or removed while takers may be at work: the next taker
 *   claims k + 1 instead, so at most one live process holds a claim on a lock file at any time;
 *   claims on lock files that are gone are cleared by the next winner.
 */
export async function lockDataDir(dataDir: string, waitMs = 5_000): Promise<() => void> {
  const lockFile = path.join(dataDir, "gdc.lock");
  const mine = ownerOf(process.pid);
  const draft = path.join(dataDir, `gdc.lock.${process.pid}.${randomBytes(6).toString("hex")}`);
  fs.writeFileSync(draft, mine, { mode: 0o600 });
  try {
    // A process that is just closing the folder (e.g. the migration CLI) releases it within a
    // second or two: wait a little before calling the folder busy.
    for (const deadline = Date.now() + waitMs; ;) {
      if (tryLink(draft, lockFile)) break;
      const lock = readLock(lockFile);
      if (lock === undefined) continue; // released between our link and read: try again
      if (lock.owner === mine) break;
      if (!isAlive(lock.owner)) {
        if (takeOver(draft, lockFile, lock)) break;
      } else if (Date.now() > deadline) {
        throw new Error(
          `The embedded database in ${dataDir} is in use by process ${lock.owner.split(" ")[0]}. Stop it, or set DATABASE_URL to use a PostgreSQL server.`,
        );
      }
      // A takeover in progress ends within milliseconds; the next round sees its winner.
      if (Date.now() > deadline + 2_000) throw new Error(`The embedded database in ${dataDir} is being taken over by another process; try again.`);
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 150));
    }
  } finally {
    fs.rmSync(draft, { force: true });
  }
  clearLeftovers(dataDir, lockFile);
  return () => {
    try {
      if (fs.readFileSync(lockFile, "utf8") === mine) fs.unlinkSync(lockFile);
    } catch {
      /* already gone */
    }
  };
}

/** Creates `to` as a hard link to `from`; false if `to` exists. */
function tryLink(from: string, to: string): boolean {
  try {
    fs.linkSync(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
}

/**
 * A lock or claim file: its inode and its owner ("<pid>" or "<pid> <start time>"; "" when the file
 * is empty or garbled), undefined if there is no file.
 */
function readLock(file: string): { ino: number; owner: string } | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  try {
    const text = fs.readFileSync(fd, "utf8").trim();
    return { ino: fs.fstatSync(fd).ino, owner: /^[1-9]\d*( \d+)?$/.test(text) ? text : "" };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Replaces the stale lock `stale` (its owner dead, or "" for an empty or garbled file) with ours,
 * under a claim on that lock file; true if the folder is now ours.
 */
function takeOver(draft: string, lockFile: string, stale: { ino: number; owner: string }): boolean {
  for (let k = 0; ; k++) {
    const claim = `${lockFile}.takeover.${stale.ino}.${k}`;
    if (!tryLink(draft, claim)) {
      const taker = readLock(claim);
      if (taker === undefined) return false; // cleared: the lock file is gone, look again
      if (taker.owner !== "" && isAlive(taker.owner)) return false; // a live taker: see its result next round
      continue; // its taker died: claim the next one (never move a claim a live taker may hold)
    }
    try {
      // Under the claim no one else replaces this lock file; it is still the stale one we saw
      // unless its taker before us (who died after replacing it) or a release removed it.
      const now = readLock(lockFile);
      if (now === undefined) return tryLink(draft, lockFile);
      if (now.ino !== stale.ino || now.owner !== stale.owner) return false;
      fs.renameSync(draft, lockFile); // atomic replace: the lock never goes missing
      return true;
    } finally {
      fs.rmSync(claim, { force: true });
    }
  }
}

/**
 * After winning: claims on lock files that are no longer the lock (their takers have finished or
 * died; one still at work re-checks the lock under its claim and gives up), and drafts of dead
 * processes.
 */
function clearLeftovers(dataDir: string, lockFile: string) {
  const lock = readLock(lockFile);
  for (const name of fs.readdirSync(dataDir)) {
    const claim = /^gdc\.lock\.takeover\.(\d+)\.\d+$/.exec(name);
    const draft = /^gdc\.lock\.(\d+)\.[0-9a-f]{12}$/.exec(name);
    const legacy = name === "gdc.lock.takeover"; // the single takeover file of earlier versions
    if (legacy || (claim && lock && Number(claim[1]) !== lock.ino) || (draft && !isAlive(draft[1]!))) fs.rmSync(path.join(dataDir, name), { force: true });
  }
}

/** "<pid> <start time>" on Linux (the start time in clock ticks since boot, /proc/<pid>/stat field 22), else "<pid>". */
function ownerOf(pid: number): string {
  const start = startTimeOf(pid);
  return start === null ? String(pid) : `${pid} ${start}`;
}

function startTimeOf(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces and parentheses): state is field 3, start time field 22.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

/** Whether the process that wrote `owner` still runs: its pid exists and, when recorded, with the same start time. */
function isAlive(owner: string): boolean {
  const [pidText, start] = owner.split(" ");
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  if (start === undefined) return true;
  const now = startTimeOf(pid);
  return now === null || now === start;
}

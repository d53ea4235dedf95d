// Prisma's schema engine (migrations) as WebAssembly, driven through a driver adapter.
// Shared by the CLI bridge (schema-engine.mjs) and the app's migrateDeploy (src/migrate.ts).
// Plain JS so the bridge starts without a TypeScript loader. See README.md for the traps.
import { readFile, readdir } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import path from "node:path";
import pg from "pg";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";

const require = createRequire(import.meta.url);

// The package's own entry imports the .wasm as an ES module (bundler target), which Node cannot
// do: instantiate it by hand, once per process (wasm-bindgen keeps global state).
let engineClass;
async function loadEngineClass() {
  const gluePath = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
  const glue = await import(gluePath);
  const module = await WebAssembly.compile(await readFile(gluePath.replace(/\.js$/, ".wasm")));
  // The engine arms 10 s timers it never clears (timeouts raced against queries): unref them so
  // that a script that ran migrateDeploy() can exit as soon as its own work is done.
  const imports = { ...glue };
  for (const name of Object.keys(glue).filter((key) => key.startsWith("__wbg_setTimeout_"))) {
    imports[name] = (...args) => {
      const timer = glue[name](...args);
      timer.unref?.();
      return timer;
    };
  }
  const instance = new WebAssembly.Instance(module, { "./schema_engine_bg.js": imports });
  glue.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start();
  return glue.SchemaEngine;
}

/** The wasm engine calls this with the message of a Rust panic before throwing a RuntimeError. */
export const panics = { last: undefined };
globalThis.PRISMA_WASM_PANIC_REGISTRY = { set_message: (message) => (panics.last = message) };

/**
 * @param adapterFactory a migration-aware factory from pgAdapterFactory / pgliteAdapterFactory
 * @param datamodels [path, content] pairs of the Prisma schema files, or undefined
 */
export async function createSchemaEngine(adapterFactory, datamodels, log = () => {}) {
  engineClass ??= loadEngineClass();
  const SchemaEngine = await engineClass;
  return SchemaEngine.new({ datamodels: datamodels?.length ? datamodels : undefined }, log, adapterFactory);
}

// adapter-pg maps result columns by type OID and has no case for PostgreSQL's internal "char"
// (OID 18), which the engine's introspection queries select (relkind, contype, …): report those
// columns as text. Patched once on adapter-pg's shared query class (transactions included), so
// process-wide: elsewhere it only turns that error into a string value.
let pgCharPatched = false;
function patchPgChar(adapter) {
  if (pgCharPatched) return;
  const queryable = Object.getPrototypeOf(Object.getPrototypeOf(adapter));
  const performIO = queryable.performIO;
  queryable.performIO = async function (query) {
    const result = await performIO.call(this, query);
    // (an array of results when a script of several statements went through executeRaw)
    for (const field of result.fields ?? []) if (field.dataTypeID === 18) field.dataTypeID = 25;
    return result;
  };
  pgCharPatched = true;
}

async function connectPg(connectionString) {
  const url = new URL(connectionString);
  const schema = url.searchParams.get("schema") ?? undefined;
  url.searchParams.delete("schema");
  const adapter = await new PrismaPg({ connectionString: url.href }, { schema }).connect();
  patchPgChar(adapter);
  // adapter-pg splits scripts on every ";" (breaking string literals and function bodies): send
  // the script whole, as one simple query, like the native engine does.
  adapter.executeScript = async (script) => {
    try {
      await adapter.underlyingDriver().query(script);
    } catch (error) {
      adapter.onError(error);
    }
  };
  return adapter;
}

async function adminQuery(connectionString, sql) {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A PostgreSQL server. The shadow database is ours to manage: adapter-pg's own connectToShadowDb
 * keeps the connection string's database (a reset there would wipe the main database).
 * Without `shadowDatabaseUrl`, each shadow is a throwaway `<db>_shadow_<random>` on the same server.
 */
export function pgAdapterFactory(connectionString, shadowDatabaseUrl) {
  const open = new Set(); // dispose() of every adapter still open, run by cleanup()
  const track = (adapter, release) => {
    const dispose = async () => {
      if (!open.delete(dispose)) return;
      await adapter.underlyingDriver().end();
      await release?.();
    };
    adapter.dispose = dispose;
    open.add(dispose);
    return adapter;
  };
  const factory = {
    provider: "postgres",
    adapterName: "@prisma/adapter-pg",
    connect: async () => track(await connectPg(connectionString)),
    async connectToShadowDb() {
      if (shadowDatabaseUrl) return track(await connectPg(shadowDatabaseUrl));
      const url = new URL(connectionString);
      const name = `${decodeURIComponent(url.pathname.slice(1)) || "postgres"}_shadow_${randomBytes(4).toString("hex")}`;
      await adminQuery(connectionString, `CREATE DATABASE "${name}"`);
      url.pathname = `/${name}`;
      const drop = () => adminQuery(connectionString, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      return track(
        await connectPg(url.href).catch(async (e) => {
          await drop();
          throw e;
        }),
        drop,
      );
    },
  };
  const bound = bindMigrationAwareSqlAdapterFactory(factory);
  /** Closes what the engine left open (pools, shadow databases). */
  bound.cleanup = async () => {
    for (const dispose of [...open]) await dispose();
  };
  return bound;
}

function fixPgliteScript(adapter) {
  // pglite-prisma-adapter 0.7.2 does not await exec(): a failing migration would be recorded as
  // applied. Await it and map the error like any query error.
  adapter.executeScript = async (script) => {
    try {
      await adapter.client.exec(script);
    } catch (error) {
      adapter.onError(error);
    }
  };
  return adapter;
}

// Wipes a shadow PGlite back to an empty public schema, so the next shadow can reuse it.
const resetSql = `DO $$ DECLARE s text; BEGIN
  FOR s IN SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', s);
  END LOOP;
END $$; CREATE SCHEMA public;`;

/**
 * An open PGlite (owned by the caller). The shadow database is an in-memory PGlite; creating one
 * takes seconds and `migrate dev` asks for two, so a disposed shadow is wiped and kept for the next.
 */
export function pgliteAdapterFactory(pglite) {
  let spare;
  const factory = {
    provider: "postgres",
    adapterName: "pglite-prisma-adapter",
    connect: async () => fixPgliteScript(await new PrismaPGlite(pglite).connect()),
    async connectToShadowDb() {
      const shadow = spare ?? (await PGlite.create());
      spare = undefined;
      const adapter = fixPgliteScript(await new PrismaPGlite(shadow).connect());
      adapter.dispose = async () => {
        await shadow.exec(resetSql);
        if (spare) await shadow.close();
        else spare = shadow;
      };
      return adapter;
    },
  };
  const bound = bindMigrationAwareSqlAdapterFactory(factory);
  bound.cleanup = async () => {
    await spare?.close();
    spare = undefined;
  };
  return bound;
}

/** The migrations folder as the engine wants it; the same listing as the Prisma CLI makes. */
export async function readMigrations(baseDir, shadowDbInitScript = "") {
  const lockfile = "migration_lock.toml";
  const entries = await readdir(baseDir, { withFileTypes: true }).catch(() => []);
  const migrationDirectories = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const content = await readFile(path.join(baseDir, entry.name, "migration.sql"), "utf8").then(
      (value) => ({ tag: "ok", value }),
      (error) => ({ tag: "error", value: error.message }),
    );
    migrationDirectories.push({ path: entry.name, migrationFile: { path: "migration.sql", content } });
  }
  return {
    baseDir,
    lockfile: { path: lockfile, content: await readFile(path.join(baseDir, lockfile), "utf8").catch(() => null) },
    migrationDirectories,
    shadowDbInitScript,
  };
}

export const noFilters = { externalTables: [], externalEnums: [] };

/** The engine reports JavaScript errors from the adapter as "External error id#N": recover the original. */
export function engineErrorMessage(adapterFactory, error) {
  const message = String(error?.message ?? error);
  const id = /External error id#(\d+)/.exec(message)?.[1];
  const original = id === undefined ? undefined : adapterFactory.errorRegistry.consumeError(Number(id))?.error;
  return original ? `${message}: ${original.message ?? original}` : message;
}

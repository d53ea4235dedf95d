import path from "node:path";
import { fileURLToPath } from "node:url";
import type { PGlite } from "@electric-sql/pglite";
import { createSchemaEngine, engineErrorMessage, noFilters, pgAdapterFactory, pgliteAdapterFactory, readMigrations } from "../engine/core.mjs";

/** The committed migrations (libs/db/src → <repo>/prisma/migrations). */
const migrationsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../prisma/migrations");

export type MigrateTarget = { connectionString: string } | { pglite: PGlite };

/**
 * Applies pending migrations exactly as `prisma migrate deploy` does — the same wasm schema
 * engine the CLI bridge runs (libs/db/engine), in-process, so the same `_prisma_migrations`
 * bookkeeping — and returns the names it applied. A failing migration throws and stays recorded
 * as failed, as with the CLI. A PGlite passed in stays open (the caller owns it).
 */
export async function migrateDeploy(target: MigrateTarget, options: { migrationsDir?: string } = {}): Promise<{ applied: string[] }> {
  const factory = "pglite" in target ? pgliteAdapterFactory(target.pglite) : pgAdapterFactory(target.connectionString);
  try {
    const engine = await createSchemaEngine(factory, undefined);
    try {
      const migrationsList = await readMigrations(options.migrationsDir ?? migrationsDir);
      const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList, filters: noFilters });
      return { applied: appliedMigrationNames };
    } catch (error) {
      throw new Error(`Database migration failed: ${engineErrorMessage(factory, error)}`, { cause: error });
    } finally {
      engine.free();
    }
  } finally {
    await factory.cleanup();
  }
}

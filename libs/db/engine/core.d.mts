// Types for core.mjs (plain JS so that the CLI bridge starts without a TypeScript loader).
import type { PGlite } from "@electric-sql/pglite";
import type { ErrorCapturingSqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import type { MigrationList, SchemaEngine, SchemaFilter } from "@prisma/schema-engine-wasm";

export type EngineAdapterFactory = ErrorCapturingSqlMigrationAwareDriverAdapterFactory & {
  /** Closes what the engine left open (pools, shadow databases). */
  cleanup(): Promise<void>;
};
export const panics: { last: string | undefined };
export function createSchemaEngine(
  adapterFactory: EngineAdapterFactory,
  datamodels: [string, string][] | undefined,
  log?: (line: string) => void,
): Promise<SchemaEngine>;
export function pgAdapterFactory(connectionString: string, shadowDatabaseUrl?: string): EngineAdapterFactory;
export function pgliteAdapterFactory(pglite: PGlite): EngineAdapterFactory;
export function readMigrations(baseDir: string, shadowDbInitScript?: string): Promise<MigrationList>;
export const noFilters: SchemaFilter;
/** The engine's error message, with the original of an adapter's "External error id#N" appended. */
export function engineErrorMessage(adapterFactory: EngineAdapterFactory, error: unknown): string;

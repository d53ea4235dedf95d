import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "prisma/config";

const root = path.dirname(fileURLToPath(import.meta.url));

// Prisma's native schema engine cannot be downloaded here: every migrate/db command runs our
// bridge to the wasm engine instead (libs/db/engine/README.md). Naming an existing file also
// stops the CLI from trying to download the binary.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= path.join(root, "libs/db/engine/schema-engine.mjs");

// DATABASE_URL selects a PostgreSQL server. Without it, the embedded PGlite store in
// GDC_DATA_DIR (default .gdc/pgdata) is used: the CLI insists on a postgresql:// URL, so the
// bridge takes host "pglite" to mean "open the PGlite folder given by ?dir=". Don't run the CLI
// on a folder an app has open (PGlite is single-process; the bridge waits on its gdc.lock).
const dataDir = path.resolve(process.env.GDC_DATA_DIR ?? path.join(root, ".gdc/pgdata"));
const url = process.env.DATABASE_URL || `postgresql://pglite/gdc?dir=${encodeURIComponent(dataDir)}`;

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url },
});

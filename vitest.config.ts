import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

// One copy of graphql: Node loads graphql's CommonJS build for Apollo Server and the validation
// plugins (externalized), while Vite would pick its "module" (ESM) build for workspace sources —
// two realms ("Cannot use GraphQLSchema from another module or realm"). Resolve it as Node does.
const resolve = { alias: [{ find: /^graphql$/, replacement: createRequire(import.meta.url).resolve("graphql") }] };

// Two tiers: `unit` (pure logic, no database) and `integration` (real PostgreSQL via
// DATABASE_URL, or PGlite where the embedded path is what is tested). Files say which
// tier they are by their suffix.
export default defineConfig({
  test: {
    projects: [
      {
        resolve,
        test: {
          name: "unit",
          include: ["libs/*/test/**/*.test.ts", "apps/*/test/**/*.test.ts", "scripts/**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "**/node_modules/**"],
          testTimeout: 60_000,
        },
      },
      {
        resolve,
        test: {
          name: "integration",
          include: ["libs/*/test/**/*.int.test.ts", "apps/*/test/**/*.int.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Integration files share one database: run them one at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});

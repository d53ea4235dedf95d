import { defineConfig } from "vitest/config";

// Two tiers: `unit` (pure logic, no database) and `integration` (real PostgreSQL via
// DATABASE_URL, or PGlite where the embedded path is what is tested). Files say which
// tier they are by their suffix.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["libs/*/test/**/*.test.ts", "apps/*/test/**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "**/node_modules/**"],
          testTimeout: 60_000,
        },
      },
      {
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

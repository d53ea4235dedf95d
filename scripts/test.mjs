// `npm test`: typecheck, unit tests, integration tests on a real PostgreSQL (DATABASE_URL, or
// the local server if one answers), the embedded (PGlite) smoke test, and the end-to-end suite
// when a browser is available. Each step's output streams; the first failure stops the run.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";

const env = { ...process.env };
if (!env.DATABASE_URL && (await answers("127.0.0.1", 5432))) {
  env.DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres";
}
if (!env.DATABASE_URL) {
  console.warn("npm test: no PostgreSQL found (set DATABASE_URL); integration tests run on the embedded PGlite store instead.");
}

const steps = [
  ["dependencies (each workspace declares what it imports)", ["node", "scripts/check-dependencies.mjs"]],
  // Cached (unchanged files are not linted again; a fresh clone lints all, ~20 s of CPU on 2 cores).
  ["lint (ESLint: typescript-eslint, import cycles, the layers)", ["npm", "run", "--silent", "lint"]],
  ["format (Prettier: npm run format fixes it)", ["npm", "run", "--silent", "format:check"]],
  ["typecheck", ["npx", "tsc", "-p", "tsconfig.json"]],
  ["typecheck (web)", ["npx", "tsc", "-p", "apps/web/tsconfig.json", "--noEmit"]],
  ["typecheck (e2e)", ["npx", "tsc", "-p", "e2e/tsconfig.json", "--noEmit"]],
  ["unit and integration tests", ["npx", "vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${results("vitest")}`]],
];
/** Specs the end-to-end suite holds, counted without a browser (skipped ones count in the totals). */
let e2eSkipped = 0;
if (fs.existsSync("e2e/playwright.config.ts")) {
  if (process.env.CI || fs.existsSync("/usr/bin/chromium")) {
    steps.push(["end-to-end tests (Chromium)", ["npx", "playwright", "test", "-c", "e2e/playwright.config.ts"]]);
    env.GDC_E2E_JSON = results("playwright");
  } else {
    const listed = spawnSync("npx", ["playwright", "test", "-c", "e2e/playwright.config.ts", "--list"], { encoding: "utf8", env });
    const total = /Total: (\d+) tests?/.exec(listed.stdout ?? "");
    e2eSkipped = total ? Number(total[1]) : 0;
    console.warn(`npm test: e2e skipped: install chromium (apt-get install chromium) to run the ${total ? total[1] : "?"} end-to-end specs.`);
  }
}

for (const [name, [cmd, ...args]] of steps) {
  console.log(`\n▶ ${name}`);
  const started = Date.now();
  const result = spawnSync(cmd, args, { stdio: "inherit", env });
  if (result.status !== 0) {
    console.error(`\n✗ ${name} failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status || 1);
  }
  console.log(`✓ ${name} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
}
printTotals();

/** Where a runner writes its JSON results, for the closing totals. */
function results(runner) {
  fs.mkdirSync("test-results", { recursive: true });
  return `test-results/${runner}.json`;
}

/** One closing line over every runner: "N passed, N failed". */
function printTotals() {
  let passed = 0;
  let failed = 0;
  let skipped = e2eSkipped;
  const read = (file) => (fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : null);
  const vitest = read(results("vitest"));
  if (vitest) {
    passed += vitest.numPassedTests;
    failed += vitest.numFailedTests;
    skipped += vitest.numPendingTests + vitest.numTodoTests;
  }
  const playwright = env.GDC_E2E_JSON ? read(env.GDC_E2E_JSON) : null;
  if (playwright?.stats) {
    passed += playwright.stats.expected + playwright.stats.flaky;
    failed += playwright.stats.unexpected;
    skipped += playwright.stats.skipped;
  }
  console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped${e2eSkipped ? ` (${e2eSkipped} end-to-end: no Chromium)` : ""}`);
}

function answers(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 1000 });
    socket.once("connect", () => (socket.end(), resolve(true)));
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => (socket.destroy(), resolve(false)));
  });
}

import path from "node:path";
import { defineConfig } from "@playwright/test";

// The end-to-end suite: Debian's Chromium (Playwright cannot download its own browser here)
// against the real stack that global-setup.ts starts (database, API, worker, web).
// Run: npx playwright test -c e2e/playwright.config.ts
export default defineConfig({
  testDir: "./tests",
  outputDir: "./artifacts/test-results",
  globalSetup: "./global-setup.ts",
  // One browser at a time: the tests share one seeded stack and tell one governance story.
  workers: 1,
  fullyParallel: false,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  retries: 0,
  reporter: [
    ["list"],
    ...(process.env.CI ? [["html", { outputFolder: "./artifacts/report", open: "never" }] as const] : []),
    // npm test sums every runner's results into one closing line.
    ...(process.env.GDC_E2E_JSON ? [["json", { outputFile: path.resolve(process.env.GDC_E2E_JSON) }] as const] : []),
  ],
  use: {
    viewport: { width: 1400, height: 1000 },
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
});

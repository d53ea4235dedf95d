// The README's picture of the data map, taken from the real demo: starts `gdc start` on a fresh
// embedded database in a temporary folder (seeding the demo and training its run), waits until
// the run is scored, signs in as the engineer in headless Chromium and screenshots the run's
// data map. Also prints where the canaries landed (quadrant counts of the canary copies).
//   npx tsx e2e/demo-screenshot.ts [out.png]     (default docs/data-map.png)
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "@playwright/test";

const repo = path.resolve(import.meta.dirname, "..");
const out = path.resolve(process.argv[2] ?? path.join(repo, "docs", "data-map.png"));
const home = fs.mkdtempSync(path.join(os.tmpdir(), "gdc-demo-"));
const webPort = 3100 + Math.floor(Math.random() * 500);
const apiPort = webPort + 600;

const child = spawn(
  process.execPath,
  ["--import", "tsx", path.join(repo, "apps/cli/src/main.ts"), "start", "--port", String(webPort), "--api-port", String(apiPort)],
  {
    cwd: repo,
    env: { ...process.env, DATABASE_URL: "", GDC_DATA_DIR: path.join(home, "pgdata") },
    stdio: ["ignore", "inherit", "pipe"],
  },
);
let log = "";
child.stderr.on("data", (chunk: Buffer) => {
  log += chunk.toString();
  process.stderr.write(chunk);
});

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (child.exitCode !== null) throw new Error(`gdc start exited (${child.exitCode}) before ${what}`);
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

try {
  const token = await waitFor("the engineer's token", () => /ENGINEER\s+\S+\s+(\S+)/.exec(log)?.[1], 10 * 60_000);
  const runUrl = await waitFor("the demo run's address", () => /The demo run: (\S+)/.exec(log)?.[1], 10 * 60_000);
  await waitFor(
    "the demo run to be scored",
    () =>
      /Demo run scored/.test(log)
        ? true
        : /Demo run ended/.test(log)
          ? (() => {
              throw new Error("the demo run failed");
            })()
          : undefined,
    30 * 60_000,
  );

  const browser = await chromium.launch({
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
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(new URL(runUrl).origin);
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: /Welcome/ }).waitFor();
  await page.goto(runUrl);
  await page.locator("canvas[data-drawn-points]").first().waitFor();
  await page.waitForFunction(() => Number(document.querySelector("canvas[data-drawn-points]")?.getAttribute("data-drawn-points") ?? 0) > 0);
  await page.waitForTimeout(500);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  // The map and its legends: the region's top, without the examples table under the canvas.
  const region = await page.getByRole("region", { name: "Data map" }).boundingBox();
  if (!region) throw new Error("the data map region is not on the page");
  await page.screenshot({ path: out, fullPage: true, clip: { x: region.x, y: region.y, width: region.width, height: Math.min(region.height, 700) } });
  await browser.close();

  // Where the canaries sit, from the API the page uses.
  const runId = new URL(runUrl).pathname.split("/").pop()!;
  const response = await fetch(`http://127.0.0.1:${apiPort}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({
      query: "query ($id: ID!) { run(id: $id) { memorizationSignal dataMap { quadrant quadrants isCanary } } }",
      variables: { id: runId },
    }),
  });
  const body = (await response.json()) as {
    data?: { run: { memorizationSignal: string; dataMap: { quadrants: string[]; quadrant: number[]; isCanary: boolean[] } } };
  };
  const map = body.data?.run.dataMap;
  if (map) {
    const counts: Record<string, number> = {};
    map.isCanary.forEach((c, i) => {
      if (c) counts[map.quadrants[map.quadrant[i]!]!] = (counts[map.quadrants[map.quadrant[i]!]!] ?? 0) + 1;
    });
    console.log(`memorization = ${body.data!.run.memorizationSignal}; canary copies by quadrant: ${JSON.stringify(counts)}`);
  } else {
    console.log(`could not read the data map: ${JSON.stringify(body).slice(0, 300)}`);
  }
  console.log(`wrote ${path.relative(repo, out)}`);
} finally {
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  fs.rmSync(home, { recursive: true, force: true });
}

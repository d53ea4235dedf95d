// Web benchmark: time from navigation to a drawn data map with 100 k points in headless
// Chromium (target < 1.5 s), and the API's share of it.
//
//   npx tsx bench/web/data-map.ts [--points 100000] [--reps 7]
//
// Starts the real stack (e2e/stack.ts: fresh database — PostgreSQL with DATABASE_URL, else
// embedded PGlite —, API, worker, production web build) with a scored run of `points`
// examples, then loads the run page `reps` times in Debian's Chromium. Per load, from the
// page's own Performance timeline (all times from navigation start):
//   drawn     – the data map's first complete frame (performance mark set by the canvas)
//   request   – the dataMap GraphQL request, start → last byte (through the web app's /graphql)
//   parsed    – urql has the parsed response (mark) ; prepared – typed arrays built (mark)
// and, from Node, the same query straight to the API (no browser, no proxy). The first load
// runs with a cold browser cache (JS chunks downloaded) and is reported apart; the medians are
// over the warm ones. The user is signed in beforehand, as a returning user would be. Ratios are measured in this one run; nothing asserts on wall-clock time.
import fs from "node:fs";
import path from "node:path";
import { chromium } from "@playwright/test";
import { startStack } from "../../e2e/stack.ts";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const points = arg("--points", 100_000);
const reps = Math.max(2, arg("--reps", 7));
const TARGET_MS = 1500;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const ms = (x: number) => `${x.toFixed(0)} ms`;

interface Load {
  drawn: number;
  requestStart: number;
  requestEnd: number;
  parsed: number;
  prepared: number;
  bytes: number;
}

// Evaluated in the page (a string, so this file needs no DOM types).
const READ_TIMELINE = `(() => {
  const mark = (name) => performance.getEntriesByName(name)[0]?.startTime ?? NaN;
  const request = performance.getEntriesByType("resource").find((e) => e.name.includes("op=DataMap"));
  return {
    drawn: mark("gdc:data-map-drawn"),
    parsed: mark("gdc:data-map-received"),
    prepared: mark("gdc:data-map-prepared"),
    requestStart: request ? request.startTime : NaN,
    requestEnd: request ? request.responseEnd : NaN,
    bytes: request ? request.decodedBodySize || request.encodedBodySize : NaN,
  };
})()`;

const DATA_MAP_QUERY = `query DataMap($runId: ID!) { run(id: $runId) { id dataMap { runId count ids difficulty memorization quadrant quadrants isCanary thresholds { difficulty memorization source } } } }`;

const log = (m: string) => process.stderr.write(`${m}\n`);
const seedStarted = Date.now();
const { info, stop } = await startStack({ examples: points, canaries: 0, liveRun: false, log: (m) => (m.startsWith("worker: job") ? undefined : log(m)) });
log(`bench: stack with ${points} points ready in ${((Date.now() - seedStarted) / 1000).toFixed(0)} s (${info.store})`);

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const loads: Load[] = [];
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  // A returning user: signed in once (token and who they are kept in the browser).
  const signIn = await context.newPage();
  await signIn.goto(info.webUrl);
  await signIn.getByLabel("API token").fill(info.users.viewer.token);
  await signIn.getByRole("button", { name: "Sign in" }).click();
  await signIn.getByRole("heading", { name: /Welcome/ }).waitFor();
  await signIn.close();
  for (let rep = 0; rep < reps; rep++) {
    const page = await context.newPage();
    await page.goto(`${info.webUrl}/runs/${info.runId}`);
    await page.waitForSelector('canvas[data-ready="true"]', { timeout: 120_000 });
    const count = await page.getByTestId("point-count").innerText();
    if (Number(count.replace(/,/g, "")) !== points) throw new Error(`the page shows ${count} points, expected ${points}`);
    loads.push((await page.evaluate(READ_TIMELINE)) as Load);
    await page.close();
  }
} finally {
  await browser.close();
}

// The same query straight to the API from Node: the server's part without browser or proxy.
const direct: number[] = [];
for (let rep = 0; rep < reps; rep++) {
  const started = performance.now();
  const response = await fetch(info.apiUrl, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${info.users.viewer.token}` },
    body: JSON.stringify({ query: DATA_MAP_QUERY, variables: { runId: info.runId } }),
  });
  const body = (await response.json()) as { data?: { run: { dataMap: { count: number } } } };
  if (body.data?.run.dataMap.count !== points) throw new Error("direct dataMap query failed");
  direct.push(performance.now() - started);
}
await stop();

const [cold, ...warm] = loads as [Load, ...Load[]];
const summary = (l: Load[]) => ({
  drawn: median(l.map((x) => x.drawn)),
  requestStart: median(l.map((x) => x.requestStart)),
  request: median(l.map((x) => x.requestEnd - x.requestStart)),
  parse: median(l.map((x) => x.parsed - x.requestEnd)),
  prepare: median(l.map((x) => x.prepared - x.parsed)),
  draw: median(l.map((x) => x.drawn - x.prepared)),
});
const w = summary(warm);
const c = summary([cold]);
const apiDirect = median(direct);
const mb = (cold.bytes / 1e6).toFixed(1);

const lines = [
  `Data map, ${points.toLocaleString("en-US")} points, ${info.store}, headless Chromium (Debian), ${warm.length} warm loads + 1 cold, medians:`,
  ``,
  `| from navigation start                  | warm          | cold (1st load) |`,
  `|----------------------------------------|---------------|-----------------|`,
  `| data map drawn                         | ${ms(w.drawn).padEnd(13)} | ${ms(c.drawn).padEnd(15)} |`,
  `| dataMap request sent at                | ${ms(w.requestStart).padEnd(13)} | ${ms(c.requestStart).padEnd(15)} |`,
  `| dataMap request (through web /graphql) | ${ms(w.request).padEnd(13)} | ${ms(c.request).padEnd(15)} |`,
  `| JSON parse (urql)                      | ${ms(w.parse).padEnd(13)} | ${ms(c.parse).padEnd(15)} |`,
  `| typed arrays                           | ${ms(w.prepare).padEnd(13)} | ${ms(c.prepare).padEnd(15)} |`,
  `| canvas draw                            | ${ms(w.draw).padEnd(13)} | ${ms(c.draw).padEnd(15)} |`,
  ``,
  `API share of the warm load: ${((w.request / w.drawn) * 100).toFixed(0)} % (request through the web app); ` +
    `the same query straight to the API from Node: ${ms(apiDirect)} (${((apiDirect / w.drawn) * 100).toFixed(0)} % of the load). ` +
    `Payload ${mb} MB. Target < ${TARGET_MS} ms: ${w.drawn < TARGET_MS ? "met" : "NOT met"} (${(w.drawn / TARGET_MS).toFixed(2)}× the target).`,
];
process.stdout.write(`${lines.join("\n")}\n`);
const out = path.resolve(import.meta.dirname, "../out/web-data-map.json");
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify({ points, store: info.store, warm: w, cold: c, apiDirect, loads, direct }, null, 2));

// Web benchmark: time from navigation to a drawn data map with 100 k points in headless
// Chromium (target < 1.5 s), and the API's share of it.
//
//   npx tsx bench/web/data-map.ts [--points 100000] [--reps 7]
//
// Starts the real stack (e2e/stack.ts: fresh database — PostgreSQL with DATABASE_URL, else
// embedded PGlite —, API, worker, production web build) with a scored run of `points`
// examples, then loads the run page in Debian's Chromium. The map's points come as an Arrow
// file (GET /export/runs/<id>/data-map.arrow through the web app's same-origin proxy, gzip);
// the example ids follow in a second file after the first frame. Per load, from the page's own
// Performance timeline (all times from navigation start):
//   drawn     – the data map's first complete frame (performance mark set by the canvas)
//   request   – the data-map.arrow request, start → last byte (through the web app's /export)
//   decoded   – the Arrow file decoded, decoder chunk loaded (mark) ; prepared – typed arrays built (mark)
//   ids       – the `?include=ids` file (fetched in the background after the first frame) loaded
//   governance – governance.arrow (the points' proposal states, fetched beside the map file; the
//               bench proposes the 5 % most memorized first, so it is not empty) loaded
// and, from Node, the same file straight from the API (no browser, no proxy). Three kinds of load:
//   cold      – the very first load (JS chunks and the map downloaded);
//   first view – `reps` loads, each in a new browser context whose JS chunks are warm (it opened
//               the run page of an unknown run first) but which has never fetched this map;
//   revisit   – `reps` reloads in one context: the browser revalidates the map by ETag (304).
// The user is signed in beforehand, as a returning user would be. Ratios are measured in this
// one run; nothing asserts on wall-clock time.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext } from "@playwright/test";
import { tableFromIPC } from "apache-arrow";
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
const ms = (x: number) => (Number.isFinite(x) ? `${x.toFixed(0)} ms` : "—");

interface Load {
  drawn: number;
  requestStart: number;
  requestEnd: number;
  decoded: number;
  prepared: number;
  /** Bytes over the wire (headers included; ~300 for a 304), gzip body, decoded body. */
  transferSize: number;
  encodedBodySize: number;
  decodedBodySize: number;
  idsStart: number;
  idsEnd: number;
  idsEncodedBodySize: number;
  /** The governance column (governance.arrow, fetched beside the points): loaded at, gzip bytes. */
  governanceEnd: number;
  governanceEncodedBodySize: number;
}

// Evaluated in the page (a string, so this file needs no DOM types).
const READ_TIMELINE = `(async () => {
  const mark = (name) => performance.getEntriesByName(name)[0]?.startTime ?? NaN;
  const entries = () => performance.getEntriesByType("resource").filter((e) => e.name.includes("data-map.arrow"));
  // The ids file follows the first frame in the background: give it a moment to land.
  for (let i = 0; i < 100 && !entries().some((e) => e.name.includes("include=ids")); i++) await new Promise((r) => setTimeout(r, 50));
  const request = entries().find((e) => !e.name.includes("include=ids"));
  const ids = entries().find((e) => e.name.includes("include=ids"));
  const governance = performance.getEntriesByType("resource").find((e) => e.name.includes("governance.arrow"));
  return {
    drawn: mark("gdc:data-map-drawn"),
    decoded: mark("gdc:data-map-received"),
    prepared: mark("gdc:data-map-prepared"),
    requestStart: request ? request.startTime : NaN,
    requestEnd: request ? request.responseEnd : NaN,
    transferSize: request ? request.transferSize : NaN,
    encodedBodySize: request ? request.encodedBodySize : NaN,
    decodedBodySize: request ? request.decodedBodySize : NaN,
    idsStart: ids ? ids.startTime : NaN,
    idsEnd: ids ? ids.responseEnd : NaN,
    idsEncodedBodySize: ids ? ids.encodedBodySize : NaN,
    governanceEnd: governance ? governance.responseEnd : NaN,
    governanceEncodedBodySize: governance ? governance.encodedBodySize : NaN,
  };
})()`;

const log = (m: string) => process.stderr.write(`${m}\n`);
const seedStarted = Date.now();
const { info, stop } = await startStack({ examples: points, canaries: 0, liveRun: false, log: (m) => (m.startsWith("worker: job") ? undefined : log(m)) });
log(`bench: stack with ${points} points ready in ${((Date.now() - seedStarted) / 1000).toFixed(0)} s (${info.store})`);

// Governance on the map: pending proposals for the 5 % most memorized points (a policy, on the
// draft made from the run's version), so the governance column the page loads is not empty.
{
  const response = await fetch(info.apiUrl, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${info.users.engineer.token}` },
    body: JSON.stringify({
      query: `mutation ($input: ProposeInput!) { proposeInterventions(input: $input) { proposed } }`,
      variables: { input: { versionId: info.v2Id, runId: info.runId, policy: { name: "pruneTopByMemorization", params: { percent: 5 } }, reason: "bench" } },
    }),
  });
  const body = (await response.json()) as { data?: { proposeInterventions: { proposed: number } }; errors?: unknown[] };
  if (!body.data) throw new Error(`proposing for the bench failed: ${JSON.stringify(body.errors)}`);
  log(`bench: ${body.data.proposeInterventions.proposed} pending proposals on the map`);
}

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
const runPage = `${info.webUrl}/runs/${info.runId}`;
// A run id nobody has: its page loads the same JS chunks as the real one, and no data map.
const unknownRunPage = `${info.webUrl}/runs/00000000-0000-4000-8000-000000000000`;

/** A returning user: signed in once (token and who they are kept in the browser). */
async function signedInContext(): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const signIn = await context.newPage();
  await signIn.goto(info.webUrl);
  await signIn.getByLabel("API token").fill(info.users.viewer.token);
  await signIn.getByRole("button", { name: "Sign in" }).click();
  await signIn.getByRole("heading", { name: /Welcome/ }).waitFor();
  await signIn.close();
  return context;
}

async function measure(context: BrowserContext): Promise<Load> {
  const page = await context.newPage();
  await page.goto(runPage);
  await page.waitForSelector('canvas[data-ready="true"]', { timeout: 120_000 });
  const count = await page.getByTestId("point-count").innerText();
  if (Number(count.replace(/,/g, "")) !== points) throw new Error(`the page shows ${count} points, expected ${points}`);
  const load = (await page.evaluate(READ_TIMELINE)) as Load;
  await page.close();
  return load;
}

let cold: Load;
const firstViews: Load[] = [];
const revisits: Load[] = [];
try {
  const context = await signedInContext();
  cold = await measure(context);
  for (let rep = 0; rep < reps; rep++) revisits.push(await measure(context));
  await context.close();
  for (let rep = 0; rep < reps; rep++) {
    const fresh = await signedInContext();
    const primer = await fresh.newPage();
    await primer.goto(unknownRunPage);
    await primer.getByText("Run not found.").waitFor({ timeout: 60_000 });
    await primer.close();
    firstViews.push(await measure(fresh));
    await fresh.close();
  }
} finally {
  await browser.close();
}

// The same file straight from the API from Node, gzip as the browser gets it, decoded with
// apache-arrow: the server's part without browser or proxy.
const apiOrigin = new URL(info.apiUrl).origin;
const direct: number[] = [];
let directGzipBytes = NaN;
for (let rep = 0; rep < reps; rep++) {
  const started = performance.now();
  const response = await fetch(`${apiOrigin}/export/runs/${info.runId}/data-map.arrow`, {
    headers: { authorization: `Bearer ${info.users.viewer.token}`, "accept-encoding": "gzip" },
  });
  if (!response.ok) throw new Error(`direct data-map.arrow: ${response.status}`);
  directGzipBytes = Number(response.headers.get("content-length"));
  const table = tableFromIPC(new Uint8Array(await response.arrayBuffer()));
  direct.push(performance.now() - started);
  if (table.numRows !== points) throw new Error(`direct data-map.arrow has ${table.numRows} rows`);
}
await stop();

const summary = (l: Load[]) => ({
  drawn: median(l.map((x) => x.drawn)),
  requestStart: median(l.map((x) => x.requestStart)),
  request: median(l.map((x) => x.requestEnd - x.requestStart)),
  decode: median(l.map((x) => x.decoded - x.requestEnd)),
  prepare: median(l.map((x) => x.prepared - x.decoded)),
  draw: median(l.map((x) => x.drawn - x.prepared)),
  idsLoaded: median(l.map((x) => x.idsEnd)),
  governanceLoaded: median(l.map((x) => x.governanceEnd)),
  transferSize: median(l.map((x) => x.transferSize)),
});
const f = summary(firstViews);
const r = summary(revisits);
const c = summary([cold!]);
const apiDirect = median(direct);
const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
const row = (label: string, pick: (s: ReturnType<typeof summary>) => string) =>
  `| ${label.padEnd(38)} | ${pick(f).padEnd(11)} | ${pick(r).padEnd(11)} | ${pick(c).padEnd(15)} |`;

const lines = [
  `Data map, ${points.toLocaleString("en-US")} points, ${info.store}, headless Chromium (Debian), medians of ${reps} first views and ${reps} revisits + 1 cold load` +
    ` (load average ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")} at the end):`,
  ``,
  `| from navigation start                  | first view  | revisit     | cold (1st load) |`,
  `|----------------------------------------|-------------|-------------|-----------------|`,
  row("**data map drawn**", (s) => ms(s.drawn)),
  row("data-map.arrow request sent at", (s) => ms(s.requestStart)),
  row("data-map.arrow request (web /export)", (s) => ms(s.request)),
  row("Arrow decode (and decoder chunk)", (s) => ms(s.decode)),
  row("typed arrays (prepare)", (s) => ms(s.prepare)),
  row("to the first frame (render + draw)", (s) => ms(s.draw)),
  row("ids file loaded at (background)", (s) => ms(s.idsLoaded)),
  row("governance.arrow loaded at (beside)", (s) => ms(s.governanceLoaded)),
  row("bytes over the wire (map file)", (s) => (Number.isFinite(s.transferSize) ? `${Math.round(s.transferSize).toLocaleString("en-US")} B` : "—")),
  ``,
  `Map file: ${mb(cold!.decodedBodySize)} Arrow, ${mb(cold!.encodedBodySize)} gzip; ids file ${mb(cold!.idsEncodedBodySize)} gzip; governance file ${mb(cold!.governanceEncodedBodySize)} gzip. ` +
    `API share of a first view: ${((f.request / f.drawn) * 100).toFixed(0)} % (request through the web app); ` +
    `the same file straight from the API from Node (gzip, decoded): ${ms(apiDirect)} (${((apiDirect / f.drawn) * 100).toFixed(0)} % of the load). ` +
    `Target < ${TARGET_MS} ms: first view ${f.drawn < TARGET_MS ? "met" : "NOT met"} (${(f.drawn / TARGET_MS).toFixed(2)}×), ` +
    `revisit ${r.drawn < TARGET_MS ? "met" : "NOT met"} (${(r.drawn / TARGET_MS).toFixed(2)}×), cold ${c.drawn < TARGET_MS ? "met" : "NOT met"} (${(c.drawn / TARGET_MS).toFixed(2)}×).`,
];
process.stdout.write(`${lines.join("\n")}\n`);
const out = path.resolve(import.meta.dirname, "../out/web-data-map.json");
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(
  out,
  JSON.stringify(
    {
      points,
      store: info.store,
      loadavg: os.loadavg(),
      firstView: f,
      revisit: r,
      cold: c,
      apiDirect,
      directGzipBytes,
      loads: { cold: cold!, firstViews, revisits },
      direct,
    },
    null,
    2,
  ),
);

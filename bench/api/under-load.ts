// The API under load (issue 13): CHEAP_CLIENTS (200) concurrent clients on loopback, closed loop
// on keep-alive connections (load.ts), each asking the cheap `{ me { id } }`, first alone, then
// while one more client sends, back to back, the most expensive request the limits
// (apps/api/src/request-limits.ts) admit on this data: `verifyAuditChain` (once per operation,
// re-hashes the whole audit trail, here AUDIT_EVENTS events) plus a 500-event `auditEvents` page
// with before/after (estimated cost well under MAX_QUERY_COMPLEXITY). Prints errors and the
// cheap query's p99 without and with the expensive client, and their ratio (target: 0 errors,
// p99 within 2×). The API runs in this process (startApi) on a fresh database: PostgreSQL with
// DATABASE_URL, else embedded PGlite.
//   [DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres] npx tsx bench/api/under-load.ts [seconds=10] [auditEvents=20000] [clients=200]
import { appendAuditEvents, openJobQueue, systemActor } from "@gdc/db";
import { createTestDatabase, seedUser } from "@gdc/db/testing";
import { MAX_QUERY_COMPLEXITY, startApi } from "@gdc/api";
import { closedLoopLoad } from "./load.ts";

const SECONDS = Number(process.argv[2] ?? 10);
const AUDIT_EVENTS = Number(process.argv[3] ?? 20_000);
const CHEAP_CLIENTS = Number(process.argv[4] ?? 200);

const t = await createTestDatabase();
const queue = await openJobQueue(t.db, { pollingIntervalSeconds: 2 });
const api = await startApi({ db: t.db, queue }, { port: 0 });
try {
  const viewer = await seedUser(t.db, "VIEWER");
  const t0 = performance.now();
  for (let done = 0; done < AUDIT_EVENTS; done += 1_000) {
    await t.db.prisma.$transaction((tx) =>
      appendAuditEvents(
        tx,
        systemActor("bench"),
        Array.from({ length: Math.min(1_000, AUDIT_EVENTS - done) }, (_, i) => ({
          action: "bench.event",
          targetType: "Bench",
          targetId: String(done + i),
          before: { n: done + i, note: "x".repeat(100) },
          after: { n: done + i + 1, note: "y".repeat(100) },
        })),
      ),
    );
  }
  console.log(`seeded ${AUDIT_EVENTS} audit events in ${((performance.now() - t0) / 1000).toFixed(1)} s (${t.db.connectionString ? "PostgreSQL" : "PGlite"})`);
  const headers = { "content-type": "application/json", authorization: `Bearer ${viewer.token}` };
  const cheap = JSON.stringify({ query: `{ me { id } }` });
  const expensive = JSON.stringify({
    query: `{ verifyAuditChain { ok checked headHash } auditEvents(first: 500) { nodes { seq at actorLabel action targetType targetId before after prevHash hash } } }`,
  });
  // Both must be admitted and answered.
  for (const body of [cheap, expensive]) {
    const response = await fetch(api.url, { method: "POST", headers, body });
    const json = (await response.json()) as { errors?: unknown[]; data?: { verifyAuditChain?: { ok: boolean; checked: number } } };
    if (response.status !== 200 || json.errors) throw new Error(`check failed (${response.status}): ${JSON.stringify(json).slice(0, 400)}`);
    if (json.data?.verifyAuditChain && !json.data.verifyAuditChain.ok) throw new Error("the audit chain does not verify");
  }
  console.log(`expensive request admitted (cost limit ${MAX_QUERY_COMPLEXITY}); ${CHEAP_CLIENTS} cheap clients, ${SECONDS} s each phase`);

  const load = () => closedLoopLoad({ url: api.url, method: "POST", headers, body: cheap, connections: CHEAP_CLIENTS, seconds: SECONDS });
  const alone = await load();
  let stop = false;
  const heavy = { requests: 0, errors: 0, ms: [] as number[] };
  const heavyLoop = (async () => {
    while (!stop) {
      const s = performance.now();
      try {
        const response = await fetch(api.url, { method: "POST", headers, body: expensive });
        const json = (await response.json()) as { errors?: unknown[] };
        if (response.status !== 200 || json.errors) heavy.errors++;
        else heavy.requests++;
      } catch {
        heavy.errors++;
      }
      heavy.ms.push(performance.now() - s);
    }
  })();
  const withHeavy = await load();
  stop = true;
  await heavyLoop;
  heavy.ms.sort((a, b) => a - b);

  const line = (name: string, r: typeof alone) =>
    `${name.padEnd(24)} ${String(r.requests).padStart(7)} req  ${String(r.perSecond).padStart(7)} req/s  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms  max ${r.latency.max} ms  errors ${r.errors}  non-2xx ${r.non2xx}`;
  console.log(line("cheap alone", alone));
  console.log(line("cheap + expensive client", withHeavy));
  console.log(
    `expensive client: ${heavy.requests} answered, ${heavy.errors} errors, median ${Math.round(heavy.ms[Math.floor(heavy.ms.length / 2)] ?? Number.NaN)} ms`,
  );
  const errors = alone.errors + alone.non2xx + withHeavy.errors + withHeavy.non2xx + heavy.errors;
  const ratio = withHeavy.latency.p99 / alone.latency.p99;
  console.log(
    `errors ${errors} (target 0); cheap p99 ratio with/without the expensive client ${ratio.toFixed(2)}× (target ≤ 2×) — ${errors === 0 && ratio <= 2 ? "met" : "NOT met"}`,
  );
} finally {
  await api.stop();
  await queue.stop();
  await t.dispose();
}

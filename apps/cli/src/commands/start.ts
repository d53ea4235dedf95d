import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import {
  auditAnchorFile,
  countUsers,
  createApiToken,
  createUser,
  findRun,
  openDatabase,
  openJobQueue,
  readEnv,
  systemActor,
  verbose,
  type Database,
} from "@gdc/db";
import { startApi } from "@gdc/api";
import { startWorker } from "@gdc/worker";
import { startWeb } from "@gdc/web/serve.mjs";
import { CliError } from "../errors.ts";
import { ensureDemo } from "../demo.ts";
import { createProgress } from "../progress.ts";

export function register(program: Command): void {
  program
    .command("start")
    .description("Run GenDataCarto locally: database (embedded unless DATABASE_URL is set), job worker, GraphQL API, web app, and the demo data")
    .option("--port <port>", "port of the web app", "3000")
    .option("--api-port <port>", "port of the GraphQL API", "4000")
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .option("--no-web", "serve the GraphQL API only")
    .option("--no-demo", "do not seed the demo data")
    .action(async (opts: { port: string; apiPort: string; host: string; web: boolean; demo: boolean }) => {
      const webPort = parsePort("--port", opts.port);
      const apiPort = parsePort("--api-port", opts.apiPort);
      const env = readEnv();
      const say = (m: string) => process.stderr.write(`${m}\n`);
      say(env.databaseUrl ? "Using PostgreSQL from DATABASE_URL" : `Using the embedded database in ${env.dataDir}`);
      const db = await openDatabase({ migrate: true, onStep: say });
      const queue = await openJobQueue(db);
      // The worker's recovery sweep re-enqueues stale runs and studies, and checkpoints the audit
      // chain head into an anchor file outside the database (embedded: next to the data dir).
      const anchorFile = auditAnchorFile() ?? (env.databaseUrl ? null : path.join(path.dirname(env.dataDir), "audit-anchor.jsonl"));
      const logJobs = verbose();
      await startWorker({ db, queue, log: (m) => (logJobs ? say(m) : undefined) }, { auditAnchorFile: anchorFile });
      const api = await startApi({ db, queue }, { port: apiPort, host: opts.host, introspection: env.introspection, debugErrors: env.debugErrors });
      const demo = opts.demo ? await ensureDemo(db, queue, path.join(path.dirname(env.dataDir), "demo-tokens.json"), say) : null;
      const admin = demo ? null : await ensureAdminToken(db, path.join(path.dirname(env.dataDir), "admin-token.json"));
      const web = opts.web ? await startWeb({ port: webPort, host: opts.host, apiUrl: api.url, onStep: say }) : null;

      say("");
      say(`GraphQL API  ${api.url}`);
      if (web) say(`Web app      ${web.url}`);
      if (admin) say(`Admin token (${admin.email}): ${admin.token}`);
      if (demo?.tokens.length) {
        say("Sign in with one of these API tokens:");
        for (const t of demo.tokens) say(`  ${t.role.padEnd(8)} ${t.email.padEnd(22)} ${t.token}`);
      }
      if (demo?.runId) {
        if (web) say(`The demo run: ${web.url}/runs/${demo.runId}`);
        await showRunProgress(db, demo.runId, say);
      }
      say("Press Ctrl+C to stop.");
      await new Promise<void>((resolve) => {
        process.once("SIGINT", () => resolve());
        process.once("SIGTERM", () => resolve());
      });
      say("Stopping…");
      await web?.stop();
      await api.stop();
      await queue.stop();
      await db.close();
    });
}

function parsePort(flag: string, value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`${flag}: "${value}" is not a port number`);
  return port;
}

/** A progress bar for the demo run until it is scored (the web page shows the same live). */
async function showRunProgress(db: Database, runId: string, say: (m: string) => void) {
  let run = await findRun(db, runId);
  if (!run || run.status === "SUCCEEDED" || run.status === "FAILED" || run.status === "CANCELLED") return;
  say("Training the demo run (per-example dynamics are recorded every epoch):");
  const bar = createProgress("  training", run.epochs * 100, "%·epochs");
  while (run && (run.status === "QUEUED" || run.status === "RUNNING" || run.status === "SCORING")) {
    const within = run.progressSteps > 0 ? run.progressStep / run.progressSteps : 0;
    bar.update(Math.min(run.epochs * 100, Math.round((run.progressEpoch + (run.status === "SCORING" ? 0 : within)) * 100)));
    await new Promise((r) => setTimeout(r, 1000));
    run = await findRun(db, runId);
  }
  bar.update(run ? run.epochs * 100 : 0);
  bar.stop();
  say(
    run?.status === "SUCCEEDED"
      ? "Demo run scored (it trained on released version 1); its proposals wait in the review queue, on the child draft version 2."
      : `Demo run ended ${run?.status}: ${run?.error ?? ""}`,
  );
}

/**
 * Without the demo, the first start of an empty store creates an ADMIN and prints its token,
 * so there is someone to create the other users. On the embedded store the token is kept next
 * to the data (a local, single-user setup) so later starts can show it again; on a server it
 * is printed once only.
 */
async function ensureAdminToken(db: Database, tokenFile: string): Promise<{ email: string; token: string } | null> {
  if (db.kind === "pglite" && fs.existsSync(tokenFile)) return JSON.parse(fs.readFileSync(tokenFile, "utf8")) as { email: string; token: string };
  if ((await countUsers(db)) > 0) return null;
  const actor = systemActor("gdc start");
  const user = await createUser(db, actor, { email: "admin@localhost", name: "Local admin", role: "ADMIN" });
  const { token } = await createApiToken(db, actor, { userId: user.id, name: "gdc start" });
  const admin = { email: user.email, token };
  if (db.kind === "pglite") fs.writeFileSync(tokenFile, JSON.stringify(admin), { mode: 0o600 });
  return admin;
}

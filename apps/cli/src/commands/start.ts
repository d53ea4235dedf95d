import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { createApiToken, createUser, openDatabase, openJobQueue, readEnv, systemActor, type Database } from "@gdc/db";
import { startApi } from "@gdc/api";
import { startWorker } from "@gdc/worker";
import { CliError } from "../errors.ts";

export function register(program: Command): void {
  program
    .command("start")
    .description("Run GenDataCarto locally: database (embedded unless DATABASE_URL is set), job worker and GraphQL API")
    .option("--port <port>", "port of the GraphQL API", "4000")
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .action(async (opts: { port: string; host: string }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port: "${opts.port}" is not a port number`);
      const env = readEnv();
      const say = (m: string) => process.stderr.write(`${m}\n`);
      say(env.databaseUrl ? "Using PostgreSQL from DATABASE_URL" : `Using the embedded database in ${env.dataDir}`);
      const db = await openDatabase({ migrate: true, onStep: say });
      const queue = await openJobQueue(db);
      await startWorker({ db, queue, log: say });
      const api = await startApi({ db, queue }, { port, host: opts.host, production: env.production });
      const admin = await ensureAdminToken(db, env.dataDir);
      say("");
      say(`GraphQL API: ${api.url}`);
      if (admin) say(`Admin token (${admin.email}): ${admin.token}`);
      say("Press Ctrl+C to stop.");
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      say("Stopping…");
      await api.stop();
      await queue.stop();
      await db.close();
    });
}

/**
 * The first start creates an ADMIN user and a token. On the embedded store the token is kept
 * next to the data (a local, single-user setup) so later starts can show it again; on a server
 * it is printed once only.
 */
async function ensureAdminToken(db: Database, dataDir: string): Promise<{ email: string; token: string } | null> {
  const tokenFile = path.join(path.dirname(dataDir), "admin-token.json");
  if (db.kind === "pglite" && fs.existsSync(tokenFile)) return JSON.parse(fs.readFileSync(tokenFile, "utf8")) as { email: string; token: string };
  if ((await db.prisma.user.count()) > 0) return null;
  const actor = systemActor("gdc start");
  const user = await createUser(db, actor, { email: "admin@localhost", name: "Local admin", role: "ADMIN" });
  const { token } = await createApiToken(db, actor, { userId: user.id, name: "gdc start" });
  const admin = { email: user.email, token };
  if (db.kind === "pglite") fs.writeFileSync(tokenFile, JSON.stringify(admin), { mode: 0o600 });
  return admin;
}

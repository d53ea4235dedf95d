#!/usr/bin/env node
// Stands in for Prisma's native `schema-engine` binary, which cannot be downloaded here.
// prisma.config.ts points PRISMA_SCHEMA_ENGINE_BINARY at this file. The CLI starts it as
//   schema-engine --datasource '{"url":…}' [--datamodels <file>]…          JSON-RPC over stdio
//   schema-engine --datasource '{"url":…}' cli can-connect-to-database|create-database|drop-database
//   schema-engine --version
// and each RPC request is forwarded to the wasm engine (core.mjs). URLs with host `pglite`
// (postgresql://pglite/<name>?dir=<folder>) select the embedded PGlite store in <folder>.
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import pg from "pg";
import { PGlite } from "@electric-sql/pglite";
import { createSchemaEngine, engineErrorMessage, panics, pgAdapterFactory, pgliteAdapterFactory } from "./core.mjs";

const ENGINE_HASH = "0edf323efd1d98336f3f0a68684b56f689b900d3";
const args = process.argv.slice(2);
const argValues = (name) => args.flatMap((arg, i) => (arg === name && args[i + 1] !== undefined ? [args[i + 1]] : []));

if (args.includes("--version")) {
  process.stdout.write(`schema-engine-cli ${ENGINE_HASH}\n`);
  process.exit(0);
}

const datasource = JSON.parse(argValues("--datasource")[0] ?? "{}");
const url = datasource.url ? new URL(datasource.url) : undefined;
const pgliteDir = url?.hostname === "pglite" ? url.searchParams.get("dir") : null;
if (url?.hostname === "pglite" && !pgliteDir) fail("P1013", "An embedded (pglite) URL needs ?dir=<data folder>");

if (args.includes("cli")) await runCli(args[args.indexOf("cli") + 1]);
else await serveRpc().catch((error) => fail(error.code ?? "P1001", error.message));

/** Errors reach the CLI as JSON log lines on stderr, like the native engine's (the CLI skips the first line). */
function fail(code, message) {
  const log = (level, fields) => process.stderr.write(`${JSON.stringify({ level, target: "schema_engine::logger", fields })}\n`);
  log("INFO", { message: "schema-engine (wasm bridge)" });
  log("ERROR", { error_code: code, message });
  process.exit(1);
}

async function runCli(command) {
  // The embedded store is created when first opened; nothing to check or create here.
  if (pgliteDir) process.exit(0);
  if (!url) fail("P1012", "No datasource URL");
  const database = decodeURIComponent(url.pathname.slice(1));
  const admin = new URL(url.href);
  admin.pathname = "/postgres";
  const sql = {
    "can-connect-to-database": null,
    "create-database": `CREATE DATABASE "${database}"`,
    "drop-database": `DROP DATABASE "${database}" WITH (FORCE)`,
  }[command];
  if (sql === undefined) fail("P1012", `Unknown cli command ${command}`);
  const client = new pg.Client({ connectionString: sql ? admin.href : url.href });
  try {
    await client.connect();
    if (sql) await client.query(sql);
  } catch (error) {
    if (error.code === "3D000") fail("P1003", `Database \`${database}\` does not exist on the database server at \`${url.host}\`.`);
    fail("P1001", `Can't reach database server at \`${url.host}\`: ${error.message}`);
  }
  await client.end();
  process.exit(0);
}

async function serveRpc() {
  const debug = process.env.GDC_SCHEMA_ENGINE_DEBUG ? (line) => process.stderr.write(`${line}\n`) : () => {};
  const datamodels = argValues("--datamodels").map((file) => [file, fs.readFileSync(file, "utf8")]);
  let pglite, releaseLock;
  if (pgliteDir) {
    releaseLock = await lockDataDir(pgliteDir);
    pglite = await PGlite.create(pgliteDir);
  }
  const factory = pglite ? pgliteAdapterFactory(pglite) : pgAdapterFactory(datasource.url, datasource.shadowDatabaseUrl);
  const engine = await createSchemaEngine(factory, datamodels, debug);

  let queue = Promise.resolve();
  // The CLI ends stdin and sends SIGTERM at once when it is done: close PGlite (single-process,
  // its files must be flushed) and drop leftover shadow databases before exiting.
  let closing;
  const shutdown = () =>
    (closing ??= (async () => {
      await queue.catch(() => {});
      engine.free();
      await factory.cleanup().catch(() => {});
      await pglite?.close();
      releaseLock?.();
      process.exit(0);
    })());
  process.on("SIGTERM", shutdown).on("SIGINT", shutdown);

  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  lines.on("line", (line) => {
    if (!line.trim()) return;
    const request = JSON.parse(line);
    if (!request.method) return; // the CLI's answer to a `print`
    queue = queue.then(() => answer(engine, factory, request));
  });
  lines.on("close", shutdown);
}

async function answer(engine, factory, { id, method, params }) {
  let reply;
  try {
    // Not in the wasm engine: getDatabaseVersion is called `version`; createDatabase is done by `cli create-database`.
    const name = method === "getDatabaseVersion" ? "version" : method;
    if (typeof engine[name] !== "function" || name === "free")
      throw Object.assign(new Error(`Method ${method} is not supported by the wasm schema engine`), { code: "P1012" });
    const result = (await callEngine(engine, name, params)) ?? null;
    // The native engine hands a diff to the CLI for printing (stdout, or --output) with a `print` request.
    if (typeof result?.stdout === "string") {
      const content = result.stdout.replace(/\n$/, "");
      process.stdout.write(`${JSON.stringify({ jsonrpc: "2.0", id: `print-${id}`, method: "print", params: { content } })}\n`);
      result.stdout = null;
    }
    reply = { result };
  } catch (error) {
    reply = { error: rpcError(error, engineErrorMessage(factory, error)) };
  }
  process.stdout.write(`${JSON.stringify({ jsonrpc: "2.0", id, ...reply })}\n`);
}

/**
 * The wasm engine gets no shadow-database factory in `evaluateDataLoss` (it fails with "shadow
 * DB must be provided through an external factory"), which made a plain `migrate dev` after a
 * schema change fail. The CLI only uses the answer to warn about data loss before creating the
 * migration, so answer "no warnings" and let createMigration (which does get the factory)
 * compute the migration; say so on stderr: review the generated SQL for destructive steps.
 */
async function callEngine(engine, name, params) {
  try {
    return await engine[name](params);
  } catch (error) {
    if (name !== "evaluateDataLoss" || !/shadow DB must be provided/i.test(String(error?.message ?? error))) throw error;
    process.stderr.write("Note: data-loss warnings are not evaluated offline; review the generated migration.sql.\n");
    return { migrationSteps: 1, warnings: [], unexecutableSteps: [] };
  }
}

/** The shape the CLI expects from the native engine: user-facing errors carry a P-code. */
function rpcError(error, errorMessage) {
  const panic = error instanceof WebAssembly.RuntimeError;
  const message = panic ? (panics.last ?? errorMessage) : errorMessage;
  return {
    code: 4466,
    message: "An error happened. Check the data field for details.",
    data: { is_panic: panic, message, error_code: error?.code, meta: error?.meta, backtrace: panic ? error.stack : undefined },
  };
}

/** Same pid lock file as libs/db/src/database.ts; waits a little for a previous engine to exit. */
async function lockDataDir(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const lockFile = path.join(dir, "gdc.lock");
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: "wx" });
      return () => fs.rmSync(lockFile, { force: true });
    } catch {
      const holder = Number(fs.readFileSync(lockFile, "utf8"));
      if (!holder || !isAlive(holder)) fs.rmSync(lockFile, { force: true });
      else if (attempt >= 100) fail("P1001", `The embedded database in ${dir} is in use by process ${holder}.`);
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

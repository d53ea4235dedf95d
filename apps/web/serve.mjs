// @ts-check
// startWeb(): what `gdc start` and the end-to-end tests call to get the web app running.
//
// 1. Builds the app (`next build`, in a child process) when `.next/BUILD_ID` is missing or
//    older than any source file, reporting progress through `onStep`.
// 2. Starts the production server in a child process (this same file, run with `--child`),
//    which serves Next through `next({ dev: false })` on a plain node:http server.
//
// In the child, POST /graphql and GET/HEAD /export/* (the data map's Arrow file) are forwarded
// to the API by plain streaming proxies (api-proxy.mjs) before Next sees the request: the same
// proxy the app's /graphql and /export route handlers (`next start`, `next dev`) call, without
// the App Router's per-request machinery — under load that handler added ~90 ms to every
// GraphQL call, a streamed pipe adds a few.
//
// Why a child process rather than Next inside the caller's process: `gdc start` also runs the
// API and the training worker, whose TensorFlow.js steps hold the event loop for tens of
// milliseconds at a time; Next in its own process stays responsive, has its own heap, and
// its process-wide changes (NODE_ENV, a patched global fetch) never reach the API. The child
// keeps an IPC channel to its parent and exits when that closes, so it cannot outlive it.
import { spawn, fork } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { nodeProxy } from "./api-proxy.mjs";
import { DEFAULT_API_URL, webEnv } from "./env.mjs";

const dir = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const SOURCES = ["src", "public", "next.config.ts", "package.json", "tsconfig.json", "api-proxy.mjs", "env.mjs"];

/** Newest modification time (ms) among the app's sources. */
function newestSourceMtime() {
  let newest = 0;
  const visit = (p) => {
    let stat;
    try {
      stat = fs.statSync(p);
    } catch {
      return;
    }
    if (stat.isDirectory()) {
      for (const name of fs.readdirSync(p)) visit(path.join(p, name));
    } else if (stat.mtimeMs > newest) newest = stat.mtimeMs;
  };
  for (const s of SOURCES) visit(path.join(dir, s));
  return newest;
}

/** True when there is no production build, or a source file changed after it. */
export function needsBuild() {
  const buildId = path.join(dir, ".next", "BUILD_ID");
  if (!fs.existsSync(buildId)) return true;
  return newestSourceMtime() > fs.statSync(buildId).mtimeMs;
}

function childEnv(extra = {}) {
  return { ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", ...extra };
}

/**
 * Runs `next build` and resolves when it succeeds. Lines of its output that say where it is
 * go to `onStep`; on failure the error carries the output's tail.
 * @param {(message: string) => void} onStep
 */
export function buildWeb(onStep = () => {}) {
  const nextBin = require.resolve("next/dist/bin/next");
  const started = Date.now();
  onStep("Building the web app (next build; about a minute on first start)…");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [nextBin, "build"], { cwd: dir, env: childEnv(), stdio: ["ignore", "pipe", "pipe"] });
    const tail = [];
    const onData = (chunk) => {
      for (const raw of String(chunk).split(/\r?\n/)) {
        // eslint-disable-next-line no-control-regex -- strips the ANSI colour codes (ESC [ … m) of next build's output
        const line = raw.replace(/\x1b\[[0-9;]*m/g, "").trim();
        if (!line) continue;
        tail.push(line);
        if (tail.length > 40) tail.shift();
        if (/compil|generating|collecting|finaliz|optimiz|creating an optimized|✓/i.test(line)) onStep(`  web build: ${line}`);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (code === 0) {
        onStep(`Web app built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
        resolve(undefined);
      } else reject(new Error(`next build failed (${signal ?? `exit ${code}`}):\n${tail.join("\n")}`));
    });
  });
}

const isAlive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * A pid lock file next to the build; waits while another live process holds it.
 * @param {(message: string) => void} onStep
 * @returns {Promise<() => void>}
 */
async function lockBuild(onStep) {
  const lock = path.join(dir, ".next-build.lock");
  for (let waited = 0; ; waited++) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: "wx" });
      return () => fs.rmSync(lock, { force: true });
    } catch {
      const holder = Number(fs.readFileSync(lock, "utf8"));
      if (!holder || !isAlive(holder)) {
        fs.rmSync(lock, { force: true });
        continue;
      }
      if (waited === 0) onStep(`Waiting for another build of the web app (process ${holder})…`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

/**
 * Builds if needed, then serves the production build.
 * @param {{ port?: number, host?: string, apiUrl?: string, onStep?: (message: string) => void, build?: "auto" | "always" | "never" }} [options]
 *   port 0 picks a free port; apiUrl is the GraphQL endpoint the same-origin /graphql route forwards to
 *   (GET/HEAD /export/* go to its origin).
 * @returns {Promise<{ url: string, port: number, stop(): Promise<void> }>}
 */
export async function startWeb({ port = 3000, host = "127.0.0.1", apiUrl = DEFAULT_API_URL, onStep = () => {}, build = "auto" } = {}) {
  if (build === "always" || (build === "auto" && needsBuild())) {
    // Two starts at once (gdc start and the e2e suite) must not run two builds into one folder.
    const release = await lockBuild(onStep);
    try {
      if (build === "always" || needsBuild()) await buildWeb(onStep);
    } finally {
      release();
    }
  } else if (build === "never" && !fs.existsSync(path.join(dir, ".next", "BUILD_ID")))
    throw new Error("The web app has no production build (run `npm run build -w @gdc/web`)");

  onStep("Starting the web server…");
  const child = fork(fileURLToPath(import.meta.url), ["--child"], {
    cwd: dir,
    env: childEnv({ GDC_API_URL: apiUrl, GDC_WEB_PORT: String(port), GDC_WEB_HOST: host }),
    stdio: ["ignore", "inherit", "pipe", "ipc"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr = (stderr + String(chunk)).slice(-4000);
    process.stderr.write(chunk);
  });
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);

  const ready = await new Promise((resolve, reject) => {
    child.once("message", (message) => resolve(/** @type {{ port: number }} */ (message)));
    child.once("exit", (code, signal) => reject(new Error(`The web server exited during start-up (${signal ?? `exit ${code}`})\n${stderr}`)));
    child.once("error", reject);
  });
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${ready.port}`;
  onStep(`Web app: ${url}`);
  return {
    url,
    port: ready.port,
    async stop() {
      process.removeListener("exit", killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The child: Next's request handler on a node:http server; tells the parent its port. */
async function runChild() {
  const { default: next } = await import("next");
  const { host, port: listenPort, apiUrl } = webEnv();
  const server = http.createServer();
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(listenPort, host, () => resolve(undefined));
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 3000;
  const app = next({ dev: false, dir, hostname: host, port, httpServer: server });
  const handle = app.getRequestHandler();
  const proxy = nodeProxy("graphql", apiUrl);
  const downloads = nodeProxy("export", apiUrl);
  await app.prepare();
  server.on("request", (req, res) => {
    const pathname = (req.url ?? "/").split("?")[0];
    if (pathname === "/graphql") return proxy(req, res);
    if (pathname.startsWith("/export/")) return downloads(req, res);
    handle(req, res).catch((err) => {
      process.stderr.write(`web: ${err instanceof Error ? err.stack : String(err)}\n`);
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    });
  });
  process.send?.({ port });
  const shutdown = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
  // The parent went away (even by SIGKILL): the IPC channel closes, and so do we.
  process.on("disconnect", shutdown);
}

if (process.argv[2] === "--child" && process.argv[1] === fileURLToPath(import.meta.url)) {
  runChild().catch((err) => {
    process.stderr.write(`web: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}

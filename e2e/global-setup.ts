// Starts the real stack (e2e/stack.ts) in a child process and hands its URLs and tokens to the
// tests through a JSON file named by GDC_E2E_STACK. The child runs under tsx because the
// monorepo's sources import each other with `.ts` extensions. Returns the teardown.
//
// To iterate on tests against a stack that is already up, start it yourself
// (`node --import tsx e2e/stack.ts --out /tmp/stack.json`) and set GDC_E2E_STACK=/tmp/stack.json.
import { fork, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "..");
const stackFile = path.join(here, "artifacts", "stack.json");
const START_TIMEOUT_MS = 6 * 60_000; // includes `next build` when the web build is stale

export default async function globalSetup() {
  if (process.env.GDC_E2E_STACK && fs.existsSync(process.env.GDC_E2E_STACK)) return undefined;
  fs.mkdirSync(path.dirname(stackFile), { recursive: true });
  fs.rmSync(stackFile, { force: true });
  const started = Date.now();
  const child: ChildProcess = fork(path.join(here, "stack.ts"), ["--out", stackFile], {
    cwd: repoRoot,
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the e2e stack did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    child.once("message", () => {
      clearTimeout(timer);
      resolve();
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the e2e stack exited during start-up (${signal ?? `exit ${code}`})`));
    });
  });
  process.env.GDC_E2E_STACK = stackFile;
  process.stderr.write(`e2e: stack up in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
  };
}

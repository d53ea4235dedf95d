import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, test } from "vitest";

// The embedded path end to end: `gdc start` with no DATABASE_URL creates a PGlite store,
// migrates it, serves GraphQL; a second start reuses the data.
const gdc = path.resolve(import.meta.dirname, "../bin/gdc.mjs");
const dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), "gdc-start-"));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
  fs.rmSync(dataRoot, { recursive: true, force: true });
});

async function start(port: number): Promise<{ child: ChildProcess; output: () => string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, GDC_DATA_DIR: path.join(dataRoot, "pgdata") };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, [gdc, "start", "--no-web", "--no-demo", "--api-port", String(port)], { env, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (output.includes("Press Ctrl+C")) {
        clearInterval(timer);
        resolve();
      }
    }, 100);
    child.once("exit", (code) => {
      clearInterval(timer);
      reject(new Error(`gdc start exited ${code}:\n${output}`));
    });
  });
  return { child, output: () => output };
}

async function stop(child: ChildProcess) {
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGINT");
  await exited;
}

async function graphql(port: number, query: string, token?: string) {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as { data?: Record<string, unknown>; errors?: { message: string; extensions?: { code?: string } }[] };
}

test("gdc start on the embedded store serves GraphQL, and a second start reuses the data", async () => {
  const port = 4300 + Math.floor(Math.random() * 500);
  const first = await start(port);
  expect(first.output()).toContain("Using the embedded database");
  expect(first.output()).toContain("Applying database migrations");
  const token = /Admin token \(admin@localhost\): (\S+)/.exec(first.output())?.[1];
  expect(token).toBeTruthy();
  const unauthenticated = await graphql(port, "{ datasets { id } }");
  expect(unauthenticated.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  const created = await graphql(port, `mutation { createDataset(input: { name: "smoke" }) { id name } }`, token);
  expect(created.errors).toBeUndefined();
  await stop(first.child);

  const second = await start(port);
  expect(second.output()).not.toContain("Applying database migrations");
  const listed = await graphql(port, "{ datasets { name versions { number status } } }", token);
  expect(listed.data).toEqual({ datasets: [{ name: "smoke", versions: [{ number: 1, status: "DRAFT" }] }] });
  await stop(second.child);
});

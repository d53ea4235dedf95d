// GDC_API_PROCESSES: several API processes on one port, started and stopped as one.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, test } from "vitest";
import { readEnv } from "@gdc/db";
import { createTestDatabase, seedUser, type TestDatabase } from "@gdc/db/testing";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => t?.dispose());

const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));

test("GDC_API_PROCESSES is validated, and defaults to one process", () => {
  expect(readEnv({}).apiProcesses).toBe(1);
  expect(readEnv({ GDC_API_PROCESSES: "3" }).apiProcesses).toBe(3);
  expect(() => readEnv({ GDC_API_PROCESSES: "0" })).toThrow(/GDC_API_PROCESSES must be a whole number/);
  expect(() => readEnv({ GDC_API_PROCESSES: "two" })).toThrow(/GDC_API_PROCESSES/);
});

test.runIf(Boolean(process.env.DATABASE_URL))(
  "two API processes serve one port, and stop together on SIGTERM",
  async () => {
    const { token } = await seedUser(t.db, "VIEWER");
    const child = spawn(process.execPath, ["--import", "tsx", main], {
      env: { ...process.env, DATABASE_URL: t.db.connectionString, PORT: "0", HOST: "127.0.0.1", GDC_API_PROCESSES: "2", NODE_ENV: "production" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.once("exit", (code) => reject(new Error(`main.ts exited ${code}`)));
        createInterface({ input: child.stderr! }).on("line", (line) => {
          const m = /^GraphQL API: (\S+) \(2 processes\)$/.exec(line);
          if (m) resolve(m[1]!);
        });
      });
      // Concurrent requests, each on its own connection (the primary hands connections to the workers in turn).
      const answers = await Promise.all(
        Array.from({ length: 8 }, () =>
          fetch(url, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${token}`, connection: "close" },
            body: JSON.stringify({ query: "{ me { role } }" }),
          }).then((r) => r.json()),
        ),
      );
      for (const a of answers) expect(a).toEqual({ data: { me: { role: "VIEWER" } } });
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  },
  60_000,
);

test("more than one process needs PostgreSQL", async () => {
  const env = { ...process.env, GDC_API_PROCESSES: "2" } as NodeJS.ProcessEnv;
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, ["--import", "tsx", main], { env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (c) => (stderr += String(c)));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  expect(code).not.toBe(0);
  expect(stderr).toMatch(/GDC_API_PROCESSES > 1 needs DATABASE_URL/);
}, 60_000);

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { can } from "../src/lib/session";

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../src");
const files = (dir: string): string[] =>
  fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : /\.(ts|tsx|mjs)$/.test(e.name) ? [path.join(dir, e.name)] : []));

test("can() answers from the API's me.permissions, nothing else", () => {
  const me = { permissions: ["createDataset", "startRun"] };
  expect(can(me, "startRun")).toBe(true);
  expect(can(me, "reviewIntervention")).toBe(false);
  expect(can(null, "startRun")).toBe(false);
  expect(can({ permissions: [] }, "startRun")).toBe(false);
});

test("the web names no role: who may do what comes from the API (User.permissions, canOverrideReleaseGate)", () => {
  // graphql-env.d.ts is the API's schema (generated), where the Role enum is named, not web code.
  const offenders = files(src)
    .filter((file) => path.basename(file) !== "graphql-env.d.ts")
    .flatMap((file) =>
      fs
        .readFileSync(file, "utf8")
        .split("\n")
        .flatMap((line, i) =>
          /\b(ADMIN|ENGINEER|REVIEWER|VIEWER)\b|lib\/permissions/.test(line) ? [`${path.relative(src, file)}:${i + 1}: ${line.trim()}`] : [],
        ),
    );
  expect(offenders).toEqual([]);
});

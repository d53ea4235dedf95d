import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { SCHEMA_MODULES } from "../src/schema/index.ts";

test("every module in src/schema is listed in SCHEMA_MODULES (none silently left out of the API)", () => {
  const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../src/schema");
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".ts") && f !== "index.ts")
    .map((f) => f.slice(0, -3))
    .sort();
  expect(Object.keys(SCHEMA_MODULES).sort()).toEqual(files);
});

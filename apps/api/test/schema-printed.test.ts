import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { PRINTED_SCHEMA_PATH, printedSchema } from "../src/printed-schema.ts";

test("the committed apps/api/schema.graphql is the schema the server serves (run `npm run schema:print -w @gdc/api` if not)", async () => {
  expect(readFileSync(PRINTED_SCHEMA_PATH, "utf8")).toBe(await printedSchema());
});

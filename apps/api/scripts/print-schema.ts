// Writes apps/api/schema.graphql from the schema modules (npm run schema:print -w @gdc/api).
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PRINTED_SCHEMA_PATH, printedSchema } from "../src/printed-schema.ts";

writeFileSync(PRINTED_SCHEMA_PATH, await printedSchema());
process.stdout.write(`wrote ${fileURLToPath(PRINTED_SCHEMA_PATH)}\n`);

// The committed introspection types (src/graphql-env.d.ts), which type every web document, are
// what gql.tada generates from the API's printed schema (apps/api/schema.graphql) today. When
// this fails: `npm run graphql:types -w @gdc/web`, then fix what `tsc -p apps/web` finds.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "vitest";
import { gqlTada, webRoot } from "./gql-tada";

test("src/graphql-env.d.ts is up to date with apps/api/schema.graphql", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gdc-graphql-env-"));
  try {
    const fresh = path.join(dir, "graphql-env.d.ts");
    gqlTada(["generate", "output", "--tsconfig", path.join(webRoot, "tsconfig.json"), "--output", fresh]);
    const committed = fs.readFileSync(path.join(webRoot, "src/graphql-env.d.ts"), "utf8");
    expect(fs.readFileSync(fresh, "utf8") === committed, "stale: run `npm run graphql:types -w @gdc/web`").toBe(true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

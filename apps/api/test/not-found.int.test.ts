// A bad id in a URL (issue 15): every `thing(id:)` query answers null for an id that is not a
// UUID, as for an unknown one, instead of PostgreSQL's "invalid input syntax for type uuid".
import { afterAll, beforeAll, expect, test } from "vitest";
import { startGovernanceHarness, type GovernanceHarness } from "./governance-harness.ts";

let h: GovernanceHarness;
beforeAll(async () => {
  h = await startGovernanceHarness();
});
afterAll(async () => h?.close());

test.each(["xyz", "00000000-0000-7000-8000-000000000000", "'; drop table runs; --"])("id %j: every lookup is null, with no error", async (id) => {
  const body = await h.gql(
    h.users.VIEWER.token,
    `query ($id: ID!) { dataset(id: $id) { id } version(id: $id) { id } run(id: $id) { id } example(id: $id) { id } intervention(id: $id) { id } study(id: $id) { id } }`,
    { id },
  );
  expect(body.errors).toBeUndefined();
  expect(body.data).toEqual({ dataset: null, version: null, run: null, example: null, intervention: null, study: null });
});

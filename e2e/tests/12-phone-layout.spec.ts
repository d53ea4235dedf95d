import { test, expect } from "./fixtures";
import type { StackInfo } from "../stack";

// Phones (issue 15): the review queue and a version page fit 390 px without horizontal overflow.
test("the review queue and a version page fit a 390 px phone", async ({ page, stack, signInAs }) => {
  const s: StackInfo = stack;
  // Something in the queue: one proposal on a fresh draft.
  const call = async (query: string, variables: Record<string, unknown>) => {
    const r = await fetch(s.apiUrl, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${s.users.engineer.token}` },
      body: JSON.stringify({ query, variables }),
    });
    return ((await r.json()) as { data: any }).data;
  };
  const draft = (
    await call(`mutation ($p: ID!) { createDraftVersion(input: { parentVersionId: $p, note: "phone" }) { id examples(first: 3) { edges { node { id } } } } }`, {
      p: s.v1Id,
    })
  ).createDraftVersion;
  await call(`mutation ($input: ProposeInput!) { proposeInterventions(input: $input) { proposed } }`, {
    input: {
      versionId: draft.id,
      runId: s.runId,
      exampleIds: draft.examples.edges.map((e: { node: { id: string } }) => e.node.id),
      action: "PRUNE",
      reason: "phone layout",
    },
  });

  await page.setViewportSize({ width: 390, height: 844 });
  await signInAs("reviewer");
  await page.goto(`${s.webUrl}/review`);
  await expect(page.getByRole("article").first()).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.goto(`${s.webUrl}/versions/${s.v1Id}`);
  await expect(page.getByTestId("release-summary")).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
});

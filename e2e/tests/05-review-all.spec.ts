import path from "node:path";
import { test, expect, artifacts } from "./fixtures";
import type { StackInfo, UserKey } from "../stack";

// A policy's proposals come by the hundred: a reviewer decides all the shown ones at once, with
// one decision and one reason, and each is reviewed on its own (status, review, audit event).
// Self-contained: its own draft of the released version 1, proposals made through the API.

async function gql<T>(stack: StackInfo, user: UserKey, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(stack.apiUrl, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${stack.users[user].token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown[] };
  if (body.errors?.length) throw new Error(JSON.stringify(body.errors));
  return body.data!;
}

test("a reviewer selects every proposal she may review and approves them at once, with one reason, after a confirmation", async ({ page, stack, signInAs }) => {
  const { createDraftVersion: draft } = await gql<{ createDraftVersion: { id: string } }>(
    stack,
    "engineer",
    `mutation ($parent: ID!) { createDraftVersion(input: { parentVersionId: $parent, note: "review-all" }) { id } }`,
    { parent: stack.v1Id },
  );
  const { version } = await gql<{ version: { examples: { edges: { node: { id: string; isCanary: boolean } }[] } } }>(
    stack,
    "engineer",
    `query ($id: ID!) { version(id: $id) { examples(first: 20) { edges { node { id isCanary } } } } }`,
    { id: draft.id },
  );
  const exampleIds = version.examples.edges
    .filter((e) => !e.node.isCanary)
    .slice(0, 4)
    .map((e) => e.node.id);
  const { proposeInterventions: proposed } = await gql<{ proposeInterventions: { interventions: { id: string }[] } }>(
    stack,
    "engineer",
    `mutation ($input: ProposeInput!) { proposeInterventions(input: $input) { interventions { id } } }`,
    { input: { versionId: draft.id, exampleIds, action: "PRUNE", reason: "duplicates" } },
  );
  const ids = proposed.interventions.map((i) => i.id);
  expect(ids).toHaveLength(4);

  await signInAs("reviewer");
  await page.goto(`${stack.webUrl}/review`);
  await expect(page.getByTestId("queue-count")).toBeVisible();
  await page.getByRole("button", { name: /^Select all \d+ matching that you may review$/ }).click();
  const form = page.getByRole("form", { name: "Review the selected" });
  await form.getByRole("radio", { name: "Approve" }).check();
  const submit = form.getByRole("button", { name: /^Approve \d+ selected…$/ });
  const shown = Number((await submit.innerText()).match(/\d+/)![0]);
  expect(shown).toBeGreaterThanOrEqual(ids.length);
  await form.getByLabel("Reason for all (required)").fill("near-duplicates of other examples");
  await submit.click();
  const confirm = page.getByRole("alertdialog", { name: `Approve ${shown} interventions?` });
  await page.screenshot({ path: path.join(artifacts, "review-all.png") });
  await confirm.getByRole("button", { name: `Confirm: approve ${shown}` }).click();
  await expect(page.getByRole("status").filter({ hasText: "at once" })).toHaveText(`Approved ${shown} interventions at once.`);
  await expect(page.getByRole("form", { name: "Review the selected" })).toHaveCount(0); // nothing left selected

  for (const id of ids) {
    const { intervention } = await gql<{ intervention: { status: string; reviews: { reason: string; reviewer: { id: string } }[] } }>(
      stack,
      "viewer",
      `query ($id: ID!) { intervention(id: $id) { status reviews { reason reviewer { id } } } }`,
      { id },
    );
    expect(intervention).toEqual({ status: "APPROVED", reviews: [{ reason: "near-duplicates of other examples", reviewer: { id: stack.users.reviewer.id } }] });
  }
});

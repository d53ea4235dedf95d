import path from "node:path";
import { fileURLToPath } from "node:url";
import { test, expect, fmt } from "./fixtures";
import type { StackInfo, UserKey } from "../stack";

// Propose by policy from the UI (issue 15; was CLI-only): on a draft, choose a scored run, a
// policy and its parameters, preview how many examples it would propose (the API's dryRun:
// nothing is written), then propose them; a bad parameter is refused naming the field.

const screenshots = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "docs", "screenshots");

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

const proposedOn = async (stack: StackInfo, versionId: string) =>
  (
    await gql<{ version: { interventions: { totalCount: number } } }>(
      stack,
      "engineer",
      `query ($id: ID!) { version(id: $id) { interventions(status: PROPOSED, first: 1) { totalCount } } }`,
      { id: versionId },
    )
  ).version.interventions.totalCount;

test("an engineer previews a policy's proposals on a draft, then proposes them", async ({ page, stack, signInAs }) => {
  const { createDraftVersion: draft } = await gql<{ createDraftVersion: { id: string; number: number } }>(
    stack,
    "engineer",
    `mutation ($p: ID!) { createDraftVersion(input: { parentVersionId: $p, note: "policy from the UI" }) { id number } }`,
    { p: stack.v1Id },
  );
  const members = stack.points - stack.canaries; // canaries are never candidates
  const expected = Math.floor(members / 10);

  await signInAs("engineer");
  await page.goto(`${stack.webUrl}/versions/${draft.id}`);
  const form = page.getByRole("form", { name: "Propose by policy" });
  await form.getByLabel("Scores from run").selectOption(stack.runId);
  await form.getByLabel("Policy").selectOption("pruneTopByMemorization");
  await form.getByLabel(/^Percent of the version/).fill("10");
  // Propose waits for a preview.
  await expect(form.getByRole("button", { name: /^Propose/ })).toBeDisabled();
  await form.getByRole("button", { name: "Preview" }).click();
  await expect(page.getByTestId("policy-preview")).toHaveText(`This policy would propose ${fmt(expected)} examples for review.`);
  expect(await proposedOn(stack, draft.id)).toBe(0); // a preview writes nothing
  await form.getByLabel(/^Reason/).fill("top 10 % by memorization");
  await page.getByTestId("policy-proposal").screenshot({ path: path.join(screenshots, "policy-proposal.png") });

  // Changing a parameter asks for a new preview.
  await form.getByLabel(/^Percent of the version/).fill("5");
  await expect(form.getByRole("button", { name: /^Propose/ })).toBeDisabled();
  await form.getByLabel(/^Percent of the version/).fill("10");
  await form.getByRole("button", { name: "Preview" }).click();
  await form.getByRole("button", { name: `Propose ${fmt(expected)}` }).click();
  await expect(page.getByTestId("policy-done")).toContainText(`Proposed ${fmt(expected)} examples for review`);
  expect(await proposedOn(stack, draft.id)).toBe(expected);

  // Previewed again: all of them are proposed already.
  await form.getByRole("button", { name: "Preview" }).click();
  await expect(page.getByTestId("policy-preview")).toHaveText(
    `This policy would propose 0 examples for review (${fmt(expected)} skipped: already proposed or approved here).`,
  );
  await expect(form.getByRole("button", { name: /^Propose/ })).toBeDisabled();

  // Another policy, with a parameter out of range: refused, naming the field.
  await form.getByLabel("Policy").selectOption("pruneRandom");
  await form.getByLabel(/^Percent of the version/).fill("400");
  await form.getByRole("button", { name: "Preview" }).click();
  await expect(page.getByTestId("policy-proposal").getByRole("alert")).toContainText("policy.params.percent");

  // A viewer does not get the form (the API's permissions say so).
  await signInAs("viewer");
  await page.goto(`${stack.webUrl}/versions/${draft.id}`);
  await expect(page.getByRole("heading", { level: 1 })).toContainText(`version ${draft.number}`);
  await expect(page.getByTestId("policy-proposal")).toHaveCount(0);
});

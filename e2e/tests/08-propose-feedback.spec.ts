import { test, expect, dataMapCanvas, fmt, quadrantCount } from "./fixtures";
import type { StackInfo, UserKey } from "../stack";

// Proposing from the map says what happened (issue 15): disabled Propose says why (blank
// reason, weight out of bounds); a selection that includes examples no longer in the target
// draft is explained, with a way to propose for the rest, instead of a raw error; a repeat
// that proposes nothing is not styled as success, says what was skipped and keeps the reason.
// Self-contained: a hotspot is pruned by a release made through the API, then a draft follows it.

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

test("proposing on hotspots after a release pruned one of them explains, proposes for the rest, and a repeat keeps the reason", async ({
  page,
  stack,
  signInAs,
}) => {
  const { run } = await gql<{ run: { examples: { edges: { node: { id: string } }[] } } }>(
    stack,
    "engineer",
    `query ($id: ID!) { run(id: $id) { examples(first: 1, filter: { quadrants: [HOTSPOT_MEMORIZED], isCanary: false }) { edges { node { id } } } } }`,
    { id: stack.runId },
  );
  const pruned = run.examples.edges[0]!.node.id;
  const mk = async (parent: string) =>
    (
      await gql<{ createDraftVersion: { id: string; number: number } }>(
        stack,
        "engineer",
        `mutation ($p: ID!) { createDraftVersion(input: { parentVersionId: $p, note: "propose-feedback" }) { id number } }`,
        { p: parent },
      )
    ).createDraftVersion;
  const released = await mk(stack.v1Id);
  const { proposeInterventions } = await gql<{ proposeInterventions: { interventions: { id: string }[] } }>(
    stack,
    "engineer",
    `mutation ($input: ProposeInput!) { proposeInterventions(input: $input) { interventions { id } } }`,
    { input: { versionId: released.id, exampleIds: [pruned], action: "PRUNE", reason: "setup" } },
  );
  await gql(stack, "reviewer2", `mutation ($input: ReviewBatchInput!) { reviewInterventions(input: $input) { id } }`, {
    input: { interventionIds: proposeInterventions.interventions.map((i) => i.id), decision: "APPROVE", reason: "setup" },
  });
  await gql(stack, "admin", `mutation ($v: ID!) { releaseVersion(input: { versionId: $v }) { id } }`, { v: released.id });
  const target = await mk(released.id);

  await signInAs("engineer");
  await page.goto(`${stack.webUrl}/runs/${stack.runId}`);
  const canvas = dataMapCanvas(page);
  await expect(canvas).toHaveAttribute("data-drawn-points", String(stack.points));
  const hotspots = await quadrantCount(page, "Memorization hotspot");
  for (const other of ["Stable / easy", "Ambiguous / hard", "Noisy outlier"]) await page.getByRole("checkbox", { name: other }).uncheck();
  await page.getByRole("button", { name: "Select all shown" }).click();
  await expect(page.getByTestId("selected-count")).toHaveText(fmt(hotspots));
  await page.getByLabel("Apply to draft version").selectOption({ label: `Version ${target.number}` });

  const propose = page.getByRole("button", { name: `Propose for ${fmt(hotspots)} examples` });
  await page.getByRole("radio", { name: "Down-weight" }).check();
  await page.getByLabel("Weight (between 0 and 1)").fill("1e-9");
  await page.getByLabel("Reason").fill("memorized secrets");
  await expect(propose).toBeDisabled();
  await expect(page.getByTestId("propose-why-disabled")).toHaveText("The weight must be between 0.01 and 0.99.");
  await page.getByRole("radio", { name: "Prune (weight 0)" }).check();
  await page.getByLabel("Reason").fill("   ");
  await expect(page.getByTestId("propose-why-disabled")).toContainText("A reason of only spaces is not a reason");
  await page.getByLabel("Reason").fill("memorized secrets");
  await expect(propose).toBeEnabled();

  await propose.click();
  const explained = page.getByTestId("not-members");
  // The pruned hotspot (and any canary among the hotspots: canaries are never released) is not in the draft.
  await expect(explained).toContainText(new RegExp(`selected examples? (is|are) not in draft version ${target.number}`));
  await expect(page.getByLabel("Reason")).toHaveValue("memorized secrets");
  await explained.getByRole("button", { name: `Leave out the examples not in version ${target.number} and propose for the rest` }).click();
  const status = page.getByRole("status").filter({ hasText: "Proposed" });
  await expect(status).toContainText(`left out: not in version ${target.number}`);
  const leftOut = Number((await status.innerText()).match(/; (\d+) left out/)![1]);
  expect(leftOut).toBeGreaterThanOrEqual(1);
  await expect(status).toContainText(`Proposed ${fmt(hotspots - leftOut)} interventions`);
  await expect(status).toHaveClass(/success/);

  // The same again: nothing new, said so, and the reason stays.
  await page.getByLabel("Reason").fill("second thoughts");
  await propose.click();
  const again = page.getByRole("status").filter({ hasText: "Proposed 0" });
  await expect(again).toContainText(`already have a proposed or approved intervention on version ${target.number}`);
  await expect(again).toHaveClass(/notice/);
  await expect(page.getByLabel("Reason")).toHaveValue("second thoughts");
});

import path from "node:path";
import { test, expect, artifacts } from "./fixtures";
import type { StackInfo, UserKey } from "../stack";

// Review queue triage (issue 15): search and filter, the example's earlier decision on another
// version, a whitespace-only reason refused with a message, checkboxes and a bulk rejection of
// the selected after a confirmation, and "Show more" paging by cursor (never a larger page).
// Self-contained: its own drafts of the released version 1, proposals made through the API.

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

const PROPOSE = `mutation ($input: ProposeInput!) { proposeInterventions(input: $input) { interventions { id example { key } } } }`;
type Proposed = { proposeInterventions: { interventions: { id: string; example: { key: string } }[] } };

async function draft(stack: StackInfo, note: string) {
  const { createDraftVersion } = await gql<{ createDraftVersion: { id: string; number: number } }>(
    stack,
    "engineer",
    `mutation ($parent: ID!, $note: String) { createDraftVersion(input: { parentVersionId: $parent, note: $note }) { id number } }`,
    { parent: stack.v1Id, note },
  );
  const { version } = await gql<{ version: { examples: { edges: { node: { id: string; isCanary: boolean } }[] } } }>(
    stack,
    "engineer",
    `query ($id: ID!) { version(id: $id) { examples(first: 200) { edges { node { id isCanary } } } } }`,
    { id: createDraftVersion.id },
  );
  return { ...createDraftVersion, exampleIds: version.examples.edges.filter((e) => !e.node.isCanary).map((e) => e.node.id) };
}

test("a reviewer searches, filters, sees an earlier rejection, is told a blank reason is no reason, and rejects a selection after confirming", async ({
  page,
  stack,
  signInAs,
}) => {
  const tag = `triage-${Date.now()}`;
  // Version A: the example is proposed and rejected.
  const a = await draft(stack, `${tag} A`);
  const repeated = a.exampleIds[150]!;
  const earlier = await gql<Proposed>(stack, "engineer", PROPOSE, {
    input: { versionId: a.id, exampleIds: [repeated], action: "PRUNE", reason: `${tag} first try` },
  });
  await gql(stack, "reviewer2", `mutation ($input: ReviewBatchInput!) { reviewInterventions(input: $input) { id } }`, {
    input: { interventionIds: earlier.proposeInterventions.interventions.map((i) => i.id), decision: "REJECT", reason: "ordinary text, not memorized" },
  });
  // Version B: the same example again, plus three prunes and two down-weights.
  const b = await draft(stack, `${tag} B`);
  const again = await gql<Proposed>(stack, "engineer", PROPOSE, {
    input: { versionId: b.id, exampleIds: [repeated], action: "PRUNE", reason: `${tag} again` },
  });
  const prunes = await gql<Proposed>(stack, "engineer", PROPOSE, {
    input: { versionId: b.id, exampleIds: b.exampleIds.slice(160, 163), action: "PRUNE", reason: `${tag} prune` },
  });
  await gql<Proposed>(stack, "engineer", PROPOSE, {
    input: { versionId: b.id, exampleIds: b.exampleIds.slice(170, 172), action: "DOWNWEIGHT", weight: 0.5, reason: `${tag} down` },
  });
  const repeatedKey = again.proposeInterventions.interventions[0]!.example.key;

  await signInAs("reviewer");
  await page.goto(`${stack.webUrl}/review`);
  await expect(page.getByTestId("queue-count")).toBeVisible();
  const filters = page.getByRole("form", { name: "Filter the queue" });
  await filters.getByLabel("Search").fill(tag);
  await expect(page.getByTestId("queue-matching")).toHaveText("6");
  await filters.getByLabel("Action").selectOption("DOWNWEIGHT");
  await expect(page.getByTestId("queue-matching")).toHaveText("2");
  await expect(page.getByRole("article")).toHaveCount(2);
  await filters.getByLabel("Action").selectOption("");
  await filters.getByLabel("Version").selectOption({ label: `${stack.datasetName} v${b.number}` });
  await expect(page.getByTestId("queue-matching")).toHaveText("6");

  // The example rejected on version A says so on version B.
  await filters.getByLabel("Search").fill(`${tag} again`);
  const repeat = page.getByRole("article").filter({ hasText: repeatedKey });
  await expect(repeat.getByTestId("earlier-decisions")).toContainText(`Rejected a prune on version ${a.number} by Rob Reviewer`);
  await expect(repeat.getByTestId("earlier-decisions")).toContainText("ordinary text, not memorized");

  // A reason of spaces is refused, visibly, and nothing is sent.
  await repeat.getByRole("radio", { name: "Approve" }).check();
  await repeat.getByLabel("Reason (required)").fill("   ");
  await repeat.getByRole("button", { name: "Submit review" }).click();
  await expect(repeat.getByRole("alert")).toContainText("A reason of only spaces is not a reason");
  await expect(repeat).toBeVisible();

  // Select two prunes, reject them together after a confirmation that states the count.
  await filters.getByLabel("Search").fill(`${tag} prune`);
  await expect(page.getByRole("article")).toHaveCount(3);
  const keys = prunes.proposeInterventions.interventions.map((i) => i.example.key);
  await page.getByLabel(`Select ${keys[0]}`).check();
  await page.getByLabel(`Select ${keys[1]}`).check();
  const bulk = page.getByRole("form", { name: "Review the selected" });
  await bulk.getByRole("radio", { name: "Reject" }).check();
  await bulk.getByLabel("Reason for all (required)").fill("  ");
  await bulk.getByRole("button", { name: "Reject 2 selected…" }).click();
  await expect(bulk.getByRole("alert")).toContainText("A reason of only spaces is not a reason");
  await bulk.getByLabel("Reason for all (required)").fill("common phrasing, not memorized");
  await bulk.getByRole("button", { name: "Reject 2 selected…" }).click();
  const confirm = page.getByRole("alertdialog", { name: "Reject 2 interventions?" });
  await expect(confirm).toContainText("common phrasing, not memorized");
  await page.screenshot({ path: path.join(artifacts, "review-triage.png"), fullPage: true });
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await expect(page.getByRole("article")).toHaveCount(3);
  await bulk.getByRole("button", { name: "Reject 2 selected…" }).click();
  await confirm.getByRole("button", { name: "Confirm: reject 2" }).click();
  await expect(page.getByRole("status").filter({ hasText: "at once" })).toHaveText("Rejected 2 interventions at once.");
  await expect(page.getByRole("article")).toHaveCount(1);
  await expect(page.getByRole("article")).toContainText(keys[2]!);
});

test("Show more pages the queue by cursor: every request asks for one page of 50", async ({ page, stack, signInAs }) => {
  const c = await draft(stack, "paging");
  await gql<Proposed>(stack, "engineer", PROPOSE, { input: { versionId: c.id, exampleIds: c.exampleIds.slice(0, 120), action: "PRUNE", reason: "paging" } });
  const firsts: unknown[] = [];
  page.on("request", (request) => {
    if (!request.url().endsWith("/graphql") || request.method() !== "POST") return;
    const body = request.postDataJSON() as { operationName?: string; query?: string; variables?: { first?: unknown } };
    if (body.query?.includes("reviewQueue")) firsts.push(body.variables?.first);
  });
  await signInAs("reviewer");
  await page.goto(`${stack.webUrl}/review`);
  await expect(page.getByTestId("queue-count")).toHaveText("50");
  await page.getByRole("button", { name: "Show more (next 50)" }).click();
  await expect(page.getByTestId("queue-count")).toHaveText("100");
  await page.getByRole("button", { name: "Show more (next 50)" }).click();
  await expect(page.getByTestId("queue-count")).not.toHaveText("100");
  expect(firsts.length).toBeGreaterThanOrEqual(3);
  expect(new Set(firsts)).toEqual(new Set([50]));
});

import fs from "node:fs";
import path from "node:path";
import { test, expect, artifacts, fmt } from "./fixtures";
import type { StackInfo, UserKey } from "../stack";

// A release you can understand (issue 15): on a draft, what release will do — approved prunes
// and down-weights as rows, canaries left out, the pending proposals that will leave the queue —
// then a confirmation that states those numbers, and after release the same changes, the
// closed proposals and a download of the released version. Self-contained: its own draft of the
// released version 1, proposals and reviews made through the API.

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

const PROPOSE = `mutation ($input: ProposeInput!) { proposeInterventions(input: $input) { interventions { id } } }`;

test("the released version 1 lists the canaries its release left out", async ({ page, stack, signInAs }) => {
  await signInAs("viewer");
  await page.goto(`${stack.webUrl}/versions/${stack.v1Id}`);
  await expect(page.getByRole("heading", { name: "What releasing version 1 did" })).toBeVisible();
  await expect(page.getByTestId("release-summary")).toContainText(`${fmt(stack.canaries)} canaries left out`);
  await expect(page.getByTestId("release-changes").locator('tr[data-change="CANARY_LEFT_OUT"]')).toHaveCount(stack.canaries);
  // The first version has no parent: no "0 removed · N added" against nothing.
  await expect(page.getByTestId("diff-summary")).toContainText("first version");
  await expect(page.getByRole("button", { name: "Download version 1 (JSONL)" })).toBeVisible();
});

test("a draft previews its release, the confirmation states the numbers, and the released version shows what it did", async ({ page, stack, signInAs }) => {
  const { createDraftVersion: draft } = await gql<{ createDraftVersion: { id: string; number: number } }>(
    stack,
    "engineer",
    `mutation ($parent: ID!) { createDraftVersion(input: { parentVersionId: $parent, note: "release-preview" }) { id number } }`,
    { parent: stack.v1Id },
  );
  const { version } = await gql<{ version: { examples: { edges: { node: { id: string; isCanary: boolean } }[] } } }>(
    stack,
    "engineer",
    `query ($id: ID!) { version(id: $id) { examples(first: 20) { edges { node { id isCanary } } } } }`,
    { id: draft.id },
  );
  const ids = version.examples.edges.filter((e) => !e.node.isCanary).map((e) => e.node.id);
  const prunes = await gql<{ proposeInterventions: { interventions: { id: string }[] } }>(stack, "engineer", PROPOSE, {
    input: { versionId: draft.id, exampleIds: ids.slice(0, 2), action: "PRUNE", reason: "memorized" },
  });
  const downs = await gql<{ proposeInterventions: { interventions: { id: string }[] } }>(stack, "engineer", PROPOSE, {
    input: { versionId: draft.id, exampleIds: ids.slice(2, 3), action: "DOWNWEIGHT", weight: 0.5, reason: "hot" },
  });
  await gql(stack, "engineer", PROPOSE, { input: { versionId: draft.id, exampleIds: ids.slice(3, 5), action: "PRUNE", reason: "maybe" } });
  await gql(stack, "reviewer2", `mutation ($input: ReviewBatchInput!) { reviewInterventions(input: $input) { id } }`, {
    input: {
      interventionIds: [...prunes.proposeInterventions.interventions, ...downs.proposeInterventions.interventions].map((i) => i.id),
      decision: "APPROVE",
      reason: "preview check",
    },
  });
  const n = draft.number;

  await signInAs("admin");
  await page.goto(`${stack.webUrl}/versions/${draft.id}`);
  await expect(page.getByRole("heading", { name: `What releasing version ${n} will do` })).toBeVisible();
  const summary = page.getByTestId("release-summary");
  await expect(summary).toContainText("2 pruned · 1 down-weighted · 0 canaries left out · 2 pending proposals will leave the queue");
  const changes = page.getByTestId("release-changes");
  await expect(changes.locator('tr[data-change="PRUNED"]')).toHaveCount(2);
  await expect(changes.locator('tr[data-change="PRUNED"]').first()).toContainText("preview check");
  await expect(changes.locator('tr[data-change="DOWNWEIGHTED"]')).toContainText("1 → 0.5");

  // Release asks first, with the numbers; Cancel changes nothing.
  await page.getByRole("button", { name: `Release version ${n}…` }).click();
  const confirm = page.getByRole("alertdialog", { name: `Release version ${n} of ${stack.datasetName}?` });
  await expect(confirm).toContainText("2 examples pruned, 1 example down-weighted, 0 canaries left out");
  await expect(confirm).toContainText("2 pending proposals will leave the review queue unreviewed and never be applied");
  await page.screenshot({ path: path.join(artifacts, "release-confirm.png"), fullPage: true });
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await expect(confirm).toHaveCount(0);
  await expect(page.getByRole("heading", { name: `${stack.datasetName} — version ${n}` })).toContainText("DRAFT");

  await page.getByRole("button", { name: `Release version ${n}…` }).click();
  await page.getByRole("button", { name: `Confirm: release version ${n}` }).click();
  await expect(page.getByRole("heading", { name: `${stack.datasetName} — version ${n}` })).toContainText("RELEASED");
  await expect(page.getByRole("heading", { name: `What releasing version ${n} did` })).toBeVisible();
  await expect(summary).toContainText("2 pruned · 1 down-weighted · 0 canaries left out · 2 pending proposals closed unreviewed");
  await expect(changes.locator("tbody tr[data-change]")).toHaveCount(3);
  await expect(page.getByTestId("diff-summary")).toContainText("2 removed · 1 re-weighted · 0 added");

  const closed = page.getByTestId("closed-proposals");
  await closed.locator("summary").click();
  await expect(closed.getByRole("listitem")).toHaveCount(2);
  await expect(closed).toContainText("Prune");

  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: `Download version ${n} (JSONL)` }).click()]);
  expect(download.suggestedFilename()).toBe(`${stack.datasetName}-v${n}.jsonl`);
  const file = path.join(artifacts, `release-preview-v${n}.jsonl`);
  await download.saveAs(file);
  const lines = fs.readFileSync(file, "utf8").trim().split("\n");
  const members = Number((await summary.innerText()).match(/→ ([\d,]+) members/)![1]!.replace(/,/g, ""));
  expect(lines).toHaveLength(members);
  await page.screenshot({ path: path.join(artifacts, "release-done.png"), fullPage: true });
});

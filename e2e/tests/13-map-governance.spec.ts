import path from "node:path";
import { test, expect, artifacts, dataMapCanvas, fmt } from "./fixtures";
import type { StackInfo, UserKey } from "../stack";

// Governance state on the data map (issue 15): points with a pending, approved or rejected
// proposal are outlined, each state in a form of its own, named in a legend with its count;
// the legend filters the map to one state; a proposal made from the map shows at once.
// Self-contained: the proposals are made through the API on a draft of the run's version.

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

test("the map outlines pending, approved and rejected points, filters by state, and shows a new proposal at once", async ({ page, stack, signInAs }) => {
  const { run } = await gql<{ run: { examples: { edges: { node: { id: string } }[] } } }>(
    stack,
    "engineer",
    `query ($id: ID!) { run(id: $id) { examples(first: 3, filter: { isCanary: false }, orderBy: { field: MEMORIZATION, direction: DESC }) { edges { node { id } } } } }`,
    { id: stack.runId },
  );
  const [pending, approved, rejected] = run.examples.edges.map((e) => e.node.id) as [string, string, string];
  const { createDraftVersion: draft } = await gql<{ createDraftVersion: { id: string; number: number } }>(
    stack,
    "engineer",
    `mutation ($p: ID!) { createDraftVersion(input: { parentVersionId: $p, note: "map governance" }) { id number } }`,
    { p: stack.v1Id },
  );
  const { proposeInterventions } = await gql<{ proposeInterventions: { interventions: { id: string; example: { id: string } }[] } }>(
    stack,
    "engineer",
    `mutation ($input: ProposeInput!) { proposeInterventions(input: $input) { interventions { id example { id } } } }`,
    { input: { versionId: draft.id, runId: stack.runId, exampleIds: [pending, approved, rejected], action: "PRUNE", reason: "map governance" } },
  );
  const idOf = (exampleId: string) => proposeInterventions.interventions.find((i) => i.example.id === exampleId)!.id;
  const review = (id: string, decision: "APPROVE" | "REJECT") =>
    gql(stack, "reviewer", `mutation ($input: ReviewBatchInput!) { reviewInterventions(input: $input) { id } }`, {
      input: { interventionIds: [id], decision, reason: "map governance" },
    });
  await review(idOf(approved), "APPROVE");
  await review(idOf(rejected), "REJECT");

  await signInAs("engineer");
  await page.goto(`${stack.webUrl}/runs/${stack.runId}`);
  const canvas = dataMapCanvas(page);
  await expect(canvas).toHaveAttribute("data-drawn-points", String(stack.points));

  // The legend: one entry per state, each with an outline of its own form and its count.
  const legend = page.getByTestId("governance-legend");
  await expect(legend.getByTestId("governance-count-PENDING")).toHaveText("1");
  await expect(legend.getByTestId("governance-count-APPROVED")).toHaveText("1");
  await expect(legend.getByTestId("governance-count-REJECTED")).toHaveText("1");
  await expect(legend.getByTestId("governance-count-PRUNED")).toHaveText("0");
  const markers = await legend.locator("svg[data-marker]").evaluateAll((els) => els.map((el) => el.getAttribute("data-marker")));
  expect(markers).toHaveLength(5);
  expect(new Set(markers).size).toBe(5);
  // Outlines are drawn on the map: three points with a state.
  await expect(canvas).toHaveAttribute("data-governance-markers", "3");
  // The map with its legends (docs/data-map-governance.png is this picture).
  const region = (await page.getByRole("region", { name: "Data map" }).boundingBox())!;
  await page.screenshot({
    path: path.join(artifacts, "data-map-governance.png"),
    fullPage: true,
    clip: { x: region.x, y: region.y, width: region.width, height: 720 },
  });

  // The legend is the filter: only the pending point, then only the rejected one.
  await legend.getByRole("radio", { name: "Pending" }).check();
  await expect(page.getByTestId("point-count")).toHaveText("1");
  await expect(canvas).toHaveAttribute("data-drawn-points", "1");
  await expect(page.getByTestId("examples-table-summary")).toContainText("1 example shown on the map");
  await expect(page.locator(".examples-table tbody tr")).toHaveCount(1);
  await expect(page.locator(".examples-table tbody tr")).toContainText("Pending");
  await legend.getByRole("radio", { name: "No proposal" }).check();
  await expect(page.getByTestId("point-count")).toHaveText(fmt(stack.points - 3));
  await legend.getByRole("radio", { name: "Rejected" }).check();
  await expect(page.getByTestId("point-count")).toHaveText("1");

  // Propose again for the rejected point from the map: it shows as pending too, without a reload.
  await page.getByRole("button", { name: "Select all shown" }).click();
  await expect(page.getByTestId("selected-count")).toHaveText("1");
  await page.getByLabel("Apply to draft version").selectOption({ label: `Version ${draft.number}` });
  await page.getByLabel("Reason").fill("second look");
  await page.getByRole("button", { name: "Propose for 1 example" }).click();
  await expect(legend.getByTestId("governance-count-PENDING")).toHaveText("2");
  await expect(page.locator(".examples-table tbody tr")).toContainText("Pending, Rejected");
  await legend.getByRole("radio", { name: "All points" }).check();
  await expect(page.getByTestId("point-count")).toHaveText(fmt(stack.points));
  await expect(canvas).toHaveAttribute("data-governance-markers", "4");
});

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
  // The stack is shared: other specs may already have proposals on this run's versions. Counts
  // are read first and the checks are relative to them; the three examples have no proposal yet.
  await signInAs("engineer");
  const canvas = dataMapCanvas(page);
  const legend = page.getByTestId("governance-legend");
  const states = ["PENDING", "APPROVED", "REJECTED", "PRUNED"] as const;
  const readCounts = async () => {
    await expect(legend.getByTestId("governance-count-PENDING")).toBeVisible();
    const out = {} as Record<(typeof states)[number], number>;
    for (const state of states) out[state] = Number(((await legend.getByTestId(`governance-count-${state}`).textContent()) ?? "").replace(/[^0-9]/g, ""));
    return out;
  };
  await page.goto(`${stack.webUrl}/runs/${stack.runId}`);
  await expect(canvas).toHaveAttribute("data-drawn-points", String(stack.points));
  const before = await readCounts();
  await expect.poll(async () => (await canvas.getAttribute("data-governance-markers")) !== null).toBe(true);
  const markersBefore = Number(await canvas.getAttribute("data-governance-markers"));
  // Points with no state at all (a point with several states draws several outlines).
  await legend.getByRole("radio", { name: "No proposal" }).check();
  await expect(legend.getByRole("radio", { name: "No proposal" })).toBeChecked();
  await expect
    .poll(async () => (await page.getByTestId("point-count").textContent())?.replace(/[^0-9]/g, ""))
    .toBe(await canvas.getAttribute("data-drawn-points"));
  const noneBefore = Number(((await page.getByTestId("point-count").textContent()) ?? "").replace(/[^0-9]/g, ""));
  await legend.getByRole("radio", { name: "All points" }).check();

  const { run } = await gql<{ run: { examples: { edges: { node: { id: string; interventions: { id: string }[] } }[] } } }>(
    stack,
    "engineer",
    `query ($id: ID!) { run(id: $id) { examples(first: 40, filter: { isCanary: false }, orderBy: { field: MEMORIZATION, direction: ASC }) { edges { node { id interventions { id } } } } } }`,
    { id: stack.runId },
  );
  const fresh = run.examples.edges.map((e) => e.node).filter((n) => n.interventions.length === 0);
  expect(fresh.length).toBeGreaterThanOrEqual(3);
  const [pending, approved, rejected] = fresh.slice(0, 3).map((n) => n.id) as [string, string, string];
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

  await page.reload();
  await expect(canvas).toHaveAttribute("data-drawn-points", String(stack.points));

  // The legend: one entry per state, each with an outline of its own form and its count.
  await expect(legend.getByTestId("governance-count-PENDING")).toHaveText(fmt(before.PENDING + 1));
  await expect(legend.getByTestId("governance-count-APPROVED")).toHaveText(fmt(before.APPROVED + 1));
  await expect(legend.getByTestId("governance-count-REJECTED")).toHaveText(fmt(before.REJECTED + 1));
  await expect(legend.getByTestId("governance-count-PRUNED")).toHaveText(fmt(before.PRUNED));
  const markers = await legend.locator("svg[data-marker]").evaluateAll((els) => els.map((el) => el.getAttribute("data-marker")));
  expect(markers).toHaveLength(5);
  expect(new Set(markers).size).toBe(5);
  // Outlines are drawn on the map: three more points with a state.
  await expect(canvas).toHaveAttribute("data-governance-markers", String(markersBefore + 3));
  // The map with its legends (docs/data-map-governance.png is this picture).
  const region = (await page.getByRole("region", { name: "Data map" }).boundingBox())!;
  await page.screenshot({
    path: path.join(artifacts, "data-map-governance.png"),
    fullPage: true,
    clip: { x: region.x, y: region.y, width: region.width, height: 720 },
  });

  // The legend is the filter: only the pending points, then only the rejected ones.
  const pendingNow = before.PENDING + 1;
  await legend.getByRole("radio", { name: "Pending" }).check();
  await expect(page.getByTestId("point-count")).toHaveText(fmt(pendingNow));
  await expect(canvas).toHaveAttribute("data-drawn-points", String(pendingNow));
  await expect(page.getByTestId("examples-table-summary")).toContainText(`${fmt(pendingNow)} example${pendingNow === 1 ? "" : "s"} shown on the map`);
  await expect(page.locator(".examples-table tbody tr")).toHaveCount(Math.min(25, pendingNow));
  await expect(page.locator(".examples-table tbody tr").first()).toContainText("Pending");
  await legend.getByRole("radio", { name: "No proposal" }).check();
  await expect(page.getByTestId("point-count")).toHaveText(fmt(noneBefore - 3));
  const rejectedNow = before.REJECTED + 1;
  await legend.getByRole("radio", { name: "Rejected" }).check();
  await expect(page.getByTestId("point-count")).toHaveText(fmt(rejectedNow));

  // Propose again for the rejected points from the map: they show as pending too, without a reload.
  await page.getByRole("button", { name: "Select all shown" }).click();
  await expect(page.getByTestId("selected-count")).toHaveText(fmt(rejectedNow));
  // With one draft the form names it; with several it offers a choice.
  const draftChoice = page.getByLabel("Apply to draft version");
  if (await draftChoice.count()) await draftChoice.selectOption({ label: `Version ${draft.number}` });
  else await expect(page.getByRole("form", { name: "Propose intervention" })).toContainText(`Applies to draft version ${draft.number}`);
  await page.getByLabel("Reason").fill("second look");
  await page.getByRole("button", { name: /^Propose for \d+ examples?$/ }).click();
  await expect
    .poll(async () => Number(((await legend.getByTestId("governance-count-PENDING").textContent()) ?? "").replace(/[^0-9]/g, "")))
    .toBeGreaterThan(pendingNow);
  await expect(page.locator(".examples-table tbody tr").filter({ hasText: "Pending, Rejected" }).first()).toBeVisible();
  await legend.getByRole("radio", { name: "All points" }).check();
  await expect(page.getByTestId("point-count")).toHaveText(fmt(stack.points));
  await expect.poll(async () => Number(await canvas.getAttribute("data-governance-markers"))).toBeGreaterThan(markersBefore + 3);
});

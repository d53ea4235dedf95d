import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { test, expect } from "./fixtures";
import type { StackInfo } from "../stack";

// Accessibility (issue 15): axe-core on every page, signed in as an ADMIN on the seeded data
// (a released and a draft version, the scored run with its data map, one of its examples, a
// review queue with proposals, the audit log, the studies, a run comparison), plus the signed-out landing page.
// Target: no serious or critical violation. Every rule found is reported with its page and
// elements, so a failure says what to fix.

type Found = { page: string; rule: string; impact: string; help: string; targets: string[] };

async function gql<T>(stack: StackInfo, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(stack.apiUrl, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${stack.users.engineer.token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown[] };
  if (body.errors?.length) throw new Error(JSON.stringify(body.errors));
  return body.data!;
}

async function audit(page: Page, name: string): Promise<Found[]> {
  // Let charts, the map and deferred panels settle before axe reads the DOM.
  await page.waitForLoadState("networkidle");
  await expect(page.getByText(/^Loading/)).toHaveCount(0);
  const result = await new AxeBuilder({ page }).analyze();
  // Every rule that ran and failed, any impact, for the log: moderate and minor ones are worth reading too.
  console.log(
    `${name}: ${result.passes.length} rules pass; violations: ${result.violations.map((v) => `${v.id} (${v.impact}, ${v.nodes.length})`).join(", ") || "none"}`,
  );
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({ page: name, rule: v.id, impact: v.impact!, help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.join(" ")) }));
}

test("every page has no serious or critical axe violation", async ({ page, stack, signInAs }) => {
  test.setTimeout(180_000);
  // Something to review: a draft of version 1 with a few proposals.
  const { createDraftVersion: draft } = await gql<{ createDraftVersion: { id: string; examples: { edges: { node: { id: string } }[] } } }>(
    stack,
    `mutation ($p: ID!) { createDraftVersion(input: { parentVersionId: $p, note: "axe" }) { id examples(first: 3) { edges { node { id } } } } }`,
    { p: stack.v1Id },
  );
  await gql(stack, `mutation ($input: ProposeInput!) { proposeInterventions(input: $input) { proposed } }`, {
    input: { versionId: draft.id, runId: stack.runId, exampleIds: draft.examples.edges.map((e) => e.node.id), action: "PRUNE", reason: "axe walk" },
  });
  const { run } = await gql<{ run: { examples: { edges: { node: { id: string } }[] } } }>(
    stack,
    `query ($id: ID!) { run(id: $id) { examples(first: 1) { edges { node { id } } } } }`,
    { id: stack.runId },
  );
  const exampleId = run.examples.edges[0]!.node.id;

  const found: Found[] = [];
  await page.goto(stack.webUrl);
  await expect(page.getByRole("heading", { name: "What GenDataCarto does" })).toBeVisible();
  found.push(...(await audit(page, "landing (signed out)")));

  await signInAs("admin");
  found.push(...(await audit(page, "landing (signed in)")));

  const pages: [string, string, RegExp | string][] = [
    ["datasets", "/datasets", "Datasets"],
    ["dataset", `/datasets/${stack.datasetId}`, stack.datasetName],
    ["version (released)", `/versions/${stack.v1Id}`, /v1|version 1/i],
    ["version (draft)", `/versions/${draft.id}`, /v\d|version \d/i],
    ["run", `/runs/${stack.runId}`, /synthetic-dynamics/],
    ["example", `/runs/${stack.runId}/examples/${exampleId}`, /ex-|canary-/],
    ["review queue", "/review", "Review queue"],
    ["audit log", "/audit", "Audit log"],
    ["studies", "/studies", "Studies"],
    ["study", `/studies/${stack.studyId}`, /study/i],
    ["compare runs", `/runs/compare?a=${stack.runId}&b=${stack.runId}`, "Compare runs"],
  ];
  for (const [name, path, heading] of pages) {
    await page.goto(`${stack.webUrl}${path}`);
    await expect(page.getByRole("heading", { level: 1, name: heading }).first()).toBeVisible();
    if (name === "run") await expect(page.getByRole("img", { name: /^Data map:/ })).toBeVisible();
    if (name === "review queue") await expect(page.getByRole("article").first()).toBeVisible();
    if (name === "compare runs") await expect(page.getByTestId("quadrant-crosstab")).toBeVisible();
    found.push(...(await audit(page, name)));
  }

  if (found.length) console.log(JSON.stringify(found, null, 2));
  expect(found.map((f) => `${f.page}: ${f.rule} (${f.impact}) ${f.targets.join(", ")}`)).toEqual([]);
});

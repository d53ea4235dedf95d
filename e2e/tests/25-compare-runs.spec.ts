import path from "node:path";
import { fileURLToPath } from "node:url";
import { test, expect, fmt } from "./fixtures";
import type { StackInfo, UserKey } from "../stack";

// Compare two runs (issue 15): the seeded run against a second scored run on the same version:
// how many examples both scored, the quadrant cross-tabulation (its cells add up to that), and a
// scatter of run A's memorization against run B's.

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

/** A second external run on version 1 with its own curves (forgotten 0 to 3 times), scored. */
async function secondRun(stack: StackInfo): Promise<{ id: string; name: string }> {
  const epochs = 8;
  const name = `second-opinion-${Date.now()}`;
  const { createExternalRun: run } = await gql<{ createExternalRun: { id: string } }>(
    stack,
    "engineer",
    `mutation ($input: CreateExternalRunInput!) { createExternalRun(input: $input) { id } }`,
    { input: { versionId: stack.v1Id, name, epochs, canaries: true, framework: "synthetic", scoringConfig: { memorizationSignal: "forgetFrequency" } } },
  );
  const keys = [
    ...Array.from({ length: stack.points - stack.canaries }, (_, i) => `ex-${i}`),
    ...Array.from({ length: stack.canaries }, (_, i) => `canary-${i}`),
  ];
  const cells = keys.flatMap((exampleKey, i) => {
    // Most examples never forgotten, one in ten three times: every quadrant gets examples.
    const forgets = [0, 0, 0, 0, 0, 0, 1, 1, 2, 3][(i * 7 + (i >> 3)) % 10]!;
    const early = 1 + ((i * 13) % 23) / 10;
    return Array.from({ length: epochs }, (_, t) => {
      // Learned (well below every other example's loss that epoch) and forgotten again, `forgets` times.
      const loss = t < 2 ? early : t - 2 < forgets * 2 ? ((t - 2) % 2 === 0 ? 0.02 : 2.4) : 0.1;
      return { exampleKey, epoch: t, loss, accuracy: Math.exp(-loss) };
    });
  });
  for (let i = 0; i < cells.length; i += 8_000) {
    await gql(stack, "engineer", `mutation ($input: DynamicsChunkInput!) { ingestDynamics(input: $input) { accepted } }`, {
      input: { runId: run.id, cells: cells.slice(i, i + 8_000) },
    });
  }
  await gql(stack, "engineer", `mutation ($id: ID!) { finishRun(input: { runId: $id }) { id } }`, { id: run.id });
  await expect
    .poll(async () => (await gql<{ run: { status: string } }>(stack, "engineer", `query ($id: ID!) { run(id: $id) { status } }`, { id: run.id })).run.status, {
      timeout: 60_000,
    })
    .toBe("SUCCEEDED");
  return { id: run.id, name };
}

test("a reviewer compares two runs: shared examples, quadrant cross-tabulation, memorization scatter", async ({ page, stack, signInAs }) => {
  test.setTimeout(120_000);
  const b = await secondRun(stack);

  await signInAs("reviewer");
  await page.goto(`${stack.webUrl}/datasets/${stack.datasetId}`);
  await page.getByRole("link", { name: "Compare two scored runs" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Compare runs" })).toBeVisible();
  await page.getByLabel("Run A").selectOption(stack.runId);
  await page.getByLabel("Run B").selectOption(b.id);
  await expect(page).toHaveURL(new RegExp(`a=${stack.runId}&b=${b.id}`));

  await expect(page.getByTestId("compare-summary")).toContainText(`${fmt(stack.points)} examples scored by both · 0 only by A · 0 only by B`);
  const table = page.getByTestId("quadrant-crosstab");
  // The grand total is every shared example; the cells add up to it.
  await expect(table.getByRole("row").last().getByRole("cell").last()).toHaveText(fmt(stack.points));
  const cells = await table.locator("td[data-cell]").allInnerTexts();
  expect(cells).toHaveLength(16);
  expect(cells.reduce((n, text) => n + Number(text.replace(/,/g, "")), 0)).toBe(stack.points);
  await expect(
    page.getByRole("img", {
      name: new RegExp(`^Scatter of ${fmt(stack.points)} shared examples: memorization in synthetic-dynamics \\(x\\) against ${b.name} \\(y\\)`),
    }),
  ).toBeVisible();
  await page.screenshot({ path: path.join(screenshots, "compare-runs.png"), fullPage: true });

  // A run compared with itself: everything on the diagonal, correlation 1.
  await page.goto(`${stack.webUrl}/runs/compare?a=${stack.runId}&b=${stack.runId}`);
  await expect(page.getByTestId("compare-summary")).toContainText(`${fmt(stack.points)} in the same quadrant in both · memorization correlation 1`);
});

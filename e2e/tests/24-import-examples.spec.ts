import path from "node:path";
import { fileURLToPath } from "node:url";
import { test, expect, fmt } from "./fixtures";
import type { StackInfo, UserKey } from "../stack";

// Import examples from a file in the UI (issue 15; was CLI-only): bad lines are listed by line
// number (JSON here, the record's fields by the API's dry run) and nothing is written; a good
// file is imported batch by batch with progress; importing it again adds nothing.

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

const jsonl = (lines: string[]) => ({ name: "examples.jsonl", mimeType: "application/x-ndjson", buffer: Buffer.from(lines.join("\n") + "\n") });

test("an engineer imports a file: bad lines named by number, then a good file with progress", async ({ page, stack, signInAs }) => {
  const { createDataset } = await gql<{ createDataset: { id: string; versions: { id: string }[] } }>(
    stack,
    "engineer",
    `mutation ($name: String!) { createDataset(input: { name: $name }) { id versions { id } } }`,
    { name: `imported-${Date.now()}` },
  );
  const versionId = createDataset.versions[0]!.id;
  const count = async () =>
    (await gql<{ version: { exampleCount: number } }>(stack, "engineer", `query ($id: ID!) { version(id: $id) { exampleCount } }`, { id: versionId })).version
      .exampleCount;

  await signInAs("engineer");
  await page.goto(`${stack.webUrl}/versions/${versionId}`);
  const section = page.getByTestId("import-examples");

  // A JSON error (found here) and a record the API refuses (found by its dry run), both by line.
  await section
    .getByLabel("Examples file (.jsonl)")
    .setInputFiles(jsonl(['{"id": "a", "text": "first"}', '{"id": "b", "text": "second"', '{"id": "c", "text": "third", "split": "train"}']));
  await section.getByRole("button", { name: "Import" }).click();
  await expect(page.getByTestId("import-errors")).toContainText("Nothing was imported");
  await expect(page.getByTestId("import-errors")).toContainText(/line 2: not valid JSON/);
  await section
    .getByLabel("Examples file (.jsonl)")
    .setInputFiles(jsonl(['{"id": "a", "text": "first"}', "", '{"id": "b", "txt": "second"}', '{"id": "c", "text": "third", "weight": 3}']));
  await section.getByRole("button", { name: "Import" }).click();
  await expect(page.getByTestId("import-errors")).toContainText(/line 3\b/);
  await section.screenshot({ path: path.join(screenshots, "import-errors.png") });
  expect(await count()).toBe(0);

  // A good file of several batches: progress, then the totals.
  const lines = Array.from({ length: 6_000 }, (_, i) =>
    JSON.stringify({ id: `imp-${i}`, text: `imported sentence ${i}`, split: i % 10 === 0 ? "validation" : "train" }),
  );
  await section.getByLabel("Examples file (.jsonl)").setInputFiles(jsonl(lines));
  await section.getByRole("button", { name: "Import" }).click();
  await expect(page.getByTestId("import-progress")).toBeVisible();
  await expect(page.getByTestId("import-done")).toHaveText(
    `Imported ${fmt(6000)} lines: ${fmt(6000)} new examples, 0 already in the dataset, ${fmt(6000)} added to version 1.`,
    { timeout: 60_000 },
  );
  expect(await count()).toBe(6000);

  // Again: idempotent by content.
  await section.getByRole("button", { name: "Import" }).click();
  await expect(page.getByTestId("import-done")).toHaveText(
    `Imported ${fmt(6000)} lines: 0 new examples, ${fmt(6000)} already in the dataset, 0 added to version 1.`,
    {
      timeout: 60_000,
    },
  );
  expect(await count()).toBe(6000);
});

import path from "node:path";
import { fileURLToPath } from "node:url";
import { test, expect } from "./fixtures";
import type { StackInfo, UserKey } from "../stack";

// The release gate from the UI (issue 15; was CLI-only): an ADMIN sets it on a dataset; an
// ENGINEER sees it block a draft with no study and is told their role cannot override; the
// ADMIN releases past it with an audited reason. Who may do what comes from the API (me).
// Self-contained: its own dataset, so the shared one keeps no gate.

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

test("an admin sets a release gate; it blocks an engineer's release; the admin overrides it with a reason", async ({ page, stack, signInAs }) => {
  const { createDataset } = await gql<{ createDataset: { id: string; name: string; versions: { id: string }[] } }>(
    stack,
    "engineer",
    `mutation ($name: String!) { createDataset(input: { name: $name, description: "release gate from the UI" }) { id name versions { id } } }`,
    { name: `gated-${Date.now()}` },
  );
  const versionId = createDataset.versions[0]!.id;
  await gql(stack, "engineer", `mutation ($v: ID!, $e: [ExampleInput!]!) { importExamples(input: { versionId: $v, examples: $e }) { created } }`, {
    v: versionId,
    e: Array.from({ length: 5 }, (_, i) => ({ id: `g-${i}`, text: `gated example ${i}` })),
  });

  await signInAs("admin");
  await page.goto(`${stack.webUrl}/datasets/${createDataset.id}`);
  const gate = page.getByTestId("release-gate");
  await expect(page.getByTestId("gate-current")).toHaveText("none");
  await gate.getByLabel(/^Max canary extraction ratio/).fill("0.6");
  await gate.getByLabel(/^Max validation-perplexity increase/).fill("0.005");
  await gate.getByRole("button", { name: "Save release gate" }).click();
  await expect(gate.getByRole("status")).toHaveText("Release gate saved: canary extraction ratio ≤ 0.6, validation-perplexity increase ≤ 0.005.");
  await expect(page.getByTestId("gate-current")).toHaveText("canary extraction ratio ≤ 0.6, validation-perplexity increase ≤ 0.005");
  await gate.screenshot({ path: path.join(screenshots, "release-gate.png") });

  // The engineer may release but not override, nor change the gate.
  await signInAs("engineer");
  await page.goto(`${stack.webUrl}/datasets/${createDataset.id}`);
  await expect(page.getByTestId("gate-current")).toHaveText("canary extraction ratio ≤ 0.6, validation-perplexity increase ≤ 0.005");
  await expect(page.getByRole("button", { name: "Save release gate" })).toHaveCount(0);
  await page.goto(`${stack.webUrl}/versions/${versionId}`);
  await expect(page.getByTestId("gate-verdict")).toContainText("Release gate: blocked.");
  await expect(page.getByTestId("gate-verdict")).toContainText("no study");
  await expect(page.getByRole("button", { name: "Release version 1…" })).toBeDisabled();
  await expect(page.getByText("The release gate blocks this version, and your role cannot override it.")).toBeVisible();

  // The admin overrides, with a reason.
  await signInAs("admin");
  await page.goto(`${stack.webUrl}/versions/${versionId}`);
  const override = page.getByRole("button", { name: "Override the gate and release version 1…" });
  await expect(override).toBeDisabled(); // no reason yet
  await page.getByLabel(/^Override reason/).fill("first version: nothing curated yet, no study to run");
  await override.click();
  await expect(page.getByTestId("confirm-release")).toContainText("The release gate blocks it: your override reason is recorded.");
  await page.getByRole("button", { name: "Confirm: release version 1" }).click();
  await expect(page.getByText("Gate overridden: first version: nothing curated yet, no study to run")).toBeVisible();

  // Removing the gate: both fields empty.
  await page.goto(`${stack.webUrl}/datasets/${createDataset.id}`);
  await page.getByLabel(/^Max canary extraction ratio/).fill("");
  await page.getByLabel(/^Max validation-perplexity increase/).fill("");
  await page.getByRole("button", { name: "Save release gate" }).click();
  await expect(page.getByTestId("gate-current")).toHaveText("none");
});

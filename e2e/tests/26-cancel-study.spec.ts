import { test, expect } from "./fixtures";
import type { StackInfo, UserKey } from "../stack";

// Start and cancel a study from the UI (issue 15; a running study could not be cancelled): an
// engineer starts a study on a version's page and cancels it on the study's page after a
// confirmation; the status reads CANCELLED and stays so (the worker stops, and writes no
// status). A reviewer is not offered the button (cancelStudy is not among its permissions).
// Self-contained: its own dataset, so the shared story's latest study is untouched.

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

test("an engineer starts a study on a version's page and cancels it on the study's page; a reviewer cannot", async ({ page, stack, signInAs }) => {
  const { createDataset } = await gql<{ createDataset: { id: string; versions: { id: string }[] } }>(
    stack,
    "engineer",
    `mutation ($name: String!) { createDataset(input: { name: $name, description: "a study to cancel" }) { id versions { id } } }`,
    { name: `cancel-study-${Date.now()}` },
  );
  const versionId = createDataset.versions[0]!.id;
  const words = ["whale", "harpoon", "ocean", "captain", "sailor", "mast", "storm", "island", "rope", "deck"];
  const examples = Array.from({ length: 120 }, (_, i) => ({
    id: `s-${i}`,
    text: `the ${words[i % 10]} and the ${words[(i * 7 + 3) % 10]} met ${i} times near the ${words[(i * 3 + 1) % 10]}`,
    split: i % 6 === 0 ? "VALIDATION" : "TRAIN",
  }));
  await gql(stack, "engineer", `mutation ($v: ID!, $e: [ExampleInput!]!) { importExamples(input: { versionId: $v, examples: $e }) { created } }`, {
    v: versionId,
    e: examples,
  });

  await signInAs("engineer");
  await page.goto(`${stack.webUrl}/versions/${versionId}`);
  await page.getByRole("button", { name: "Start a study" }).click();
  await expect(page).toHaveURL(/\/studies\/[0-9a-f-]{36}$/);
  const studyUrl = page.url();
  const studyId = studyUrl.split("/").at(-1)!;
  const heading = page.getByRole("heading", { level: 1 });
  await expect(heading).toContainText(/QUEUED|RUNNING/);

  // The reviewer sees the study but no Cancel button.
  await signInAs("reviewer");
  await page.goto(studyUrl);
  await expect(heading).toContainText(/QUEUED|RUNNING/);
  await expect(page.getByRole("button", { name: /Cancel study/ })).toHaveCount(0);

  await signInAs("engineer");
  await page.goto(studyUrl);
  await expect(heading).toContainText(/QUEUED|RUNNING/);
  // Asking first; backing out changes nothing.
  await page.getByRole("button", { name: "Cancel study…" }).click();
  const dialog = page.getByRole("alertdialog", { name: "Cancel this study?" });
  await expect(dialog).toContainText("This cannot be undone.");
  await dialog.getByRole("button", { name: "Keep it running" }).click();
  await expect(dialog).toHaveCount(0);
  await expect(heading).toContainText(/QUEUED|RUNNING/);

  await page.getByRole("button", { name: "Cancel study…" }).click();
  await page.getByRole("alertdialog", { name: "Cancel this study?" }).getByRole("button", { name: "Confirm: cancel the study" }).click();
  await expect(heading).toContainText("CANCELLED");
  await expect(page.getByRole("button", { name: /Cancel study/ })).toHaveCount(0);
  await expect(page.getByText("This study was cancelled; it has no report.")).toBeVisible();

  // The worker stops without writing a status: still CANCELLED a while later, with no report.
  await page.waitForTimeout(3000);
  const { study } = await gql<{ study: { status: string; report: unknown; error: string | null } }>(
    stack,
    "engineer",
    `query ($id: ID!) { study(id: $id) { status report error } }`,
    { id: studyId },
  );
  expect(study).toEqual({ status: "CANCELLED", report: null, error: null });

  // The version's page shows it as its latest study.
  await page.goto(`${stack.webUrl}/versions/${versionId}`);
  await expect(page.getByRole("link", { name: /^study of/ })).toHaveAttribute("href", `/studies/${studyId}`);
  await expect(page.getByText("CANCELLED", { exact: true })).toBeVisible();
});

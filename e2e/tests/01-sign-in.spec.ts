import { test, expect, fmt } from "./fixtures";

test("an unknown token is refused with a clear message", async ({ page, stack }) => {
  await page.goto(stack.webUrl);
  await page.getByLabel("API token").fill("gdc_not-a-real-token");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "not valid" })).toContainText("This token is not valid");
  await expect(page.getByRole("heading", { name: /Welcome/ })).toHaveCount(0);
});

test("signing in shows who you are and what your role allows", async ({ page, stack, signInAs }) => {
  await signInAs("engineer");
  await expect(page.getByTestId("my-role")).toHaveText("ENGINEER");
  await expect(page.getByRole("banner")).toContainText("Eve Engineer");
  await expect(page.getByText("✓ You can release curated dataset versions")).toBeVisible();
  await expect(page.getByText("✗ You cannot approve or reject interventions proposed by others")).toBeVisible();

  // The token survives a reload (kept in this browser), and signing out forgets it.
  await page.reload();
  await expect(page.getByRole("heading", { name: "Welcome, Eve Engineer" })).toBeVisible();
  await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await page.goto(`${stack.webUrl}/datasets`);
  await expect(page.getByRole("heading", { name: "Sign in required" })).toBeVisible();
});

test("a viewer sees the data but no buttons for what the role cannot do", async ({ page, stack, signInAs }) => {
  await signInAs("viewer");
  await expect(page.getByTestId("my-role")).toHaveText("VIEWER");
  await page.goto(`${stack.webUrl}/versions/${stack.v2Id}`);
  await expect(page.getByRole("heading", { name: `${stack.datasetName} — version 2` })).toBeVisible();
  await expect(page.getByRole("button", { name: /Release version/ })).toHaveCount(0);
  await expect(page.getByText("Your role (VIEWER) cannot release versions.")).toBeVisible();

  await page.goto(`${stack.webUrl}/runs/${stack.runId}`);
  await expect(page.getByTestId("point-count")).toHaveText(fmt(stack.points));
  await expect(page.getByText("Your role (VIEWER) cannot propose interventions.")).toBeVisible();
});

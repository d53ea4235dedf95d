import { test, expect } from "./fixtures";

// Orientation (issue 15): the landing page says what the product does and, once signed in,
// links the newest scored run's map; every page has its own title; Studies are in the nav;
// a malformed id in a URL reads "not found", never a database error.

test("landing, start-here link, page titles, Studies in the nav, and a bad id", async ({ page, stack, signInAs }) => {
  await page.goto(stack.webUrl);
  await expect(page.getByRole("heading", { name: "What GenDataCarto does" })).toBeVisible();
  await expect(page).toHaveTitle("Sign in — GenDataCarto");

  await signInAs("viewer");
  await expect(page).toHaveTitle("Welcome — GenDataCarto");
  await page.getByRole("link", { name: /^Start here: the data map of/ }).click();
  await expect(page).toHaveURL(/\/runs\/[0-9a-f-]{36}$/);
  await expect(page).toHaveTitle(/^Run .+ — GenDataCarto$/);

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Studies" }).click();
  await expect(page.getByRole("heading", { name: "Studies", level: 1 })).toBeVisible();
  await expect(page).toHaveTitle("Studies — GenDataCarto");
  await page.locator(`a[href="/studies/${stack.studyId}"]`).click();
  await expect(page).toHaveTitle("Study — GenDataCarto");

  await page.getByRole("link", { name: "Review queue" }).first().click();
  await expect(page).toHaveTitle("Review queue — GenDataCarto");

  for (const path of ["/versions/xyz", "/runs/not-a-uuid", "/datasets/%27%3B"]) {
    await page.goto(`${stack.webUrl}${path}`);
    await expect(page.getByText(/not found\./)).toBeVisible();
    await expect(page.getByText(/invalid input syntax/)).toHaveCount(0);
  }
});

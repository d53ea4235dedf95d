import { test, expect, fmt } from "./fixtures";

// Previous / next between examples (issue 15): the example page links the examples before and
// after it in the run's row order (the data map's and the examples table's), says where it is,
// and the first example has no previous.

test("the example page steps through the run's examples in the map's order", async ({ page, stack, signInAs }) => {
  await signInAs("viewer");
  await page.goto(`${stack.webUrl}/runs/${stack.runId}`);
  // The examples table's first row is the run's first example.
  const first = page.locator(".examples-table tbody tr").first().getByRole("link");
  await expect(first).toHaveText(/^ex-\d+$/);
  const firstKey = await first.innerText();
  await first.click();
  await expect(page.getByRole("heading", { name: /^Example/ })).toContainText(firstKey);
  const nav = page.getByRole("navigation", { name: "Examples of this run" });
  await expect(nav).toContainText(`row 1 of ${fmt(stack.points)}`);
  await expect(nav).toContainText("← first example");

  const next = nav.getByRole("link", { name: /^Next:/ });
  const nextKey = await next.locator("code").innerText();
  await next.click();
  await expect(page.getByRole("heading", { name: /^Example/ })).toContainText(nextKey);
  await expect(nav).toContainText(`row 2 of ${fmt(stack.points)}`);
  await nav.getByRole("link", { name: /^← Previous:/ }).click();
  await expect(page.getByRole("heading", { name: /^Example/ })).toContainText(firstKey);
  await expect(nav).toContainText("row 1 of");
});

import path from "node:path";
import { test, expect, artifacts, dataMapCanvas, fmt, quadrantCount } from "./fixtures";

// The examples table beside the map (issue 15): it lists the points shown, or the selection
// once there is one, a page at a time (key, quadrant, difficulty, memorization, governance,
// link to the example); its text and quadrant filters highlight the matching points on the map.

test("the table lists the map's points, then the selection; its filters highlight on the map; a key opens the example", async ({ page, stack, signInAs }) => {
  await signInAs("reviewer");
  await page.goto(`${stack.webUrl}/runs/${stack.runId}`);
  const canvas = dataMapCanvas(page);
  await expect(canvas).toHaveAttribute("data-drawn-points", String(stack.points));
  const table = page.locator(".examples-table");
  const summary = page.getByTestId("examples-table-summary");
  const rows = table.locator("tbody tr");

  // Nothing selected: every point shown, 25 a page.
  await expect(summary).toContainText(`${fmt(stack.points)} examples shown on the map`);
  await expect(rows).toHaveCount(25);
  const pages = Math.ceil(stack.points / 25);
  await expect(page.getByTestId("examples-table-page")).toHaveText(`Page 1 of ${fmt(pages)}`);
  await expect(rows.first().getByRole("link")).toHaveText(/^ex-\d+$/);
  await table.getByRole("button", { name: "Next" }).click();
  await expect(page.getByTestId("examples-table-page")).toHaveText(`Page 2 of ${fmt(pages)}`);
  await expect(rows.first().getByRole("link")).toHaveText(/^ex-\d+$/);
  for (const header of ["Key", "Quadrant", "Difficulty", "Memorization", "Governance"])
    await expect(table.getByRole("columnheader", { name: header })).toBeVisible();

  // A selection (every hotspot): the table lists exactly it.
  const hotspots = await quadrantCount(page, "Memorization hotspot");
  for (const other of ["Stable / easy", "Ambiguous / hard", "Noisy outlier"]) await page.getByRole("checkbox", { name: other }).uncheck();
  await page.getByRole("button", { name: "Select all shown" }).click();
  for (const other of ["Stable / easy", "Ambiguous / hard", "Noisy outlier"]) await page.getByRole("checkbox", { name: other }).check();
  await expect(page.getByTestId("selected-count")).toHaveText(fmt(hotspots));
  await expect(summary).toContainText(`${fmt(hotspots)} examples of the selection`);
  await expect(rows.first()).toContainText("Memorization hotspot");
  expect(await rows.filter({ hasNotText: "Memorization hotspot" }).count()).toBe(0);
  await page.getByRole("button", { name: "Clear selection" }).click();
  await expect(summary).toContainText(`${fmt(stack.points)} examples shown on the map`);

  // Text filter: keys ex-123 and ex-1230…ex-1239 (their texts say "Example 123…" too): 11 points, highlighted on the map.
  await table.getByLabel("Filter examples by key or text").fill("ex-123");
  await expect(summary).toContainText("11 examples shown on the map match the filter (highlighted on the map: 11 in all)");
  await expect(canvas).toHaveAttribute("data-highlighted", "11");
  await expect(rows).toHaveCount(11);
  await page.getByRole("region", { name: "Data map" }).screenshot({ path: path.join(artifacts, "data-map-table-filter.png") });

  // Quadrant filter instead: every noisy outlier highlighted.
  await table.getByLabel("Filter examples by key or text").fill("");
  const noisy = await quadrantCount(page, "Noisy outlier");
  await table.getByLabel("Filter examples by quadrant").selectOption({ label: "Noisy outlier" });
  await expect(canvas).toHaveAttribute("data-highlighted", String(noisy));
  await expect(summary).toContainText(`${fmt(noisy)} examples shown on the map match the filter`);
  await table.getByRole("button", { name: "Clear filters" }).click();
  await expect(canvas).toHaveAttribute("data-highlighted", "");

  // A key opens its example.
  const link = rows.first().getByRole("link");
  const key = await link.innerText();
  await link.click();
  await expect(page).toHaveURL(/\/runs\/[^/]+\/examples\/[0-9a-f-]{36}$/);
  await expect(page.getByText(key).first()).toBeVisible();
});

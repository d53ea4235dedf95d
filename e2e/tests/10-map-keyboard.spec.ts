import { test, expect, dataMapCanvas, fmt, quadrantCount } from "./fixtures";

// Keyboard selection on the data map (issue 15): with the canvas focused, A selects the shown
// points in view, Esc clears, Enter opens the first selected example.
test("the keyboard selects the shown points in view and opens one", async ({ page, stack, signInAs }) => {
  await signInAs("viewer");
  await page.goto(`${stack.webUrl}/runs/${stack.runId}`);
  const canvas = dataMapCanvas(page);
  await expect(canvas).toHaveAttribute("data-drawn-points", String(stack.points));
  // A selects what is in view: the map opens zoomed to the data (difficulty 0.5–99.5 %), the full range holds every point.
  await page.getByTestId("axis-range").getByRole("button", { name: "Show the full range" }).click();
  await expect(canvas).toHaveAttribute("data-range", "full");
  await canvas.focus();
  await page.keyboard.press("a");
  await expect(page.getByTestId("selected-count")).toHaveText(fmt(stack.points));
  await page.keyboard.press("Escape");
  await expect(canvas).toHaveAttribute("data-selected-points", "0");

  const hotspots = await quadrantCount(page, "Memorization hotspot");
  for (const other of ["Stable / easy", "Ambiguous / hard", "Noisy outlier"]) await page.getByRole("checkbox", { name: other }).uncheck();
  await canvas.focus();
  await page.keyboard.press("a");
  await expect(page.getByTestId("selected-count")).toHaveText(fmt(hotspots));
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(new RegExp(`/runs/${stack.runId}/examples/[0-9a-f-]{36}$`));
});

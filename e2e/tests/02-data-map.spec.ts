import path from "node:path";
import { test, expect, fmt, artifacts, dataMapCanvas, drawnPixels, pointsOfColour, quadrantCount, QUADRANT_RGB } from "./fixtures";

test.beforeEach(async ({ signInAs }) => {
  await signInAs("engineer");
});

test("from the dataset to its run: the data map draws every point", async ({ page, stack }) => {
  await page.getByRole("link", { name: "Go to datasets" }).click();
  await page.getByRole("link", { name: stack.datasetName }).click();
  await page.getByRole("link", { name: "synthetic-dynamics" }).click();
  await expect(page.getByRole("heading", { name: /Run synthetic-dynamics/ })).toContainText("SUCCEEDED");

  await expect(page.getByTestId("point-count")).toHaveText(fmt(stack.points));
  await expect(page.getByText(`${fmt(stack.points)} of ${fmt(stack.points)} points shown`)).toBeVisible();
  const canvas = dataMapCanvas(page);
  await expect(canvas).toHaveAttribute("data-drawn-points", String(stack.points));
  // Every quadrant is on the canvas, in its legend colour, and the legend counts add up.
  let total = 0;
  for (const [quadrant, label] of [
    ["STABLE_EASY", "Stable / easy"],
    ["AMBIGUOUS_HARD", "Ambiguous / hard"],
    ["HOTSPOT_MEMORIZED", "Memorization hotspot"],
    ["NOISY_OUTLIER", "Noisy outlier"],
  ] as const) {
    const count = await quadrantCount(page, label);
    total += count;
    expect(count, label).toBeGreaterThan(0);
    expect((await pointsOfColour(canvas, QUADRANT_RGB[quadrant])).pixels, `${label} pixels`).toBeGreaterThan(0);
  }
  expect(total).toBe(stack.points);
  expect(await drawnPixels(canvas)).toBeGreaterThan(stack.points * 10);

  await page.getByRole("region", { name: "Data map" }).screenshot({ path: path.join(artifacts, "data-map.png") });
});

test("quadrant filters hide points and update the count", async ({ page, stack }) => {
  await page.goto(`${stack.webUrl}/runs/${stack.runId}`);
  const canvas = dataMapCanvas(page);
  await expect(canvas).toHaveAttribute("data-drawn-points", String(stack.points));
  const stable = await quadrantCount(page, "Stable / easy");
  await page.getByRole("checkbox", { name: /Stable \/ easy/ }).uncheck();
  await expect(page.getByText(`${fmt(stack.points - stable)} of ${fmt(stack.points)} points shown`)).toBeVisible();
  await expect(canvas).toHaveAttribute("data-drawn-points", String(stack.points - stable));
  expect((await pointsOfColour(canvas, QUADRANT_RGB.STABLE_EASY)).pixels).toBe(0);
  await page.getByRole("checkbox", { name: /Stable \/ easy/ }).check();
  await expect(page.getByTestId("point-count")).toHaveText(fmt(stack.points));
});

test("hovering a point shows its text and scores; wheel zooms and Reset zoom restores", async ({ page, stack }) => {
  await page.goto(`${stack.webUrl}/runs/${stack.runId}`);
  const canvas = dataMapCanvas(page);
  await expect(canvas).toHaveAttribute("data-drawn-points", String(stack.points));
  const hotspot = await pointsOfColour(canvas, QUADRANT_RGB.HOTSPOT_MEMORIZED);
  expect(hotspot.sample).not.toBeNull();
  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + hotspot.sample!.x, box.y + hotspot.sample!.y);
  const tooltip = page.getByRole("tooltip");
  await expect(tooltip).toContainText("Memorization hotspot");
  await expect(tooltip).toContainText(/Example \d+:/); // the text, fetched on hover
  await expect(tooltip).toContainText(/forget events/);

  const before = (await pointsOfColour(canvas, QUADRANT_RGB.AMBIGUOUS_HARD)).box;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel(0, -600);
  await expect
    .poll(async () => (await pointsOfColour(canvas, QUADRANT_RGB.AMBIGUOUS_HARD)).box.x1 - (await pointsOfColour(canvas, QUADRANT_RGB.AMBIGUOUS_HARD)).box.x0)
    .not.toBe(before.x1 - before.x0);
  await page.getByRole("button", { name: "Reset zoom" }).click();
  await expect.poll(async () => (await pointsOfColour(canvas, QUADRANT_RGB.AMBIGUOUS_HARD)).box).toEqual(before);
});

test("double-clicking a point opens the example with its loss trajectory and forget events", async ({ page, stack }) => {
  await page.goto(`${stack.webUrl}/runs/${stack.runId}`);
  const canvas = dataMapCanvas(page);
  await expect(canvas).toHaveAttribute("data-drawn-points", String(stack.points));
  const hotspot = await pointsOfColour(canvas, QUADRANT_RGB.HOTSPOT_MEMORIZED);
  const box = (await canvas.boundingBox())!;
  await page.mouse.dblclick(box.x + hotspot.sample!.x, box.y + hotspot.sample!.y);
  // The run page has an "Examples" table heading of its own: wait for the example's page.
  await expect(page).toHaveURL(/\/examples\//);
  await expect(page.getByRole("heading", { name: /^Example(?!s)/ })).toBeVisible();
  await expect(page.getByTestId("example-text")).toContainText(/Example \d+:/);
  await expect(page.getByRole("img", { name: /Loss and accuracy of example/ })).toBeVisible();
  await expect(page.getByTestId("forget-epochs")).not.toHaveText("none");
  await expect(page.getByText("Memorization hotspot")).toBeVisible();
  await page.screenshot({ path: path.join(artifacts, "example.png"), fullPage: true });
});

test("a run still receiving dynamics shows live progress", async ({ page, stack }) => {
  await page.goto(`${stack.webUrl}/runs/${stack.liveRunId}`);
  await expect(page.getByRole("heading", { name: /Run still-ingesting/ })).toContainText("RUNNING");
  await expect(page.getByTestId("run-progress")).toContainText("50 %");
  await expect(page.getByRole("progressbar", { name: "Run progress" })).toHaveAttribute("value", "0.5");
  await expect(page.getByText(/The data map appears when the run has been scored/)).toBeVisible();
  await expect(page.getByRole("button", { name: "Cancel run" })).toBeVisible();
});

import path from "node:path";
import { test, expect, artifacts, dataMapCanvas } from "./fixtures";

// The map is readable (issue 15): quadrants differ by marker shape, not colour alone; the axes
// open zoomed to the data (difficulty 0.5–99.5 %, memorization from 0.5 % to the top) with a toggle to the full range that says which is on;
// and the map's top is on screen without scrolling on a laptop.

for (const viewport of [
  { width: 1366, height: 768 },
  { width: 1440, height: 900 },
]) {
  test(`the run page opens on its map at ${viewport.width}×${viewport.height}: the canvas's top is in view without scrolling`, async ({
    page,
    stack,
    signInAs,
  }) => {
    await page.setViewportSize(viewport);
    await signInAs("engineer");
    await page.goto(`${stack.webUrl}/runs/${stack.runId}`);
    const canvas = dataMapCanvas(page);
    await expect(canvas).toHaveAttribute("data-ready", "true");
    expect(await page.evaluate(() => window.scrollY)).toBe(0);
    const box = (await canvas.boundingBox())!;
    // The top, and most of the plot, within the first screen.
    expect(box.y).toBeGreaterThan(0);
    expect(box.y).toBeLessThan(viewport.height * 0.4);
    expect(Math.min(box.y + box.height, viewport.height) - box.y).toBeGreaterThan(box.height * 0.8);
    // The run's facts moved below the map.
    const progress = (await page.getByRole("heading", { name: "Progress" }).boundingBox())!;
    expect(progress.y).toBeGreaterThan(box.y + box.height);
    await page.screenshot({ path: path.join(artifacts, `run-page-${viewport.width}x${viewport.height}.png`) });
  });
}

test("quadrants differ by shape, not colour alone: legend shapes are distinct, also between the entries that are close in grey", async ({
  page,
  stack,
  signInAs,
}) => {
  await signInAs("viewer");
  await page.goto(`${stack.webUrl}/runs/${stack.runId}`);
  await expect(dataMapCanvas(page)).toHaveAttribute("data-ready", "true");
  const entries = await page.locator("label.quadrant-toggle svg[data-shape]").evaluateAll((els) =>
    els.map((el) => {
      const p = el.querySelector("path")!;
      const [r, g, b] = (p.getAttribute("fill")!.match(/[0-9a-f]{2}/gi) ?? []).map((h) => parseInt(h, 16) / 255) as [number, number, number];
      return { shape: el.getAttribute("data-shape")!, d: p.getAttribute("d")!, grey: 0.299 * r + 0.587 * g + 0.114 * b };
    }),
  );
  expect(entries).toHaveLength(4);
  // Four different shapes, drawn as four different outlines.
  expect(new Set(entries.map((e) => e.shape)).size).toBe(4);
  expect(new Set(entries.map((e) => e.d)).size).toBe(4);
  // In greyscale some quadrant colours are near each other (the two oranges, the two blues
  // are only lightness apart): those pairs must still differ in shape — which they do, as all do.
  for (const a of entries) {
    for (const b of entries) {
      if (a !== b && Math.abs(a.grey - b.grey) < 0.25) expect(a.shape).not.toBe(b.shape);
    }
  }
  // The shape is named in the legend's text, for a screen reader too.
  for (const e of entries) await expect(page.locator("label.quadrant-toggle", { hasText: `(${e.shape})` })).toHaveCount(1);
  // In greyscale the map still reads: a screenshot to look at.
  await page.addStyleTag({ content: ".datamap { filter: grayscale(1); }" });
  await page.getByRole("region", { name: "Data map" }).screenshot({ path: path.join(artifacts, "data-map-greyscale.png") });
});

test("axes open zoomed to the data (memorization up to its top) and toggle to the full range, saying which is on", async ({ page, stack, signInAs }) => {
  await signInAs("viewer");
  await page.goto(`${stack.webUrl}/runs/${stack.runId}`);
  const canvas = dataMapCanvas(page);
  await expect(canvas).toHaveAttribute("data-ready", "true");
  const range = page.getByTestId("axis-range");
  await expect(canvas).toHaveAttribute("data-range", "robust");
  await expect(range).toContainText("zoomed to the data");
  await expect(range).toHaveAttribute("title", /difficulty 0.5–99.5 %, memorization 0.5 % to the top/);
  const view = async () => (await canvas.getAttribute("data-view"))!.split(",").map(Number) as [number, number, number, number];
  const robust = await view();

  const toggle = range.getByRole("button", { name: "Show the full range" });
  await expect(toggle).toHaveAttribute("aria-pressed", "false");
  await toggle.click();
  await expect(canvas).toHaveAttribute("data-range", "full");
  await expect(range).toContainText("full range (every point)");
  await expect(range.getByRole("button", { name: /Zoom to the data/ })).toHaveAttribute("aria-pressed", "true");
  const full = await view();
  // The full range holds the robust one (and 0 on the memorization axis).
  expect(full[0]).toBeLessThanOrEqual(robust[0]);
  expect(full[1]).toBeGreaterThanOrEqual(robust[1]);
  expect(full[2]).toBeLessThanOrEqual(Math.min(0, robust[2]));
  expect(full[3]).toBeGreaterThanOrEqual(robust[3]);
  expect(full).not.toEqual(robust);

  // Zoom, then 0 returns to the range that is on.
  await canvas.focus();
  await page.keyboard.press("+");
  await expect.poll(view).not.toEqual(full);
  await page.keyboard.press("0");
  await expect.poll(view).toEqual(full);
  await range.getByRole("button", { name: /Zoom to the data/ }).click();
  await expect(canvas).toHaveAttribute("data-range", "robust");
  await expect.poll(view).toEqual(robust);
});

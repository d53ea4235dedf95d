import path from "node:path";
import { test, expect, fmt, artifacts, dataMapCanvas, pointsOfColour, quadrantCount, shiftDrag, QUADRANT_RGB } from "./fixtures";

// One story, in order: a reviewer proposes a down-weight (and cannot review it herself), an
// engineer proposes to prune the hotspots from a box selection, the reviewer approves one of
// those by keyboard, a second reviewer approves hers, the audit log shows it all, and the
// engineer releases the curated version.
test.describe.configure({ mode: "serial" });

const PRUNE_REASON = "memorized: forgotten and relearned repeatedly";
const APPROVE_REASON = "evidence is convincing: repeated forget events";

test("a reviewer's own proposal shows four eyes and offers no review", async ({ page, stack, signInAs }) => {
  await signInAs("reviewer");
  await page.goto(`${stack.webUrl}/runs/${stack.runId}`);
  const canvas = dataMapCanvas(page);
  await expect(canvas).toHaveAttribute("data-drawn-points", String(stack.points));
  const noisy = await pointsOfColour(canvas, QUADRANT_RGB.NOISY_OUTLIER);
  const box = (await canvas.boundingBox())!;
  await page.mouse.click(box.x + noisy.sample!.x, box.y + noisy.sample!.y);
  await expect(page.getByTestId("selected-count")).toHaveText("1");
  await page.getByRole("radio", { name: "Down-weight" }).check();
  await page.getByLabel("Weight (between 0 and 1)").fill("0.25");
  await page.getByLabel("Reason").fill("noisy outlier: keep it, but with less weight");
  await page.getByRole("button", { name: "Propose for 1 example" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Proposed" })).toContainText("Proposed 1 intervention");

  await page.getByRole("link", { name: "Review queue" }).first().click();
  const mine = page.getByRole("article").filter({ hasText: "Down-weight to 0.25" });
  await expect(mine).toHaveCount(1);
  await expect(mine.getByText("You proposed this — another reviewer must decide")).toBeVisible();
  await expect(mine.getByRole("button")).toHaveCount(0);
  await expect(mine.getByRole("radio")).toHaveCount(0);
  await page.screenshot({ path: path.join(artifacts, "review-queue.png"), fullPage: true });
});

test("an engineer shows only the hotspots, selects them with a box and proposes to prune them", async ({ page, stack, signInAs }) => {
  await signInAs("engineer");
  await page.goto(`${stack.webUrl}/runs/${stack.runId}`);
  const canvas = dataMapCanvas(page);
  await expect(canvas).toHaveAttribute("data-drawn-points", String(stack.points));
  const hotspots = await quadrantCount(page, "Memorization hotspot");
  expect(hotspots).toBeGreaterThan(1);

  // Hidden quadrants are never selected: a box over everything picks exactly the hotspots.
  for (const other of ["Stable / easy", "Ambiguous / hard", "Noisy outlier"]) await page.getByRole("checkbox", { name: other }).uncheck();
  await expect(canvas).toHaveAttribute("data-drawn-points", String(hotspots));
  // The map opens zoomed to the data (difficulty 0.5–99.5 %); the full range puts every point on screen.
  await page.getByTestId("axis-range").getByRole("button", { name: "Show the full range" }).click();
  await expect(canvas).toHaveAttribute("data-range", "full");
  await page.getByRole("radio", { name: "Box" }).check();
  const { box } = await pointsOfColour(canvas, QUADRANT_RGB.HOTSPOT_MEMORIZED);
  await shiftDrag(page, canvas, { x: box.x0 - 8, y: box.y0 - 8 }, { x: box.x1 + 8, y: box.y1 + 8 });
  await expect(page.getByTestId("selected-count")).toHaveText(fmt(hotspots));
  await expect(canvas).toHaveAttribute("data-selected-points", String(hotspots));

  await page.getByRole("radio", { name: "Prune (weight 0)" }).check();
  await page.getByLabel("Reason").fill(PRUNE_REASON);
  await page.getByRole("button", { name: `Propose for ${fmt(hotspots)} examples` }).click();
  await expect(page.getByRole("status").filter({ hasText: "Proposed" })).toContainText(`Proposed ${fmt(hotspots)} interventions`);
  await page.screenshot({ path: path.join(artifacts, "proposed.png"), fullPage: true });
});

test("the reviewer approves an engineer's proposal with a reason, by keyboard", async ({ page, stack, signInAs }) => {
  await signInAs("reviewer");
  await page.goto(`${stack.webUrl}/review`);
  await expect(page.getByTestId("queue-count")).toBeVisible();
  const prunes = page.getByRole("article").filter({ hasText: /^Prune/ });
  const before = await prunes.count();
  expect(before).toBeGreaterThan(0);
  const first = prunes.first();
  const key = (await first.getByRole("heading").locator("code").innerText()).trim();
  await expect(first.getByText(PRUNE_REASON)).toBeVisible(); // the proposer's reason is part of the evidence
  const reviewed = page.getByRole("heading", { name: `Prune ${key}`, exact: true });

  // Keyboard only: focus the decision, pick Approve with Space, Tab (out of the radio group)
  // to the reason, Enter submits.
  await first.getByRole("radio", { name: "Approve" }).focus();
  await page.keyboard.press("Space");
  await expect(first.getByRole("radio", { name: "Approve" })).toBeChecked();
  await page.keyboard.press("Tab");
  await expect(first.getByLabel("Reason (required)")).toBeFocused();
  await page.keyboard.type(APPROVE_REASON);
  await page.keyboard.press("Enter");

  await expect(page.getByRole("status").filter({ hasText: "Approved" })).toContainText(`Approved: Prune of ${key}`);
  await expect(reviewed).toHaveCount(0); // gone from the queue
});

test("a review without a reason is not sent", async ({ page, stack, signInAs }) => {
  await signInAs("reviewer");
  await page.goto(`${stack.webUrl}/review`);
  await expect(page.getByTestId("queue-count")).toBeVisible();
  const item = page
    .getByRole("article")
    .filter({ hasText: /^Prune/ })
    .first();
  const key = (await item.getByRole("heading").locator("code").innerText()).trim();
  await item.getByRole("radio", { name: "Reject" }).check();
  await item.getByRole("button", { name: "Submit review" }).click();
  // The browser keeps the form (required field) and the item stays in the queue.
  await expect(item.getByLabel("Reason (required)")).toBeFocused();
  await page.reload();
  await expect(page.getByRole("heading", { name: `Prune ${key}`, exact: true })).toHaveCount(1);
});

test("a second reviewer approves the first reviewer's down-weight", async ({ page, stack, signInAs }) => {
  await signInAs("reviewer2");
  await page.goto(`${stack.webUrl}/review`);
  const item = page.getByRole("article").filter({ hasText: "Down-weight to 0.25" });
  await expect(item).toContainText("Rita Reviewer");
  await item.getByRole("radio", { name: "Approve" }).check();
  await item.getByLabel("Reason (required)").fill("agreed: down-weight rather than prune");
  await item.getByRole("button", { name: "Submit review" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Approved" })).toContainText("Approved: Downweight of");
});

test("the audit log shows the reviews and a verified chain", async ({ page, signInAs }) => {
  await signInAs("viewer");
  await page.getByRole("link", { name: "Audit log" }).click();
  await expect(page.getByTestId("audit-verify")).toContainText("Audit chain verified");
  const review = page.getByRole("row").filter({ hasText: "intervention.review" }).filter({ hasText: "reviewer@e2e.test" });
  await expect(review.first()).toBeVisible();
  await expect(page.getByRole("row").filter({ hasText: "interventions.propose" }).first()).toBeVisible();
  await page.screenshot({ path: path.join(artifacts, "audit-log.png"), fullPage: true });
  await page.getByLabel("Target type").selectOption("Intervention");
  await expect(page.getByRole("row").filter({ hasText: "dataset.create" })).toHaveCount(0);
  await expect(page.getByRole("row").filter({ hasText: "intervention.review" }).first()).toBeVisible();
});

test("the engineer releases the curated version: diff against its parent and the content hash", async ({ page, stack, signInAs }) => {
  await signInAs("engineer");
  await page.goto(`${stack.webUrl}/datasets/${stack.datasetId}`);
  await page.getByRole("link", { name: "Version 2" }).click();
  await expect(page.getByRole("heading", { name: `${stack.datasetName} — version 2` })).toContainText("DRAFT");
  await expect(page.getByTestId("gate-verdict")).toContainText("Release gate: none set");
  await expect(page.getByText("Releasing applies the 2 approved interventions")).toBeVisible();

  await page.getByRole("button", { name: "Release version 2…" }).click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Confirm: release version 2" }).click();
  await expect(page.getByRole("heading", { name: `${stack.datasetName} — version 2` })).toContainText("RELEASED");
  await expect(page.getByTestId("content-hash")).toHaveText(/^[0-9a-f]{64}$/);
  await expect(page.getByTestId("diff-summary")).toContainText("1 removed · 1 re-weighted · 0 added");
  const removed = page.getByRole("row").filter({ hasText: "REMOVED" });
  await expect(removed).toHaveCount(1);
  await expect(removed).toContainText(APPROVE_REASON);
  await expect(removed).toContainText("PRUNE");
  const reweighted = page.getByRole("row").filter({ hasText: "REWEIGHTED" });
  await expect(reweighted).toContainText("1 → 0.25");
  await expect(page.getByRole("button", { name: /Release version/ })).toHaveCount(0);
  await page.screenshot({ path: path.join(artifacts, "release.png"), fullPage: true });
});

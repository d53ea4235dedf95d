import fs from "node:fs";
import path from "node:path";
import { test, expect, artifacts } from "./fixtures";

// The audit log as evidence (issue 15): changes read field by field, search narrows the rows,
// CSV export carries both chain hashes, and the page does not overflow at 1440 or 390 px.
test("the audit log reads as evidence and exports with its hashes", async ({ page, signInAs }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await signInAs("viewer");
  await page.getByRole("link", { name: "Audit log" }).click();
  await expect(page.getByTestId("audit-verify")).toContainText("Audit chain verified");
  await page.getByLabel("Search").fill("version.release");
  const release = page.getByRole("row").filter({ hasText: "version.release" }).first();
  await expect(release).toBeVisible();
  await expect(release).toContainText("DRAFT → RELEASED");
  await expect(page.getByRole("row").filter({ hasText: "dataset.create" })).toHaveCount(0);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1440);

  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export CSV" }).click()]);
  const file = path.join(artifacts, "audit-events.csv");
  await download.saveAs(file);
  const lines = fs.readFileSync(file, "utf8").trim().split("\r\n");
  expect(lines[0]).toBe("seq,at,actorLabel,action,targetType,targetId,before,after,prevHash,hash");
  expect(lines.length).toBeGreaterThan(1);
  expect(lines.every((l, i) => i === 0 || l.includes("version.release"))).toBe(true);
  expect(lines[1]).toMatch(/,[0-9a-f]{64},[0-9a-f]{64}$/);

  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByLabel("Search").fill("");
  await expect(page.getByRole("row").filter({ hasText: "dataset.create" }).first()).toBeAttached();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
});

import path from "node:path";
import { test, expect, artifacts } from "./fixtures";

test("the study page charts extraction and exposure against perplexity per policy", async ({ page, stack, signInAs }) => {
  await signInAs("viewer");
  await page.goto(`${stack.webUrl}/versions/${stack.v1Id}`);
  await page.getByRole("link", { name: /^study of/ }).click();
  await expect(page.getByRole("heading", { name: /Intervention study/ })).toContainText("SUCCEEDED");
  await expect(page.getByRole("region", { name: "Verdict" })).toContainText("halved canary extraction");
  await expect(page.getByTestId("study-summary")).toContainText("canary extraction × 0.5 of the baseline");

  await expect(page.getByRole("img", { name: /canary extraction rate against validation perplexity/ })).toBeVisible();
  await expect(page.getByRole("img", { name: /exposure \(rank estimate\) against validation perplexity/ })).toBeVisible();
  await expect(page.getByRole("img", { name: /exposure \(skew-normal estimate\)/ })).toBeVisible();
  await expect(page.getByRole("img", { name: /by how many times the canary was repeated/ })).toBeVisible();

  const table = page.getByRole("table", { name: "Per policy" });
  await expect(table.getByRole("row")).toHaveCount(4); // header + 3 policies
  const prune = table.getByRole("row", { name: /Prune top 10 % by memorization/ });
  await expect(prune).toContainText("25.00 %");
  await expect(prune).toContainText("12.45");
  await page.screenshot({ path: path.join(artifacts, "study.png"), fullPage: true });
});

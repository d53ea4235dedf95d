import path from "node:path";
import { fileURLToPath } from "node:url";
import { test, expect } from "./fixtures";

// Start a run from the UI (issue 15; was CLI-only): on a released version an engineer fills in
// the training configuration; what the API refuses is shown naming the field (its own check,
// libs/model's schema); a valid one starts a tracked run, whose page can cancel it.

const screenshots = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "docs", "screenshots");

test("an engineer starts a run on a released version, is told which field is wrong, and cancels the run", async ({ page, stack, signInAs }) => {
  await signInAs("engineer");
  await page.goto(`${stack.webUrl}/versions/${stack.v1Id}`);
  const form = page.getByRole("form", { name: "Start a run" });
  await form.getByLabel("Run name").fill("from the web");
  await form.getByLabel("Epochs").fill("1");
  await form.getByLabel("Learning rate").fill("5");
  await form.getByRole("button", { name: "Start run" }).click();
  await expect(page.getByTestId("start-run").getByRole("alert")).toContainText("modelConfig.learningRate");

  await form.getByLabel("Learning rate").fill("");
  await form.getByLabel("Advanced model configuration (JSON, optional)").fill('{"model": {"architecture": "gru", "hiddenSize": 2}}');
  await form.getByRole("button", { name: "Start run" }).click();
  await expect(page.getByTestId("start-run").getByRole("alert")).toContainText("modelConfig.model.hiddenSize");

  await form.getByLabel("Advanced model configuration (JSON, optional)").fill("[1, 2]");
  await form.getByRole("button", { name: "Start run" }).click();
  await expect(page.getByTestId("start-run").getByRole("alert")).toContainText("must be a JSON object");

  await form.getByLabel("Advanced model configuration (JSON, optional)").fill("");
  await form.getByLabel("Epochs").fill("0");
  await form.getByRole("button", { name: "Start run" }).click();
  await expect(page.getByTestId("start-run").getByRole("alert")).toContainText("epochs");

  await form.getByLabel("Epochs").fill("1");
  await form.getByLabel("Architecture").selectOption("gru");
  await form.getByLabel("Batch size").fill("32");
  await page.getByTestId("start-run").screenshot({ path: path.join(screenshots, "start-run.png") });
  await form.getByRole("button", { name: "Start run" }).click();

  await expect(page).toHaveURL(/\/runs\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Run from the web");
  await page.getByRole("button", { name: "Cancel run" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("CANCELLED");
  await expect(page.getByRole("button", { name: "Cancel run" })).toHaveCount(0);

  // A reviewer is not offered the form (startRun is not among its permissions).
  await signInAs("reviewer");
  await page.goto(`${stack.webUrl}/versions/${stack.v1Id}`);
  await expect(page.getByTestId("release-summary")).toBeVisible();
  await expect(page.getByTestId("start-run")).toHaveCount(0);
});

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test as base, expect, type Page, type Locator } from "@playwright/test";
import type { StackInfo, UserKey } from "../stack";

export const artifacts = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "artifacts");

function readStack(): StackInfo {
  const file = process.env.GDC_E2E_STACK;
  if (!file) throw new Error("GDC_E2E_STACK is not set: run the suite through e2e/playwright.config.ts (its global setup starts the stack)");
  return JSON.parse(fs.readFileSync(file, "utf8")) as StackInfo;
}

export const test = base.extend<{ stack: StackInfo; signInAs: (user: UserKey) => Promise<void> }>({
  // eslint-disable-next-line no-empty-pattern
  stack: async ({}, use) => {
    await use(readStack());
  },
  signInAs: async ({ page, stack }, use) => {
    await use(async (user) => {
      await page.goto(stack.webUrl);
      await page.getByLabel("API token").fill(stack.users[user].token);
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page.getByRole("heading", { name: `Welcome, ${stack.users[user].name}` })).toBeVisible();
    });
  },
});

export { expect };

/** A count as the app writes it (en-US grouping: 2,002). */
export const fmt = (n: number) => n.toLocaleString("en-US");

/** A quadrant's colour on the map, as the user sees it in the legend. */
export const QUADRANT_RGB = {
  STABLE_EASY: [0x56, 0xb4, 0xe9],
  AMBIGUOUS_HARD: [0x00, 0x72, 0xb2],
  HOTSPOT_MEMORIZED: [0xd5, 0x5e, 0x00],
  NOISY_OUTLIER: [0xe6, 0x9f, 0x00],
} as const;

export function dataMapCanvas(page: Page): Locator {
  return page.getByRole("img", { name: /^Data map:/ });
}

/**
 * Where the map shows points of one colour: the bounding box (CSS pixels, relative to the
 * canvas) and the centre of one such point — what a user aims at with the mouse.
 */
export async function pointsOfColour(canvas: Locator, rgb: readonly [number, number, number]) {
  return canvas.evaluate(
    (el, [r, g, b]) => {
      const c = el as HTMLCanvasElement;
      const ctx = c.getContext("2d")!;
      const { data, width, height } = ctx.getImageData(0, 0, c.width, c.height);
      const scale = c.width / c.getBoundingClientRect().width;
      let x0 = Infinity,
        y0 = Infinity,
        x1 = -Infinity,
        y1 = -Infinity,
        pixels = 0;
      let sample: { x: number; y: number } | null = null;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const i = (y * width + x) * 4;
          if (data[i] === r && data[i + 1] === g && data[i + 2] === b) {
            pixels++;
            x0 = Math.min(x0, x);
            y0 = Math.min(y0, y);
            x1 = Math.max(x1, x);
            y1 = Math.max(y1, y);
            // The middle of a 5-pixel square: its colour all around.
            const around = [-2, 2].every((d) => data[i + d * 4] === r && data[i + d * width * 4] === r);
            if (!sample && around) sample = { x: x / scale, y: y / scale };
          }
        }
      }
      return { pixels, box: { x0: x0 / scale, y0: y0 / scale, x1: x1 / scale, y1: y1 / scale }, sample };
    },
    rgb as unknown as [number, number, number],
  );
}

/** Number of non-white pixels in the plot: proof that points were drawn. */
export async function drawnPixels(canvas: Locator): Promise<number> {
  return canvas.evaluate((el) => {
    const c = el as HTMLCanvasElement;
    const { data } = c.getContext("2d")!.getImageData(0, 0, c.width, c.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] !== 255 || data[i + 1] !== 255 || data[i + 2] !== 255) n++;
    return n;
  });
}

/** Shift-drag a box on the canvas (box selection tool must be on). */
export async function shiftDrag(page: Page, canvas: Locator, from: { x: number; y: number }, to: { x: number; y: number }) {
  const box = (await canvas.boundingBox())!;
  await page.keyboard.down("Shift");
  await page.mouse.move(box.x + from.x, box.y + from.y);
  await page.mouse.down();
  await page.mouse.move(box.x + (from.x + to.x) / 2, box.y + (from.y + to.y) / 2, { steps: 4 });
  await page.mouse.move(box.x + to.x, box.y + to.y, { steps: 4 });
  await page.mouse.up();
  await page.keyboard.up("Shift");
}

export async function quadrantCount(page: Page, label: string): Promise<number> {
  const text = await page.locator("label.quadrant-toggle", { hasText: label }).locator(".count").innerText();
  return Number(text.replace(/,/g, ""));
}

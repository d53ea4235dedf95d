import { expect, test } from "vitest";
import { QUADRANTS } from "../src/quadrants.ts";
import { QUADRANT_COLORS, QUADRANT_ORDER } from "../src/palette.ts";

test("the palette's quadrant list is QUADRANTS, with one distinct colour each", () => {
  expect([...QUADRANT_ORDER]).toEqual([...QUADRANTS]);
  expect(Object.keys(QUADRANT_COLORS).sort()).toEqual([...QUADRANTS].sort());
  expect(new Set(Object.values(QUADRANT_COLORS)).size).toBe(QUADRANTS.length);
});

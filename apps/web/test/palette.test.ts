import { describe, expect, it } from "vitest";
import { QUADRANT_ORDER, QUADRANT_STYLE, hexToRgb, packRgba, quadrantStyle, relativeLuminance, CANARY_COLOR } from "../src/data-map/palette";

// The Okabe–Ito palette (Okabe & Ito 2008): safe under protanopia, deuteranopia, tritanopia.
const OKABE_ITO = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"];

describe("quadrant palette", () => {
  it("uses four distinct Okabe–Ito colours, one per quadrant", () => {
    const colors = QUADRANT_ORDER.map((q) => QUADRANT_STYLE[q].color.toUpperCase());
    expect(new Set(colors).size).toBe(4);
    for (const c of colors) expect(OKABE_ITO).toContain(c);
    expect(OKABE_ITO).toContain(CANARY_COLOR.toUpperCase());
  });

  it("every quadrant has a readable label", () => {
    for (const q of QUADRANT_ORDER) expect(QUADRANT_STYLE[q].label.length).toBeGreaterThan(3);
  });

  it("the hotspot colour differs from its neighbours in lightness, not only hue", () => {
    const hotspot = relativeLuminance(QUADRANT_STYLE.HOTSPOT_MEMORIZED.color);
    for (const q of ["STABLE_EASY", "AMBIGUOUS_HARD", "NOISY_OUTLIER"] as const) {
      const other = relativeLuminance(QUADRANT_STYLE[q].color);
      const contrast = (Math.max(hotspot, other) + 0.05) / (Math.min(hotspot, other) + 0.05);
      expect(contrast).toBeGreaterThan(1.2);
    }
  });

  it("unknown quadrant names get a neutral style instead of failing", () => {
    expect(quadrantStyle("SOMETHING_NEW")).toMatchObject({ label: "SOMETHING_NEW" });
  });

  it("packs colours for a little-endian ImageData view", () => {
    expect(hexToRgb("#D55E00")).toEqual([0xd5, 0x5e, 0x00]);
    const packed = packRgba("#D55E00");
    const bytes = new Uint8Array(Uint32Array.of(packed).buffer);
    expect([...bytes]).toEqual([0xd5, 0x5e, 0x00, 0xff]);
    expect(() => hexToRgb("red")).toThrow();
  });
});

describe("one palette for the web map and the study report", () => {
  it("the web's quadrant colours are libs/cartography's, which libs/study's charts use too", async () => {
    const { QUADRANT_COLORS } = await import("@gdc/cartography/palette");
    for (const q of QUADRANT_ORDER) expect(QUADRANT_STYLE[q].color).toBe(QUADRANT_COLORS[q]);
  });
});

// Quadrant colours: libs/cartography's one palette (Okabe–Ito, also the study report's).
// Quadrants are also told apart by position (threshold lines) and named next to their counts:
// colour is never the only cue.
import { CANARY_COLOR, QUADRANT_COLORS, QUADRANT_ORDER } from "@gdc/cartography/palette";

export { CANARY_COLOR, QUADRANT_ORDER };
export type QuadrantName = (typeof QUADRANT_ORDER)[number];

export interface QuadrantStyle {
  label: string;
  description: string;
  color: string;
}

export const QUADRANT_STYLE: Record<QuadrantName, QuadrantStyle> = {
  STABLE_EASY: { label: "Stable / easy", description: "low difficulty, low memorization", color: QUADRANT_COLORS.STABLE_EASY },
  AMBIGUOUS_HARD: { label: "Ambiguous / hard", description: "high difficulty, low memorization", color: QUADRANT_COLORS.AMBIGUOUS_HARD },
  HOTSPOT_MEMORIZED: { label: "Memorization hotspot", description: "high difficulty, high memorization", color: QUADRANT_COLORS.HOTSPOT_MEMORIZED },
  NOISY_OUTLIER: { label: "Noisy outlier", description: "low difficulty, high memorization", color: QUADRANT_COLORS.NOISY_OUTLIER },
};

/** Colour of a quadrant name the web app does not know (a newer API). */
export const UNKNOWN_COLOR = "#999999";

export function quadrantStyle(name: string): QuadrantStyle {
  return (QUADRANT_STYLE as Record<string, QuadrantStyle | undefined>)[name] ?? { label: name, description: "", color: UNKNOWN_COLOR };
}

/** "#RRGGBB" → [r, g, b]. */
export function hexToRgb(hex: string): [number, number, number] {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`not a #RRGGBB colour: ${hex}`);
  return [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16)];
}

/** An opaque colour packed for a little-endian Uint32Array view of ImageData (ABGR). */
export function packRgba(hex: string, alpha = 255): number {
  const [r, g, b] = hexToRgb(hex);
  return ((alpha << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

/** WCAG relative luminance, used by the tests to keep colours apart in lightness too. */
export function relativeLuminance(hex: string): number {
  const lin = hexToRgb(hex).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * lin[0]! + 0.7152 * lin[1]! + 0.0722 * lin[2]!;
}

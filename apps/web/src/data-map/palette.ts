// Quadrant colours: libs/cartography's one palette (Okabe–Ito, also the study report's).
// Quadrants are also told apart by marker shape (QUADRANT_SHAPES, drawn on the map and in the
// legend), by position (threshold lines) and named next to their counts: colour is never the
// only cue.
import { CANARY_COLOR, QUADRANT_COLORS, QUADRANT_ORDER, QUADRANT_SHAPES } from "@gdc/cartography/palette";

export { CANARY_COLOR, QUADRANT_ORDER };

/** A point's marker shape on the map (and in the legend). */
export type MarkerShape = "square" | "triangle" | "diamond" | "plus";
export type QuadrantName = (typeof QUADRANT_ORDER)[number];

export interface QuadrantStyle {
  label: string;
  description: string;
  color: string;
  shape: MarkerShape;
}

export const QUADRANT_STYLE: Record<QuadrantName, QuadrantStyle> = {
  STABLE_EASY: {
    label: "Stable / easy",
    description: "low difficulty, low memorization",
    color: QUADRANT_COLORS.STABLE_EASY,
    shape: QUADRANT_SHAPES.STABLE_EASY,
  },
  AMBIGUOUS_HARD: {
    label: "Ambiguous / hard",
    description: "high difficulty, low memorization",
    color: QUADRANT_COLORS.AMBIGUOUS_HARD,
    shape: QUADRANT_SHAPES.AMBIGUOUS_HARD,
  },
  HOTSPOT_MEMORIZED: {
    label: "Memorization hotspot",
    description: "high difficulty, high memorization",
    color: QUADRANT_COLORS.HOTSPOT_MEMORIZED,
    shape: QUADRANT_SHAPES.HOTSPOT_MEMORIZED,
  },
  NOISY_OUTLIER: {
    label: "Noisy outlier",
    description: "low difficulty, high memorization",
    color: QUADRANT_COLORS.NOISY_OUTLIER,
    shape: QUADRANT_SHAPES.NOISY_OUTLIER,
  },
};

/** Colour of a quadrant name the web app does not know (a newer API). */
export const UNKNOWN_COLOR = "#999999";

export function quadrantStyle(name: string): QuadrantStyle {
  return (QUADRANT_STYLE as Record<string, QuadrantStyle | undefined>)[name] ?? { label: name, description: "", color: UNKNOWN_COLOR, shape: "square" };
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

/**
 * Pixel offsets of a marker `size` device pixels across, centred on the point: the stamp the
 * canvas writes per point. Every shape fits the size × size square; a 5-pixel diamond or plus
 * still covers its centre's row and column out to ±2.
 */
export function markerOffsets(shape: MarkerShape, size: number): { dx: Int16Array; dy: Int16Array } {
  const dx: number[] = [];
  const dy: number[] = [];
  const half = (size - 1) / 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = half > 0 ? (x - half) / half : 0;
      const v = half > 0 ? (y - half) / half : 0;
      const inside =
        shape === "square" ||
        (shape === "diamond" && Math.abs(u) + Math.abs(v) <= 1.0001) ||
        (shape === "triangle" && Math.abs(u) <= (v + 1) / 2 + 0.0001) ||
        (shape === "plus" && (Math.abs(u) <= 0.34 || Math.abs(v) <= 0.34));
      if (inside) {
        dx.push(x - Math.floor(size / 2));
        dy.push(y - Math.floor(size / 2));
      }
    }
  }
  return { dx: Int16Array.from(dx), dy: Int16Array.from(dy) };
}

/** SVG path (in a 12 × 12 box) of a marker, for legends. */
export function markerPath(shape: MarkerShape): string {
  switch (shape) {
    case "square":
      return "M2 2H10V10H2Z";
    case "triangle":
      return "M6 1.5L11 10.5H1Z";
    case "diamond":
      return "M6 0.5L11.5 6L6 11.5L0.5 6Z";
    case "plus":
      return "M4.5 1H7.5V4.5H11V7.5H7.5V11H4.5V7.5H1V4.5H4.5Z";
  }
}
